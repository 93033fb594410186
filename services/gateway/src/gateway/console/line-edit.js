// A product line's terms changed on the card: its title, price and access terms (the one form of
// access-terms.js, as offers and "+ Order" have it), saved with PATCH on the version the card
// showed (If-Match); a line added from the catalog and a line removed, the same way. A 409
// is the card's own notice (conflict.js) with a Reload, never a retry; the API's other problems
// go on the input they name. Changing a line that came from an offer makes the order's own copy
// of the offer ("(Copy system)"), which the card then names above the line.

import { addLine, getProduct, listProducts, patchLine, removeLine } from "./api.js";
import { accessTermsFields } from "./access-terms.js";
import { conflictNotice, isConflict } from "./conflict.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { field, lockUnless, textInput } from "./fields.js";
import { t } from "./i18n.js";
import { newKey } from "./keys.js";
import { saveRow } from "./school-settings.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").OrderCard} OrderCard */
/** @typedef {import("./types.js").LineView} LineView */
/** @typedef {import("./types.js").LineChanges} LineChanges */
/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */
/** @typedef {{ saved: () => void, reload: () => void }} Then */

const VIEWER_NOTE = t("card:viewerNote");

/** @param {HTMLElement[]} controls */
function lockForViewer(controls) {
  lockUnless(canWrite(), controls);
  if (!canWrite()) for (const control of controls) control.title = VIEWER_NOTE;
}

/**
 * The line's editor, folded under its block, and its Remove.
 * @param {OrderCard} card @param {LineView} line @param {number} n the line's place on the card @param {Then} then
 */
export function lineEditor(card, line, n, then) {
  const id = `card-line-${n}`;
  const title = textInput(`${id}-title`, line.product_title, { maxlength: "300" });
  const price = textInput(`${id}-price`, line.price, { inputmode: "decimal" });
  // An order takes a day alone (read in the school's time zone); the lessons are the product's,
  // fetched when the editor is first opened.
  const terms = accessTermsFields(id, { terms: line.access, dates: "day", writable: canWrite() });
  const made = { product_title: field(title, t("card:lineEdit.title")), price: field(price, t("card:lineEdit.price", { currency: card.currency })) };
  /** @type {Record<string, FieldSlot>} */
  const slots = { product_title: made.product_title.slot, price: made.price.slot, ...terms.slots("") };
  // Access is sent only when one of its inputs was touched: otherwise the terms stay as they are.
  // Listened for on the form's own nodes, so the lessons' inputs drawn later count too.
  let accessTouched = false;
  for (const node of terms.nodes) {
    node.addEventListener("change", () => { accessTouched = true; });
    node.addEventListener("input", () => { accessTouched = true; });
  }
  const row = saveRow(id);
  const conflict = el("div", { class: "line-conflict" });
  const form = el("form", { id: `${id}-form`, class: "edit-form line-form", novalidate: true },
    made.product_title.node, made.price.node, ...terms.nodes, row.node, row.formError, conflict);
  const remove = /** @type {HTMLButtonElement} */ (el("button", { type: "button", id: `${id}-remove`, class: "line-remove" }, t("card:lineEdit.removeProduct")));
  lockForViewer([title, price, ...terms.controls, row.save, remove]);

  /** @returns {LineChanges} */
  function changes() {
    /** @type {LineChanges} */
    const changed = {};
    if (title.value.trim() !== line.product_title) changed.product_title = title.value.trim();
    if (price.value.trim() !== line.price) changed.price = price.value.trim();
    if (accessTouched) changed.access = terms.value();
    return changed;
  }

  /** @param {unknown} error */
  function refused(error) {
    if (isConflict(error)) conflict.replaceChildren(conflictNotice(then.reload, error));
    else showFieldErrors(error, slots, row.formError);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, row.formError);
    conflict.replaceChildren();
    const body = changes();
    if (!Object.keys(body).length) {
      row.said(t("card:nothingToSave"));
      return;
    }
    row.save.disabled = true;
    try {
      await patchLine(card.id, line.id, card.version, body);
      then.saved();
    } catch (error) {
      row.save.disabled = false;
      refused(error);
    }
  });
  remove.addEventListener("click", async () => {
    clearFieldErrors(slots, row.formError);
    conflict.replaceChildren();
    remove.disabled = true;
    try {
      await removeLine(card.id, line.id, card.version);
      then.saved();
    } catch (error) {
      remove.disabled = false;
      refused(error);
    }
  });
  const panel = /** @type {HTMLDetailsElement} */ (el("details", { class: "line-edit", id: `${id}-edit` },
    el("summary", {}, t("card:lineEdit.changeTerms")), form, el("div", { class: "actions" }, remove)));
  let loaded = false;
  panel.addEventListener("toggle", async () => {
    if (!panel.open || loaded) return;
    loaded = true;
    try {
      terms.setProduct(await getProduct(line.product_id));
    } catch {
      // The product is gone from the catalog or not there yet: its lessons are not listed, and
      // the terms naming them go back as they came.
      loaded = false;
    }
  });
  return panel;
}

