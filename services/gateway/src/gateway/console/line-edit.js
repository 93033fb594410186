// A product line's terms changed on the card: its title, price and access terms (when access
// starts and ends, checkpoints, comments, the certificate), saved with PATCH on the version the
// card showed (If-Match); a line added from the catalog and a line removed, the same way. A 409
// is the card's own notice (conflict.js) with a Reload, never a retry; the API's other problems
// go on the input they name. Changing a line that came from an offer makes the order's own copy
// of the offer ("(Copy system)"), which the card then names above the line.

import { addLine, listProducts, patchLine, removeLine } from "./api.js";
import { accessTermsFields } from "./access-terms.js";
import { conflictNotice, isConflict } from "./conflict.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { field, lockUnless, textInput } from "./fields.js";
import { words } from "./format.js";
import { saveRow } from "./school-settings.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").OrderCard} OrderCard */
/** @typedef {import("./types.js").LineView} LineView */
/** @typedef {import("./types.js").LineChanges} LineChanges */
/** @typedef {import("./types.js").Schemas} Schemas */
/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */
/** @typedef {{ saved: () => void, reload: () => void }} Then */

const VIEWER_NOTE = "A viewer sees the order and changes nothing";
/** @type {NonNullable<Schemas["AccessInput"]["certificate"]>[]} */
const CERTIFICATES = ["none", "on_completion", "conditional"];

/** @param {HTMLElement[]} controls */
function lockForViewer(controls) {
  lockUnless(canWrite(), controls);
  if (!canWrite()) for (const control of controls) control.title = VIEWER_NOTE;
}

/**
 * What the form shows of a line's other access terms (beside start and end), and reads back.
 * @param {string} id @param {Schemas["AccessTerms"] | undefined} access
 */
function otherTerms(id, access) {
  const checkpoints = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", id: `${id}-checkpoints` }));
  checkpoints.checked = access?.checkpoints !== false;
  const comments = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", id: `${id}-comments` }));
  comments.checked = access?.comments !== false;
  const certificate = /** @type {HTMLSelectElement} */ (el("select", { id: `${id}-certificate` },
    ...CERTIFICATES.map((c) => el("option", { value: c }, words(c)))));
  certificate.value = access?.certificate ?? "none";
  const conditions = textInput(`${id}-certificate-conditions`, access?.certificate_conditions, { maxlength: "2000" });
  const made = { certificate: field(certificate, "Certificate"), certificate_conditions: field(conditions, "Certificate conditions") };
  const box = (/** @type {HTMLInputElement} */ input, /** @type {string} */ label) =>
    el("div", { class: "field" }, el("label", { for: input.id }, input, " ", label));
  return {
    nodes: [box(checkpoints, "Checkpoints"), box(comments, "Comments"), made.certificate.node, made.certificate_conditions.node],
    controls: [checkpoints, comments, certificate, conditions],
    value: () => ({
      checkpoints: checkpoints.checked, comments: comments.checked,
      certificate: CERTIFICATES.find((c) => c === certificate.value) ?? "none",
      certificate_conditions: conditions.value.trim() || null,
    }),
    /** @param {string} path */
    slots: (path) => ({ [`${path}.certificate`]: made.certificate.slot, [`${path}.certificate_conditions`]: made.certificate_conditions.slot }),
  };
}

/**
 * The line's editor, folded under its block, and its Remove.
 * @param {OrderCard} card @param {LineView} line @param {number} n the line's place on the card @param {Then} then
 */
export function lineEditor(card, line, n, then) {
  const id = `card-line-${n}`;
  const title = textInput(`${id}-title`, line.product_title, { maxlength: "300" });
  const price = textInput(`${id}-price`, line.price, { inputmode: "decimal" });
  const terms = accessTermsFields(id, line.access);
  const others = otherTerms(id, line.access);
  const made = { product_title: field(title, "Title"), price: field(price, `Price (${card.currency})`) };
  /** @type {Record<string, FieldSlot>} */
  const slots = { product_title: made.product_title.slot, price: made.price.slot, ...terms.slots(""), ...others.slots("access") };
  // Access is sent only when one of its inputs was touched: the rest of the terms go back as they are.
  let accessTouched = false;
  for (const control of [...terms.controls, ...others.controls]) {
    control.addEventListener("change", () => { accessTouched = true; });
    control.addEventListener("input", () => { accessTouched = true; });
  }
  const row = saveRow(id);
  const conflict = el("div", { class: "line-conflict" });
  const form = el("form", { id: `${id}-form`, class: "edit-form line-form", novalidate: true },
    made.product_title.node, made.price.node, ...terms.nodes, ...others.nodes, row.node, row.formError, conflict);
  const remove = /** @type {HTMLButtonElement} */ (el("button", { type: "button", id: `${id}-remove`, class: "line-remove" }, "Remove this product"));
  lockForViewer([title, price, ...terms.controls, ...others.controls, row.save, remove]);

  /** @returns {LineChanges} */
  function changes() {
    /** @type {LineChanges} */
    const changed = {};
    if (title.value.trim() !== line.product_title) changed.product_title = title.value.trim();
    if (price.value.trim() !== line.price) changed.price = price.value.trim();
    if (accessTouched) {
      const { start, end } = terms.value();
      changed.access = { ...line.access, ...others.value(), start, end };
    }
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
      row.said("Nothing to save.");
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
  return el("details", { class: "line-edit", id: `${id}-edit` },
    el("summary", {}, "Change this product's terms"), form, el("div", { class: "actions" }, remove));
}

/**
 * "+ Product" on the card: a product from the catalog, its price and access terms, added on the
 * version the card showed. The catalog is fetched when the form is first opened.
 * @param {OrderCard} card @param {Then} then
 */
export function addLineForm(card, then) {
  const id = "card-new-line";
  const product = /** @type {HTMLSelectElement} */ (el("select", { id: `${id}-product` }, el("option", { value: "" }, "Choose a product")));
  const title = textInput(`${id}-title`, "", { maxlength: "300", placeholder: "the product's own" });
  const price = textInput(`${id}-price`, "", { inputmode: "decimal", placeholder: "0.00" });
  const terms = accessTermsFields(id);
  const made = { product_id: field(product, "Product"), product_title: field(title, "Title on the order"),
    price: field(price, `Price (${card.currency})`) };
  /** @type {Record<string, FieldSlot>} */
  const slots = { product_id: made.product_id.slot, product_title: made.product_title.slot, price: made.price.slot, ...terms.slots("") };
  const row = saveRow(id);
  row.save.textContent = "Add";
  const conflict = el("div", { class: "line-conflict" });
  const form = el("form", { id: `${id}-form`, class: "edit-form", novalidate: true },
    made.product_id.node, made.product_title.node, made.price.node, ...terms.nodes, row.node, row.formError, conflict);
  lockForViewer([product, title, price, ...terms.controls, row.save]);
  const panel = /** @type {HTMLDetailsElement} */ (el("details", { id: `${id}-panel`, class: "add-line" }, el("summary", {}, "+ Product"), form));
  let loaded = false;
  panel.addEventListener("toggle", async () => {
    if (!panel.open || loaded) return;
    loaded = true;
    try {
      const products = await listProducts();
      product.append(...products.items.map((p) => el("option", { value: p.id }, p.title)));
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
        product_title: title.value.trim() || null, access: terms.value() });
      then.saved();
    } catch (error) {
      row.save.disabled = false;
      if (isConflict(error)) conflict.replaceChildren(conflictNotice(then.reload, error));
      else showFieldErrors(error, slots, row.formError);
    }
  });
  return panel;
}
