// The contact card: who the contact is (name, email, phone, language), edited with the API's
// problem shown on the field it names; the contact's orders, each a link to its card, and the
// emails sent to them, as two tabs; and "+ Order", the new-order form with this contact chosen.
// A viewer sees the card with its write controls disabled.

import { getContact, getContactNotifications, getContactOrders, patchContact } from "./api.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { dateTime, money, words } from "./format.js";
import { t } from "./i18n.js";
import { LANGUAGES, languageName } from "./languages.js";
import { clearProblem, showProblem } from "./problem.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").ContactCard} ContactCard */
/** @typedef {import("./types.js").ContactChanges} ContactChanges */
/** @typedef {import("./types.js").OrderSummary} OrderSummary */
/** @typedef {import("./types.js").NotificationSummary} NotificationSummary */
/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */

/** @param {HTMLElement} input @param {string} label */
function field(input, label) {
  const error = el("p", { class: "field-error", id: `${input.id}-error`, hidden: true });
  return { node: el("div", { class: "field" }, el("label", { for: input.id }, label), input, error), slot: { input, error } };
}

/** @param {HTMLElement} view @param {string} id @param {{ notice?: string }} [shown] */
export async function renderContact(view, id, { notice } = {}) {
  view.replaceChildren(el("p", { class: "muted" }, t("common:loading")));
  let contact;
  try {
    contact = await getContact(id);
  } catch (error) {
    view.replaceChildren(el("p", {}, el("a", { href: "#/contacts" }, t("contacts:card.back"))));
    showProblem(error);
    return;
  }
  clearProblem();
  const newOrder = canWrite()
    ? el("a", { href: `#/orders/new?contact=${contact.id}`, id: "contact-new-order", class: "button" }, t("contacts:card.newOrder"))
    : el("button", { type: "button", id: "contact-new-order", disabled: true }, t("contacts:card.newOrder"));
  view.replaceChildren(
    el("p", {}, el("a", { href: "#/contacts" }, t("contacts:card.back"))),
    el("div", { class: "toolbar" }, el("h1", { id: "contact-title" }, contact.name), newOrder),
    el("div", { class: "columns-2" },
      el("div", {}, editForm(view, contact, notice)),
      el("div", {}, tabs(contact.id))));
}

/** @param {HTMLElement} view @param {ContactCard} contact @param {string} [notice] */
function editForm(view, contact, notice) {
  const name = /** @type {HTMLInputElement} */ (el("input", { id: "contact-edit-name", maxlength: "200", value: contact.name }));
  const email = /** @type {HTMLInputElement} */ (el("input", { id: "contact-edit-email", type: "email", value: contact.email }));
  const phone = /** @type {HTMLInputElement} */ (el("input", { id: "contact-edit-phone", type: "tel", value: contact.phone ?? "" }));
  const locale = /** @type {HTMLSelectElement} */ (el("select", { id: "contact-edit-locale" },
    ...(contact.locale && !LANGUAGES.includes(contact.locale) ? [contact.locale] : [])
      .concat(contact.locale ? [] : [""]).concat(LANGUAGES)
      .map((code) => el("option", { value: code }, code ? languageName(code) : t("common:none")))));
  locale.value = contact.locale ?? "";
  /** @type {Record<string, FieldSlot>} */
  const slots = {};
  const made = [field(name, t("contacts:card.name")), field(email, t("contacts:card.email")), field(phone, t("contacts:card.phone")),
    field(locale, t("contacts:card.language"))];
  ["name", "email", "phone", "locale"].forEach((path, i) => { slots[path] = made[i].slot; });
  const save = /** @type {HTMLButtonElement} */ (el("button", { type: "submit", id: "contact-save" }, t("contacts:card.save")));
  const formError = el("p", { class: "field-error", id: "contact-form-error", hidden: true });
  const done = el("p", { class: "notice", id: "contact-notice", hidden: !notice }, notice ?? "");
  const form = el("form", { id: "contact-edit", class: "edit-form", novalidate: true },
    ...made.map((m) => m.node), el("div", { class: "actions" }, save), formError, done);
  if (!canWrite()) for (const control of [name, email, phone, locale, save]) control.disabled = true;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, formError);
    done.hidden = true;
    // Only what differs from the card goes out, so a field left alone is never overwritten.
    /** @type {ContactChanges} */
    const changes = {};
    if (name.value.trim() !== contact.name) changes.name = name.value.trim();
    if (email.value.trim() !== contact.email) changes.email = email.value.trim();
    if (phone.value.trim() !== (contact.phone ?? "")) changes.phone = phone.value.trim();
    if (locale.value !== (contact.locale ?? "")) changes.locale = locale.value;
    if (!Object.keys(changes).length) {
      done.textContent = t("contacts:card.unchanged");
      done.hidden = false;
      return;
    }
    save.disabled = true;
    try {
      await patchContact(contact.id, changes);
      renderContact(view, contact.id, { notice: t("contacts:card.saved") });
    } catch (error) {
      showFieldErrors(error, slots, formError);
      save.disabled = false;
    }
  });
  return el("section", { class: "block", id: "contact-details" }, el("h2", {}, t("contacts:card.details")), form,
    el("p", { class: "muted" }, t("contacts:card.added", { date: dateTime(contact.created_at) })));
}

