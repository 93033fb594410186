// What a 409 on a versioned write looks like wherever the console saves an order: the order
// changed after it was shown, so the console says so and offers the fresh one, never retrying
// on its own (that would overwrite the other person's change).

import { ApiError } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";

export const CONFLICT_TEXT = t("common:conflict.order");

/** @param {unknown} error */
export const isConflict = (error) => error instanceof ApiError && error.status === 409;

/**
 * The message and its Reload button, with the API's own words under them (a 409 may also say
 * the order's state does not allow the change, as for reopening an order that is not cancelled).
 * @param {() => void} reload @param {unknown} [error]
 */
export function conflictNotice(reload, error) {
  const button = el("button", { type: "button", class: "reload" }, t("common:conflict.reload"));
  button.addEventListener("click", reload);
  const detail = error instanceof ApiError ? error.problem.detail : null;
  return el("div", { class: "conflict", role: "alert" }, el("span", { class: "conflict-text" }, CONFLICT_TEXT), " ", button,
    detail ? el("div", { class: "muted conflict-detail" }, detail) : null);
}
