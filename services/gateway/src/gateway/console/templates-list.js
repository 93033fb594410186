// Settings → email templates: every template, the languages it can be written in (those where
// the school has its own wording marked), and the values its wording may use.

import { listTemplates } from "./api.js";
import { el } from "./dom.js";
import { words } from "./format.js";
import { t } from "./i18n.js";
import { languageName } from "./languages.js";
import { clearProblem, showProblem } from "./problem.js";

/** @param {HTMLElement} view */
export async function renderTemplates(view) {
  view.replaceChildren(el("p", {}, el("a", { href: "#/settings" }, t("settings:templates.back"))), el("p", { class: "muted" }, t("settings:loading")));
  let list;
  try {
    list = await listTemplates();
  } catch (error) {
    showProblem(error);
    return;
  }
  clearProblem();
  view.replaceChildren(
    el("p", {}, el("a", { href: "#/settings" }, t("settings:templates.back"))),
    el("h1", {}, t("settings:templates.heading")),
    el("p", { class: "muted" }, t("settings:templates.boldNote")),
    el("table", { id: "templates" },
      el("thead", {}, el("tr", {}, el("th", {}, t("settings:templates.template")), el("th", {}, t("settings:templates.languages")),
        el("th", {}, t("settings:templates.values")))),
      el("tbody", { id: "templates-rows" }, ...list.items.map((item) => el("tr", { "data-template": item.template },
        el("td", {}, words(item.template)),
        el("td", { class: "locales" }, ...item.locales.flatMap((locale) => {
          const own = item.overridden.includes(locale);
          const link = el("a", { href: `#/settings/templates/${item.template}/${locale}`, "data-locale": locale,
            class: own ? "overridden" : null, title: own ? t("settings:templates.ownWording") : t("settings:templates.standardWording") },
            languageName(locale));
          return [own ? el("strong", {}, link) : link, " "];
        })),
        el("td", { class: "muted" }, item.variables.join(", ")))))));
}
