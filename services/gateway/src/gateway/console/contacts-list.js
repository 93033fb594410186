// CRM → Contacts: the school's contacts by name, the search the API does (name, email, phone),
// and "Load more" on the keyset cursor. The search lives after `#` in the address, so a reload
// or a shared link keeps it.

import { listContacts } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { languageName } from "./languages.js";
import { clearProblem, showProblem } from "./problem.js";

/** @typedef {import("./types.js").ContactCard} ContactCard */

/** @param {ContactCard} contact */
const row = (contact) => el("tr", { "data-contact": contact.id },
  el("td", {}, el("a", { href: `#/contacts/${contact.id}` }, contact.name)),
  el("td", {}, contact.email),
  el("td", {}, contact.phone ?? t("common:none")),
  el("td", {}, contact.locale ? languageName(contact.locale) : t("common:none")));

/** @param {HTMLElement} view @param {URLSearchParams} params `q`, `limit` */
export async function renderContacts(view, params) {
  const q = params.get("q") ?? "";
  const limit = Number(params.get("limit")) || undefined;
  const search = /** @type {HTMLInputElement} */ (el("input", { id: "contact-q", type: "search", value: q,
    placeholder: t("contacts:list.searchPlaceholder"), "aria-label": t("contacts:list.searchLabel"), maxlength: "200" }));
  const form = el("form", { id: "contacts-search", class: "search" }, search, el("button", { type: "submit" }, t("contacts:list.search")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams(params);
    if (search.value.trim()) next.set("q", search.value.trim());
    else next.delete("q");
    location.hash = `#/contacts${next.toString() ? `?${next}` : ""}`;
  });
  const rows = el("tbody", { id: "contacts-rows" });
  const more = /** @type {HTMLButtonElement} */ (el("button", { type: "button", id: "load-more", hidden: true }, t("contacts:list.loadMore")));
  const empty = el("p", { class: "muted", id: "contacts-empty", hidden: true }, t("contacts:list.noneMatch"));
  view.replaceChildren(
    el("h1", {}, t("contacts:title")),
    el("div", { class: "toolbar" }, form),
    el("table", { id: "contacts" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("contacts:list.name")), el("th", { scope: "col" }, t("contacts:list.email")),
        el("th", { scope: "col" }, t("contacts:list.phone")), el("th", { scope: "col" }, t("contacts:list.language")))),
      rows),
    empty, more);

  /** @param {string | null} cursor */
  const load = async (cursor) => {
    more.disabled = true;
    try {
      const page = await listContacts({ q, cursor, limit });
      clearProblem();
      rows.append(...page.items.map(row));
      empty.hidden = rows.childElementCount > 0;
      more.hidden = !page.next_cursor;
      more.onclick = () => load(page.next_cursor);
    } catch (error) {
      showProblem(error);
    } finally {
      more.disabled = false;
    }
  };
  await load(null);
}