/**
 * "+ Product" on the card: a product from the catalog, its price and access terms, added on the
 * version the card showed. The catalog is fetched when the form is first opened.
 * @param {OrderCard} card @param {Then} then
 */
export function addLineForm(card, then) {
  const id = "card-new-line";
  // Made with the form: a second click, or a retry after a lost answer, adds the line once.
  const key = newKey();
  const product = /** @type {HTMLSelectElement} */ (el("select", { id: `${id}-product` }, el("option", { value: "" }, t("card:lineEdit.chooseProduct"))));
  const title = textInput(`${id}-title`, "", { maxlength: "300", placeholder: t("card:lineEdit.productsOwn") });
  const price = textInput(`${id}-price`, "", { inputmode: "decimal", placeholder: "0.00" });
  const terms = accessTermsFields(id, { dates: "day", writable: canWrite() });
  const made = { product_id: field(product, t("card:lineEdit.product")), product_title: field(title, t("card:lineEdit.titleOnOrder")),
    price: field(price, t("card:lineEdit.price", { currency: card.currency })) };
  /** @type {Record<string, FieldSlot>} */
  const slots = { product_id: made.product_id.slot, product_title: made.product_title.slot, price: made.price.slot, ...terms.slots("") };
  const row = saveRow(id);
  row.save.textContent = t("card:lineEdit.add");
  const conflict = el("div", { class: "line-conflict" });
  const form = el("form", { id: `${id}-form`, class: "edit-form", novalidate: true },
    made.product_id.node, made.product_title.node, made.price.node, ...terms.nodes, row.node, row.formError, conflict);
  lockForViewer([product, title, price, ...terms.controls, row.save]);
  const panel = /** @type {HTMLDetailsElement} */ (el("details", { id: `${id}-panel`, class: "add-line" }, el("summary", {}, t("card:lineEdit.addProduct")), form));
  /** @type {import("./types.js").ProductCard[]} */
  let products = [];
  // The line's lessons are its product's: the terms name them.
  product.addEventListener("change", () => terms.setProduct(products.find((p) => p.id === product.value) ?? null));
  let loaded = false;
  panel.addEventListener("toggle", async () => {
    if (!panel.open || loaded) return;
    loaded = true;
    try {
      products = (await listProducts()).items;
      product.append(...products.map((p) => el("option", { value: p.id }, p.title)));
    } catch (error) {
      loaded = false;
      showFieldErrors(error, slots, row.formError);
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, row.formError);
    conflict.replaceChildren();
    row.save.disabled = true;
    try {
      // The price goes as the text typed: the API reads it as a decimal, never a float.
      await addLine(card.id, card.version, { product_id: product.value, price: price.value.trim(),
        product_title: title.value.trim() || null, access: terms.value() }, key);
      then.saved();
    } catch (error) {
      row.save.disabled = false;
      if (isConflict(error)) conflict.replaceChildren(conflictNotice(then.reload, error));
      else showFieldErrors(error, slots, row.formError);
    }
  });
  return panel;
}
