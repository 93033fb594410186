// A form's input with its label and the place for the API's word on it, and the notice a saved
// form shows: the pieces every settings form is made of.

import { el } from "./dom.js";

/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */

/**
 * @param {HTMLElement} input its id names the error's place (`<id>-error`)
 * @param {string} label
 * @returns {{ node: HTMLElement, slot: FieldSlot }}
 */
export function field(input, label) {
  const error = el("p", { class: "field-error", id: `${input.id}-error`, hidden: true });
  return { node: el("div", { class: "field" }, el("label", { for: input.id }, label), input, error), slot: { input, error } };
}

/** A text input. @param {string} id @param {string | null | undefined} value @param {Record<string, string>} [extra] */
export function textInput(id, value, extra = {}) {
  return /** @type {HTMLInputElement} */ (el("input", { id, value: value ?? "", ...extra }));
}

/**
 * A whole number as typed, or the text itself when it is not one, so the API says what it
 * refuses on the field it names (the console never guesses a number from bad input).
 * @param {string} text @returns {number}
 */
export function wholeNumber(text) {
  const trimmed = text.trim();
  return /^-?[0-9]+$/.test(trimmed) ? Number(trimmed) : /** @type {number} */ (/** @type {unknown} */ (trimmed));
}

/** Disables every control when the signed-in role may not write. @param {boolean} writable @param {Iterable<HTMLElement>} controls */
export function lockUnless(writable, controls) {
  if (writable) return;
  for (const control of controls) control.setAttribute("disabled", "");
}
