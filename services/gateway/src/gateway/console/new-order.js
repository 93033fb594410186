// "+ Order": a manual order typed in by the team. Pipeline (the default preselected) and stage,
// type, managers, comment; the contact found by search or typed in; the currency; product lines
// from the catalog with their price and all their access terms (access-terms.js), a discount on
// the order (an amount or a percent); the payments, paid or not; whether to send
// the payment link and a confirmation. The Idempotency-Key is made once with the form, so a
// double click (or a retry after a lost answer) makes one order. The API's problems are shown on
// the input their field names (`lines.0.price` is the first line's price).

import { createOrder, getContact, listOffers, listPipelines, listProducts, searchContacts } from "./api.js";
import { accessTermsFields } from "./access-terms.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { words } from "./format.js";
import { t } from "./i18n.js";
import { newKey } from "./keys.js";
import { clearProblem, showProblem } from "./problem.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").NewOrder} NewOrder */
/** @typedef {import("./types.js").LineFields} LineFields */
/** @typedef {import("./types.js").PaymentFields} PaymentFields */
/** @typedef {import("./types.js").ContactCard} ContactCard */
/** @typedef {import("./types.js").ProductCard} ProductCard */
/** @typedef {import("./types.js").OfferCard} OfferCard */
/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */

/** @type {NewOrder["type"][]} */
const TYPES = ["regular", "renewal", "upsell", "gift"];
/** @type {PaymentFields["method"][]} */
const METHODS = ["cashless", "cash", "bank_transfer", "other"];

/** "a, b ,, c" → ["a", "b", "c"]. @param {string} text */
const items = (text) => text.split(",").map((item) => item.trim()).filter(Boolean);

/** An input with its label and the place for the API's word on it. @param {HTMLElement} input @param {string} label */
function field(input, label) {
  const error = el("p", { class: "field-error", id: `${input.id}-error`, hidden: true });
  return { node: el("div", { class: "field" }, el("label", { for: input.id }, label), input, error), slot: { input, error } };
}

/**
 * @param {HTMLElement} view
 * @param {string | null} [contactId] the contact chosen already ("+ Order" on a contact's card)
 */
