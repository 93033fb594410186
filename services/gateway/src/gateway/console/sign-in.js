// Signing in: paste a CRM token (from the school platform, or `make token`), or, where the local
// stack runs, one click as the demo school's owner.

import { el } from "./dom.js";
import { t } from "./i18n.js";
import { showProblem } from "./problem.js";
import { demoOffered, signIn, signInAsDemoOwner } from "./session.js";

/** @param {HTMLElement} view @param {() => void} done */
export function renderSignIn(view, done) {
  const pasted = /** @type {HTMLTextAreaElement} */ (el("textarea", {
    id: "token", name: "token", rows: "4", required: true, autocomplete: "off", spellcheck: "false",
    placeholder: "eyJhbGciOi…",
  }));
  const form = el("form", { id: "sign-in", class: "block" },
    el("h1", {}, t("common:signIn.title")),
    el("label", { for: "token" }, t("common:signIn.token")), pasted,
    el("p", { class: "muted" }, t("common:signIn.kept")),
    el("div", { class: "actions" }, el("button", { type: "submit" }, t("common:signIn.submit"))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!pasted.value.trim()) return;
    signIn(pasted.value);
    done();
  });
  const demo = /** @type {HTMLButtonElement} */ (el("button", { type: "button", id: "demo-sign-in", hidden: true },
    t("common:signIn.demo")));
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
