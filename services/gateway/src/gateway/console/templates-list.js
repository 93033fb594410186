// Settings → email templates: every template, the languages it can be written in (those where
// the school has its own wording marked), and the values its wording may use.

import { listTemplates } from "./api.js";
import { el } from "./dom.js";
import { words } from "./format.js";
import { clearProblem, showProblem } from "./problem.js";

/** @param {HTMLElement} view */
export async function renderTemplates(view) {
  view.replaceChildren(el("p", {}, el("a", { href: "#/settings" }, "← Settings")), el("p", { class: "muted" }, "Loading…"));
  let list;
  try {
    list = await listTemplates();
  } catch (error) {
    showProblem(error);
    return;
  }
  clearProblem();
  view.replaceChildren(
    el("p", {}, el("a", { href: "#/settings" }, "← Settings")),
    el("h1", {}, "Email templates"),
    el("p", { class: "muted" }, "A language in bold has the school's own wording; the others use the standard one."),
    el("table", { id: "templates" },
      el("thead", {}, el("tr", {}, el("th", {}, "Template"), el("th", {}, "Languages"), el("th", {}, "Values it may use"))),
      el("tbody", { id: "templates-rows" }, ...list.items.map((t) => el("tr", { "data-template": t.template },
        el("td", {}, words(t.template)),
        el("td", { class: "locales" }, ...t.locales.flatMap((locale) => {
          const own = t.overridden.includes(locale);
          const link = el("a", { href: `#/settings/templates/${t.template}/${locale}`, "data-locale": locale,
            class: own ? "overridden" : null, title: own ? "the school's own wording" : "the standard wording" }, locale);
          return [own ? el("strong", {}, link) : link, " "];
        })),
        el("td", { class: "muted" }, t.variables.join(", ")))))));
}
