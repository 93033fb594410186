// An offer, new or edited: its title, currency and status; its lines, each a product of the
// catalog at its price with the access it grants (access-terms.js), added and removed; the
// discount (an amount or a percent); the payment plan (none: one payment of the total; or a
// regular payment, or a prepayment and surcharges, each with its amount, the day it is due and
// whether access waits for it); the curators. A new offer makes its Idempotency-Key once per
// form, so a double click makes one offer. A change is saved on the version the page showed
// (If-Match): a change someone made meanwhile is the API's 409, and the page says so and offers
// the fresh offer, never retrying (that would overwrite the other change). Amounts go as the text
// typed, never through a float. The API's problems go on the input their field names
// (`items.1.access.end`, `payment_plan.2.due_at`).

import { ApiError, createOffer, getOffer, listProducts, patchOffer } from "./api.js";
import { accessTermsFields } from "./access-terms.js";
import { dayOf, dayStart } from "./dates.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { field, lockUnless, textInput } from "./fields.js";
import { money, words } from "./format.js";
import { language, t } from "./i18n.js";
import { newKey } from "./keys.js";
import { clearProblem, showProblem } from "./problem.js";
import { saveRow } from "./school-settings.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").OfferCard} OfferCard */
/** @typedef {import("./types.js").OfferIn} OfferIn */
/** @typedef {import("./types.js").OfferItemIn} OfferItemIn */
/** @typedef {import("./types.js").PlanPaymentIn} PlanPaymentIn */
/** @typedef {import("./types.js").ProductCard} ProductCard */
/** @typedef {import("./types.js").Schemas} Schemas */
/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */
/** @typedef {{ node: HTMLElement, value: () => OfferItemIn, slots: (path: string) => Record<string, FieldSlot> }} LineRow */
/** @typedef {{ node: HTMLElement, type: HTMLSelectElement, value: () => PlanPaymentIn, slots: (path: string) => Record<string, FieldSlot> }} PlanRow */

export const OFFER_CONFLICT_TEXT = t("catalog:offer.conflict");

/** @type {PlanPaymentIn["type"][]} */
const PLAN_TYPES = ["regular", "prepayment", "surcharge"];

/** "a, b ,, c" → ["a", "b", "c"]. @param {string} text */
const items = (text) => text.split(",").map((item) => item.trim()).filter(Boolean);

