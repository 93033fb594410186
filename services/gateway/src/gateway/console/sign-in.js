// Signing in: paste a CRM token (from the school platform, or `make token`), or, where the local
// stack runs, one click as the demo school's owner.

import { el } from "./dom.js";
import { showProblem } from "./problem.js";
import { demoOffered, signIn, signInAsDemoOwner } from "./session.js";

/** @param {HTMLElement} view @param {() => void} done */
export function renderSignIn(view, done) {
  const pasted = /** @type {HTMLTextAreaElement} */ (el("textarea", {
    id: "token", name: "token", rows: "4", required: true, autocomplete: "off", spellcheck: "false",
    placeholder: "eyJhbGciOi…",
  }));
  const form = el("form", { id: "sign-in", class: "block" },
    el("h1", {}, "Sign in to the orders CRM"),
    el("label", { for: "token" }, "Your CRM token"), pasted,
    el("p", { class: "muted" }, "It is kept in this tab only, and forgotten when the tab closes."),
    el("div", { class: "actions" }, el("button", { type: "submit" }, "Sign in")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!pasted.value.trim()) return;
    signIn(pasted.value);
    done();
  });
  const demo = /** @type {HTMLButtonElement} */ (el("button", { type: "button", id: "demo-sign-in", hidden: true },
    "Sign in as the demo school's owner"));
  demo.addEventListener("click", async () => {
    demo.disabled = true;
    try {
      await signInAsDemoOwner();
      done();
    } catch (error) {
      showProblem(error);
      demo.disabled = false;
    }
  });
  demoOffered().then((offered) => { demo.hidden = !offered; });
  view.replaceChildren(form, el("div", { class: "demo" }, demo));
}
