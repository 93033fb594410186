// The API's problem shown on the input it names. `errors[].field` is a path (`amount`,
// `lines.0.price`, `contact.email`): the input registered under the longest part of it that a
// form knows gets the message; whatever names no input goes under the form, so nothing is hidden.

import { ApiError } from "./api.js";

/** @typedef {{ input: HTMLElement, error: HTMLElement }} FieldSlot */

/** @param {Record<string, FieldSlot>} slots */
export function clearFieldErrors(slots, /** @type {HTMLElement} */ formError) {
  for (const slot of Object.values(slots)) {
    slot.error.hidden = true;
    slot.error.textContent = "";
    slot.input.removeAttribute("aria-invalid");
  }
  formError.hidden = true;
  formError.textContent = "";
}

/**
 * @param {unknown} error
 * @param {Record<string, FieldSlot>} slots by the API's field path
 * @param {HTMLElement} formError where the rest goes
 */
export function showFieldErrors(error, slots, formError) {
  const rest = [];
  const items = error instanceof ApiError ? error.problem.errors ?? [] : [];
  for (const item of items) {
    const parts = item.field.split(".");
    let slot;
    while (parts.length && !(slot = slots[parts.join(".")])) parts.pop();
    if (slot) {
      slot.error.textContent = slot.error.textContent ? `${slot.error.textContent}; ${item.message}` : item.message;
      slot.error.hidden = false;
      slot.input.setAttribute("aria-invalid", "true");
    } else {
      rest.push(`${item.field}: ${item.message}`);
    }
  }
  if (!items.length) rest.push(error instanceof Error ? error.message : String(error));
  if (rest.length) {
    formError.textContent = rest.join("; ");
    formError.hidden = false;
  }
}