export async function renderNewOrder(view, contactId = null) {
  view.replaceChildren(el("p", {}, el("a", { href: "#/orders" }, t("orders:new.back"))), el("p", { class: "muted" }, t("common:loading")));
  let pipelines, products, offers, given;
  try {
    [pipelines, products, offers, given] = await Promise.all([listPipelines(), listProducts(), listOffers(),
      contactId ? getContact(contactId) : Promise.resolve(null)]);
  } catch (error) {
    showProblem(error);
    return;
  }
  clearProblem();
  const key = newKey();
  // The form does not validate on its own (novalidate): the API says what it takes, on the field.
  /** @type {Record<string, FieldSlot>} */
  const slots = {};
  /** @type {HTMLElement[]} */
  const controls = [];
  const add = (/** @type {string} */ path, /** @type {ReturnType<typeof field>} */ made) => {
    slots[path] = made.slot;
    controls.push(made.slot.input);
    return made.node;
  };

  // What the order is.
  const pipeline = /** @type {HTMLSelectElement} */ (el("select", { id: "order-pipeline" },
    ...pipelines.items.map((p) => el("option", { value: p.id }, p.name))));
  pipeline.value = (pipelines.items.find((p) => p.is_default) ?? pipelines.items[0])?.id ?? "";
  const stage = /** @type {HTMLSelectElement} */ (el("select", { id: "order-stage" }));
  const stages = () => {
    const chosen = pipelines.items.find((p) => p.id === pipeline.value);
    stage.replaceChildren(...(chosen?.stages ?? []).map((s) => el("option", { value: s.id }, s.name)));
  };
  stages();
  pipeline.addEventListener("change", stages);
  const type = /** @type {HTMLSelectElement} */ (el("select", { id: "order-type" }, ...TYPES.map((name) => el("option", { value: name }, words(name)))));
  const managers = /** @type {HTMLInputElement} */ (el("input", { id: "order-managers", placeholder: t("orders:new.managersPlaceholder") }));
  const comment = /** @type {HTMLTextAreaElement} */ (el("textarea", { id: "order-comment", rows: "2" }));
  const currency = /** @type {HTMLInputElement} */ (el("input", { id: "order-currency", required: true, maxlength: "3",
    value: offers.items[0]?.currency ?? "", placeholder: "UAH" }));

  // The contact: one the school has, found by search, or a new one typed in.
  /** @type {ContactCard | null} */
  let chosen = null;
  const search = /** @type {HTMLInputElement} */ (el("input", { id: "contact-search", type: "search", placeholder: t("orders:new.contactPlaceholder") }));
  const find = /** @type {HTMLButtonElement} */ (el("button", { type: "button", id: "contact-find" }, t("orders:new.find")));
  const results = el("ul", { id: "contact-results", class: "contact-results" });
  const chosenNote = el("p", { id: "contact-chosen", hidden: true });
  const name = /** @type {HTMLInputElement} */ (el("input", { id: "contact-name", maxlength: "200" }));
  const email = /** @type {HTMLInputElement} */ (el("input", { id: "contact-email", type: "email" }));
  const phone = /** @type {HTMLInputElement} */ (el("input", { id: "contact-phone", type: "tel" }));
  const typedIn = el("div", { class: "filters", id: "contact-new" },
    add("contact.name", field(name, t("orders:new.name"))), add("contact.email", field(email, t("orders:new.email"))), add("contact.phone", field(phone, t("orders:new.phone"))));
  const choose = (/** @type {ContactCard | null} */ contact) => {
    chosen = contact;
    chosenNote.hidden = !contact;
    typedIn.hidden = Boolean(contact);
    results.replaceChildren();
    if (contact) {
      const clear = el("button", { type: "button", id: "contact-clear" }, t("orders:new.anotherContact"));
      clear.addEventListener("click", () => choose(null));
      chosenNote.replaceChildren(el("strong", {}, contact.name), ` ${contact.email} `, clear);
    }
  };
  const findContacts = async () => {
    find.disabled = true;
    try {
      const page = await searchContacts(search.value.trim());
      results.replaceChildren(...(page.items.length ? page.items.map((contact) => {
        const pick = el("button", { type: "button", class: "choose-contact", "data-contact": contact.id }, `${contact.name} <${contact.email}>`);
        pick.addEventListener("click", () => choose(contact));
        return el("li", {}, pick);
      }) : [el("li", { class: "muted" }, t("orders:new.noContact"))]));
    } catch (error) {
      showProblem(error);
    } finally {
      find.disabled = false;
    }
  };
  find.addEventListener("click", findContacts);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      findContacts();
    }
  });
  const contactError = el("p", { class: "field-error", id: "contact-error", hidden: true });
  slots.contact = slots.contact_id = { input: search, error: contactError };
  if (given) choose(given);

  // The product lines.
  const lines = el("div", { id: "order-lines" });
  /** @type {{ node: HTMLElement, value: () => LineFields, slots: (path: string) => Record<string, FieldSlot> }[]} */
  let lineRows = [];
  let made = 0;
  const addLine = () => {
    const id = `line-${made++}`;
    const product = /** @type {HTMLSelectElement} */ (el("select", { id: `${id}-product`, class: "line-product" },
      el("option", { value: "" }, t("orders:new.chooseProduct")), ...products.items.map((p) => el("option", { value: p.id }, p.title))));
    const price = /** @type {HTMLInputElement} */ (el("input", { id: `${id}-price`, class: "line-price", inputmode: "decimal", placeholder: "0.00" }));
    // An offer of this product in the order's currency suggests its price; the team may change it.
    product.addEventListener("change", () => {
      const offered = offers.items.filter((o) => o.currency === currency.value.trim())
        .flatMap((o) => o.items).find((i) => i.product_id === product.value);
      if (offered && !price.value) price.value = offered.price;
    });
    const terms = accessTermsFields(id, { writable: canWrite() });
    // The line's lessons are its product's: the terms name them.
    product.addEventListener("change", () => terms.setProduct(products.items.find((p) => p.id === product.value) ?? null));
    const productField = field(product, t("orders:new.product"));
    const priceField = field(price, t("orders:new.price"));
    const remove = el("button", { type: "button", class: "line-remove" }, t("orders:new.remove"));
    const node = el("fieldset", { class: "order-line filters", "data-line": id }, el("legend", {}, t("orders:new.product")),
      productField.node, priceField.node, ...terms.nodes, el("div", { class: "actions" }, remove));
    const row = {
      node,
      /** @returns {LineFields} */
      // The price goes as the text typed: the API reads it as a decimal, never a float.
      value: () => ({ product_id: product.value, price: price.value.trim(), access: terms.value() }),
      /** @param {string} path */
      slots: (path) => ({ [`${path}.product_id`]: productField.slot, [`${path}.price`]: priceField.slot, [path]: priceField.slot, ...terms.slots(path) }),
    };
    remove.addEventListener("click", () => {
      lineRows = lineRows.filter((r) => r !== row);
      node.remove();
    });
    for (const control of [product, price, remove, ...terms.controls]) controls.push(control);
    lineRows.push(row);
    lines.append(node);
    if (!canWrite()) for (const control of controls) /** @type {HTMLInputElement} */ (control).disabled = true;
  };
  const addLineButton = el("button", { type: "button", id: "add-line" }, t("orders:new.addProduct"));
  addLineButton.addEventListener("click", addLine);
  const linesError = el("p", { class: "field-error", id: "lines-error", hidden: true });
  slots.lines = { input: lines, error: linesError };
  addLine();

  // A discount on the whole order: an amount off, or a percent of the lines' sum.
  const discountKind = /** @type {HTMLSelectElement} */ (el("select", { id: "order-discount-kind", "aria-label": t("orders:new.discountKind") },
    el("option", { value: "amount" }, t("orders:new.amountOff")), el("option", { value: "percent" }, t("orders:new.percent"))));
  const discountValue = /** @type {HTMLInputElement} */ (el("input", { id: "order-discount", inputmode: "decimal", placeholder: "0" }));
  const discountField = field(discountValue, t("orders:new.discount"));
  slots.discount = slots["discount.value"] = discountField.slot;
  slots["discount.kind"] = { input: discountKind, error: discountField.slot.error };
  controls.push(discountKind, discountValue);

  // The payments; none means one payment of the total, as the API plans it.
  const paymentsList = el("div", { id: "order-payments" });
  /** @type {{ value: () => PaymentFields, slots: (path: string) => Record<string, FieldSlot> }[]} */
  let paymentRows = [];
  let planned = 0;
  const addPaymentRow = () => {
    const id = `payment-${planned++}`;
    const amount = /** @type {HTMLInputElement} */ (el("input", { id: `${id}-amount`, class: "payment-amount", inputmode: "decimal", placeholder: "0.00" }));
    const due = /** @type {HTMLInputElement} */ (el("input", { id: `${id}-due`, type: "date" }));
    const paid = /** @type {HTMLInputElement} */ (el("input", { id: `${id}-paid`, type: "checkbox", class: "payment-paid" }));
    const method = /** @type {HTMLSelectElement} */ (el("select", { id: `${id}-method` }, ...METHODS.map((m) => el("option", { value: m }, words(m)))));
    const amountField = field(amount, t("orders:new.amount"));
    const dueField = field(due, t("orders:new.plannedDate"));
    const paidField = field(paid, t("orders:new.paidAlready"));
    const methodField = field(method, t("orders:new.method"));
    const remove = el("button", { type: "button", class: "payment-remove" }, t("orders:new.remove"));
    const node = el("fieldset", { class: "order-payment filters" }, el("legend", {}, t("orders:new.payment")),
      amountField.node, dueField.node, paidField.node, methodField.node, el("div", { class: "actions" }, remove));
    const today = () => new Date().toLocaleDateString("en-CA");
    const row = {
      /** @returns {PaymentFields} */
      value: () => ({
        amount: amount.value.trim(),
        // A date alone: the API reads it in the school's own time zone.
        due_at: due.value || null,
        method: METHODS.find((m) => m === method.value) ?? "cashless",
        ...(paid.checked ? { paid_at: due.value || today() } : {}),
      }),
      /** @param {string} path */
      slots: (path) => ({ [`${path}.amount`]: amountField.slot, [path]: amountField.slot, [`${path}.due_at`]: dueField.slot,
        [`${path}.paid_at`]: paidField.slot, [`${path}.method`]: methodField.slot }),
    };
    remove.addEventListener("click", () => {
      paymentRows = paymentRows.filter((r) => r !== row);
      node.remove();
    });
    for (const control of [amount, due, paid, method, remove]) controls.push(control);
    paymentRows.push(row);
    paymentsList.append(node);
    if (!canWrite()) for (const control of controls) /** @type {HTMLInputElement} */ (control).disabled = true;
  };
  const addPaymentButton = el("button", { type: "button", id: "add-order-payment" }, t("orders:new.addPayment"));
  addPaymentButton.addEventListener("click", addPaymentRow);
  const paymentsError = el("p", { class: "field-error", id: "payments-error", hidden: true });
  slots.payments = { input: paymentsList, error: paymentsError };

  const sendLink = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", id: "order-send-link", checked: true }));
  const sendConfirmation = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", id: "order-send-confirmation" }));
  const save = /** @type {HTMLButtonElement} */ (el("button", { type: "submit", id: "order-save" }, t("orders:new.save")));
  const formError = el("p", { class: "field-error form-error", id: "order-form-error", hidden: true });
  const form = /** @type {HTMLFormElement} */ (el("form", { id: "new-order", class: "new-order", novalidate: true },
    el("section", { class: "block" }, el("h2", {}, t("orders:new.order")), el("div", { class: "filters" },
      add("pipeline_id", field(pipeline, t("orders:new.pipeline"))), add("stage_id", field(stage, t("orders:new.stage"))),
      add("type", field(type, t("orders:new.type"))), add("managers", field(managers, t("orders:new.managers"))), add("currency", field(currency, t("orders:new.currency")))),
    add("comment", field(comment, t("orders:new.comment")))),
    el("section", { class: "block", id: "order-contact" }, el("h2", {}, t("orders:new.contact")),
      el("div", { class: "field" }, el("label", { for: search.id }, t("orders:new.schoolContact")),
        el("div", { class: "search" }, search, find)), contactError, results, chosenNote,
      el("p", { class: "muted" }, t("orders:new.orNewContact")), typedIn),
    el("section", { class: "block" }, el("h2", {}, t("orders:new.products")), lines, linesError, addLineButton,
      el("div", { class: "inline-fields discount-fields", id: "order-discount-fields" }, discountKind, discountField.node)),
    el("section", { class: "block" }, el("h2", {}, t("orders:new.payments")),
      el("p", { class: "muted" }, t("orders:new.noPayments")), paymentsList, paymentsError, addPaymentButton),
    el("section", { class: "block" },
      el("label", { for: sendLink.id }, sendLink, ` ${t("orders:new.sendLink")}`), " ",
      el("label", { for: sendConfirmation.id }, sendConfirmation, ` ${t("orders:new.sendConfirmation")}`),
      el("div", { class: "actions" }, save), formError)));
  controls.push(pipeline, stage, type, managers, comment, currency, search, find, name, email, phone,
    addLineButton, addPaymentButton, sendLink, sendConfirmation, save);
  if (!canWrite()) {
    for (const control of controls) {
      /** @type {HTMLInputElement} */ (control).disabled = true;
      control.title = t("common:viewerOnly");
    }
  }

  /** @returns {NewOrder} */
  function body() {
    const contact = chosen ? { contact_id: chosen.id }
      : { contact: { name: name.value.trim(), email: email.value.trim(), ...(phone.value.trim() ? { phone: phone.value.trim() } : {}) } };
    return {
      pipeline_id: pipeline.value || null, stage_id: stage.value || null,
      type: TYPES.find((name) => name === type.value) ?? "regular",
      managers: items(managers.value),
      ...(comment.value.trim() ? { comment: comment.value } : {}),
      ...contact,
      currency: currency.value.trim().toUpperCase(),
      lines: lineRows.map((row) => row.value()),
      // The discount goes as the text typed, never through a float.
      discount: { kind: discountKind.value === "percent" ? "percent" : "amount", value: discountValue.value.trim() || "0" },
      payments: paymentRows.map((row) => row.value()),
      send_payment_link: sendLink.checked, send_confirmation: sendConfirmation.checked,
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // The rows as sent now are the indexes the API's problems name.
    const all = { ...slots, ...Object.assign({}, ...lineRows.map((row, i) => row.slots(`lines.${i}`)),
      ...paymentRows.map((row, i) => row.slots(`payments.${i}`))) };
    clearFieldErrors(all, formError);
    save.disabled = true;
    try {
      const sent = body();
      const card = await createOrder(sent, key);
      // Paid payments count once the payments service confirms them: the card waits for that.
      const paid = (sent.payments ?? []).some((payment) => payment.paid_at);
      location.hash = paid ? `#/orders/${card.number}?after=${card.version}` : `#/orders/${card.number}`;
    } catch (error) {
      showFieldErrors(error, all, formError);
      save.disabled = false;
    }
  });

  view.replaceChildren(el("p", {}, el("a", { href: "#/orders" }, t("orders:new.back"))), el("h1", {}, t("orders:new.title")), form);
}