/** The Orders and Emails tabs; each loads its own list, so one that fails leaves the other. @param {string} id */
function tabs(id) {
  const ordersPanel = el("div", { id: "contact-orders", role: "tabpanel", "aria-labelledby": "tab-orders" },
    el("p", { class: "muted" }, t("common:loading")));
  const emailsPanel = el("div", { id: "contact-emails", role: "tabpanel", "aria-labelledby": "tab-emails", hidden: true },
    el("p", { class: "muted" }, t("common:loading")));
  const ordersTab = el("button", { type: "button", role: "tab", id: "tab-orders", class: "tab current",
    "aria-selected": "true", "aria-controls": "contact-orders" }, t("contacts:card.orders"));
  const emailsTab = el("button", { type: "button", role: "tab", id: "tab-emails", class: "tab",
    "aria-selected": "false", "aria-controls": "contact-emails" }, t("contacts:card.emails"));
  const pick = (/** @type {boolean} */ orders) => {
    ordersPanel.hidden = !orders;
    emailsPanel.hidden = orders;
    ordersTab.classList.toggle("current", orders);
    emailsTab.classList.toggle("current", !orders);
    ordersTab.setAttribute("aria-selected", String(orders));
    emailsTab.setAttribute("aria-selected", String(!orders));
  };
  ordersTab.addEventListener("click", () => pick(true));
  emailsTab.addEventListener("click", () => pick(false));
  loadOrders(id, ordersPanel);
  loadEmails(id, emailsPanel);
  return el("section", { class: "block" }, el("div", { class: "tabs", role: "tablist", "aria-label": t("contacts:card.tabs") }, ordersTab, emailsTab), ordersPanel, emailsPanel);
}

/** @param {string} id @param {HTMLElement} panel */
async function loadOrders(id, panel) {
  const rows = el("tbody", { id: "contact-orders-rows" });
  const more = /** @type {HTMLButtonElement} */ (el("button", { type: "button", id: "contact-orders-more", hidden: true }, t("contacts:card.loadMore")));
  /** @param {string | null} cursor */
  const load = async (cursor) => {
    more.disabled = true;
    try {
      const page = await getContactOrders(id, cursor);
      if (cursor === null) {
        panel.replaceChildren(page.items.length
          ? el("table", {}, el("thead", {}, el("tr", {}, ...[t("contacts:card.order"), t("contacts:card.created"), t("contacts:card.stage"), t("contacts:card.payment"),
            t("contacts:card.total")].map((heading) => el("th", { scope: "col" }, heading)))), rows)
          : el("p", { class: "muted" }, t("contacts:card.noOrders")), more);
      }
      rows.append(...page.items.map(orderRow));
      more.hidden = !page.next_cursor;
      more.onclick = () => load(page.next_cursor);
    } catch (error) {
      panel.replaceChildren(el("p", { class: "problem-inline" }, error instanceof Error ? error.message : String(error)));
    } finally {
      more.disabled = false;
    }
  };
  await load(null);
}

/** @param {OrderSummary} order */
const orderRow = (order) => el("tr", { "data-number": String(order.number) },
  el("td", {}, el("a", { href: `#/orders/${order.number}` }, `#${order.number}`)),
  el("td", {}, dateTime(order.created_at)),
  el("td", {}, order.stage.name),
  el("td", {}, words(order.payment_status)),
  el("td", { class: "amount" }, money(order.total, order.currency)));

/** @param {string} id @param {HTMLElement} panel */
async function loadEmails(id, panel) {
  try {
    const page = await getContactNotifications(id);
    panel.replaceChildren(page.items.length
      ? el("table", {}, el("thead", {}, el("tr", {}, ...[t("contacts:card.emailKind"), t("contacts:card.subject"), t("contacts:card.status"), t("contacts:card.sent")]
        .map((heading) => el("th", { scope: "col" }, heading)))),
        el("tbody", { id: "contact-emails-rows" }, ...page.items.map(emailRow)))
      : el("p", { class: "muted" }, t("contacts:card.noEmails")));
  } catch (error) {
    panel.replaceChildren(el("p", { class: "problem-inline" }, error instanceof Error ? error.message : String(error)));
  }
}

/** @param {NotificationSummary} email */
const emailRow = (email) => el("tr", { "data-template": email.template },
  el("td", {}, words(email.template)),
  el("td", {}, email.subject),
  el("td", {}, words(email.status)),
  el("td", {}, dateTime(email.sent_at)));