/** @param {HTMLElement} view @param {string | null} id null: a new offer @param {{ notice?: string }} [shown] */
export async function renderOffer(view, id, { notice } = {}) {
  const back = el("p", {}, el("a", { href: "#/catalog" }, t("catalog:back")));
  view.replaceChildren(back, el("p", { class: "muted" }, t("catalog:loading")));
  /** @type {OfferCard | null} */
  let found = null;
  let products;
  try {
    [found, { items: products }] = await Promise.all([id ? getOffer(id) : Promise.resolve(null), listProducts()]);
  } catch (error) {
    view.replaceChildren(back);
    showProblem(error);
    return;
  }
  clearProblem();
  const offer = found;
  const key = newKey();
  const writable = canWrite();
  /** @type {HTMLElement[]} every control, for a viewer to see them all disabled */
  const controls = [];
  const lock = () => lockUnless(writable, controls);

  const title = textInput("offer-title", offer?.title ?? "", { maxlength: "300" });
  const currency = textInput("offer-currency", offer?.currency ?? "", { maxlength: "3", placeholder: "UAH" });
  const status = /** @type {HTMLSelectElement} */ (el("select", { id: "offer-status" },
    ...["active", "archived"].map((s) => el("option", { value: s }, words(s)))));
  status.value = offer?.status ?? "active";
  const discountKind = /** @type {HTMLSelectElement} */ (el("select", { id: "offer-discount-kind", "aria-label": t("catalog:offer.discountKind") },
    el("option", { value: "amount" }, t("catalog:offer.amountOff")), el("option", { value: "percent" }, t("catalog:offer.percent"))));
  discountKind.value = offer?.discount_rule.kind ?? "amount";
  const discountValue = textInput("offer-discount", offer?.discount_rule.value ?? "", { inputmode: "decimal", placeholder: "0" });
  const curators = textInput("offer-curators", (offer?.curators ?? []).join(", "), { placeholder: t("catalog:offer.commaSeparated") });
  const made = { title: field(title, t("catalog:offer.title")), currency: field(currency, t("catalog:offer.currency")),
    status: field(status, t("catalog:offer.status")), discount: field(discountValue, t("catalog:offer.discount")),
    curators: field(curators, t("catalog:offer.curators")) };
  controls.push(title, currency, status, discountKind, discountValue, curators);
  /** @type {Record<string, FieldSlot>} */
  const slots = {
    title: made.title.slot, currency: made.currency.slot, status: made.status.slot, discount: made.discount.slot,
    "discount.kind": { input: discountKind, error: made.discount.slot.error }, curators: made.curators.slot,
  };

  // The lines: an offer's own are shown by their product; a new one chooses it from the catalog.
  const lines = el("div", { id: "offer-lines" });
  /** @type {LineRow[]} */
  let lineRows = [];
  let drawn = 0;
  /** @param {Schemas["OfferLineView"] | null} line */
  const addLine = (line) => {
    const id = `offer-line-${drawn++}`;
    const product = /** @type {HTMLSelectElement} */ (el("select", { id: `${id}-product`, class: "line-product" },
      el("option", { value: "" }, t("catalog:offer.chooseProduct")), ...products.map((p) => el("option", { value: p.id }, p.title))));
    if (line) {
      if (!products.some((p) => p.id === line.product_id)) product.append(el("option", { value: line.product_id }, line.product_title));
      product.value = line.product_id;
      // A line keeps its product: its access names that product's lessons.
      product.disabled = true;
    }
    const price = textInput(`${id}-price`, line?.price ?? "", { inputmode: "decimal", class: "line-price", placeholder: "0.00" });
    const productOf = () => products.find((p) => p.id === product.value) ?? null;
    const terms = accessTermsFields(id, { terms: line?.access ?? null, product: productOf(), dates: "moment", writable });
    product.addEventListener("change", () => terms.setProduct(productOf()));
    const productField = field(product, t("catalog:offer.product"));
    const priceField = field(price, offer ? t("catalog:offer.priceIn", { currency: offer.currency }) : t("catalog:offer.price"));
    const remove = el("button", { type: "button", id: `${id}-remove`, class: "line-remove" }, t("catalog:offer.removeLine"));
    const node = el("fieldset", { class: "order-line", "data-line": line?.product_id ?? "" }, el("legend", {}, line?.product_title ?? t("catalog:offer.newLine")),
      el("div", { class: "filters" }, productField.node, priceField.node), ...terms.nodes, el("div", { class: "actions" }, remove));
    /** @type {LineRow} */
    const row = {
      node,
      value: () => ({ product_id: product.value, price: price.value.trim(), access: /** @type {Schemas["AccessTerms"]} */ (terms.value()) }),
      slots: (path) => ({ [`${path}.product_id`]: productField.slot, [`${path}.price`]: priceField.slot, [path]: priceField.slot,
        ...terms.slots(path) }),
    };
    remove.addEventListener("click", () => {
      lineRows = lineRows.filter((r) => r !== row);
      node.remove();
    });
    controls.push(...(line ? [] : [product]), price, remove, ...terms.controls);
    lineRows.push(row);
    lines.append(node);
    lock();
  };
  for (const line of offer?.items ?? []) addLine(line);
  if (!offer) addLine(null);
  const addLineButton = el("button", { type: "button", id: "offer-add-line" }, t("catalog:offer.addLine"));
  addLineButton.addEventListener("click", () => addLine(null));
  const linesError = el("p", { class: "field-error", id: "offer-lines-error", hidden: true });
  slots.items = { input: lines, error: linesError };

  // The plan: no row is one payment of the total, due at once.
  const planList = el("div", { id: "offer-plan" });
  /** @type {PlanRow[]} */
  let planRows = [];
  let planned = 0;
  /** @param {Schemas["PlannedPaymentView"] | null} payment */
  const addPayment = (payment) => {
    const id = `offer-plan-${planned++}`;
    const type = /** @type {HTMLSelectElement} */ (el("select", { id: `${id}-type` }, ...PLAN_TYPES.map((name) => el("option", { value: name }, words(name)))));
    type.value = payment?.type ?? (planRows.length ? "surcharge" : "regular");
    // A plan of several payments starts with a prepayment: the first row follows the second.
    if (!payment && planRows.length === 1 && planRows[0].type.value === "regular") planRows[0].type.value = "prepayment";
    const amount = textInput(`${id}-amount`, payment?.amount ?? "", { inputmode: "decimal", placeholder: "0.00" });
    const due = textInput(`${id}-due`, dayOf(payment?.due_at), { type: "date" });
    const closes = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", id: `${id}-closes`, checked: payment?.closes_access ?? false }));
    const typeField = field(type, t("catalog:offer.type"));
    const amountField = field(amount, !payment ? t("catalog:offer.amount") : payment.due_at
      ? t("catalog:offer.amountDue", { type: words(payment.type), date: new Intl.DateTimeFormat(language()).format(new Date(payment.due_at)) })
      : t("catalog:offer.amountAtOnce", { type: words(payment.type) }));
    const dueField = field(due, t("catalog:offer.due"));
    const closesField = field(closes, t("catalog:offer.closesAccess"));
    const remove = el("button", { type: "button", id: `${id}-remove`, class: "payment-remove" }, t("catalog:remove"));
    const node = el("fieldset", { class: "order-payment filters" }, el("legend", {}, t("catalog:offer.payment")),
      typeField.node, amountField.node, dueField.node, closesField.node, el("div", { class: "actions" }, remove));
    /** @type {PlanRow} */
    const row = {
      node, type,
      value: () => ({ type: PLAN_TYPES.find((name) => name === type.value) ?? "regular", amount: amount.value.trim(),
        due_at: dayStart(due.value), closes_access: closes.checked }),
      slots: (path) => ({ [path]: amountField.slot, [`${path}.amount`]: amountField.slot, [`${path}.type`]: typeField.slot,
        [`${path}.due_at`]: dueField.slot, [`${path}.closes_access`]: closesField.slot }),
    };
    remove.addEventListener("click", () => {
      planRows = planRows.filter((r) => r !== row);
      node.remove();
    });
    controls.push(type, amount, due, closes, remove);
    planRows.push(row);
    planList.append(node);
    lock();
  };
  // One regular payment due at once with nothing waiting for it is no plan at all: no row.
  const plan = offer?.payment_plan ?? [];
  const split = plan.length > 1 || plan.some((p) => p.due_at || p.closes_access);
  if (split) for (const payment of plan) addPayment(payment);
  const addPaymentButton = el("button", { type: "button", id: "offer-add-payment" }, t("catalog:offer.addPayment"));
  addPaymentButton.addEventListener("click", () => addPayment(null));
  const planError = el("p", { class: "field-error", id: "offer-plan-error", hidden: true });
  slots.payment_plan = { input: planList, error: planError };

  const row = saveRow("offer");
  if (!offer) row.save.textContent = t("catalog:offer.addSave");
  if (notice) row.said(notice);
  const conflict = el("div", { id: "offer-conflict", hidden: true });
  const form = el("form", { id: "offer-form", class: "offer-form", novalidate: true },
    el("div", { class: "filters" }, made.title.node, made.currency.node, made.status.node, made.curators.node),
    el("h2", {}, t("catalog:offer.lines")), lines, linesError, addLineButton,
    el("h2", {}, t("catalog:offer.discountHeading")), el("div", { class: "inline-fields discount-fields" }, discountKind, made.discount.node),
    el("h2", {}, t("catalog:offer.plan")), el("p", { class: "muted" }, t("catalog:offer.noPlan")), planList, planError, addPaymentButton,
    row.node, row.formError, conflict);
  controls.push(addLineButton, addPaymentButton, row.save);
  lock();

  /** @returns {OfferIn} */
  const body = () => ({
    title: title.value.trim(), currency: currency.value.trim().toUpperCase(),
    status: status.value === "archived" ? "archived" : "active",
    items: lineRows.map((r) => r.value()),
    discount: { kind: discountKind.value === "percent" ? "percent" : "amount", value: discountValue.value.trim() || "0" },
    // null: no split plan, one payment of the total.
    payment_plan: planRows.length ? planRows.map((r) => r.value()) : null,
    curators: items(curators.value),
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // The rows as sent now are the indexes the API's problems name.
    const all = { ...slots, ...Object.assign({}, ...lineRows.map((r, i) => r.slots(`items.${i}`)),
      ...planRows.map((r, i) => r.slots(`payment_plan.${i}`))) };
    clearFieldErrors(all, row.formError);
    conflict.hidden = true;
    row.save.disabled = true;
    try {
      if (offer) {
        await patchOffer(offer.id, offer.version, body());
        renderOffer(view, offer.id, { notice: t("catalog:saved") });
      } else {
        const saved = await createOffer(body(), key);
        location.hash = `#/catalog/offers/${saved.id}`;
      }
    } catch (error) {
      row.save.disabled = false;
      if (offer && error instanceof ApiError && error.status === 409) {
        const reload = el("button", { type: "button", id: "offer-reload" }, t("catalog:offer.reload"));
        reload.addEventListener("click", () => renderOffer(view, offer.id));
        conflict.replaceChildren(el("div", { class: "conflict", role: "alert" },
          el("span", { class: "conflict-text" }, OFFER_CONFLICT_TEXT), " ", reload,
          error.problem.detail ? el("div", { class: "muted conflict-detail" }, error.problem.detail) : null));
        conflict.hidden = false;
      } else showFieldErrors(error, all, row.formError);
    }
  });
  const figures = offer ? [el("p", { class: "muted" }, t("catalog:offer.figures", { version: offer.version, subtotal: money(offer.subtotal, offer.currency) }),
      money(offer.discount, offer.currency), t("catalog:offer.total"), el("strong", { id: "offer-total" }, money(offer.total, offer.currency)))] : [];
  view.replaceChildren(back, el("h1", { id: "offer-heading" }, offer ? offer.title : t("catalog:offer.new")), ...figures,
    el("section", { class: "block" }, form));
}
