// The orders as a list or as a board: the choice lives in the address (`view=board`), beside the
// filters, so a reload or a shared link keeps it.

import { el } from "./dom.js";
import { t } from "./i18n.js";

/** @param {URLSearchParams} params @param {"list" | "board"} current */
export function viewToggle(params, current) {
  const link = (/** @type {"list" | "board"} */ to, /** @type {string} */ label) => {
    const next = new URLSearchParams(params);
    if (to === "board") next.set("view", "board"); else next.delete("view");
    const text = next.toString();
    return el("a", { href: text ? `#/orders?${text}` : "#/orders", id: `view-${to}`, class: to === current ? "toggle current" : "toggle",
      "aria-current": to === current ? "page" : null }, label);
  };
  return el("nav", { class: "view-toggle", "aria-label": t("orders:view.label") },
    link("list", t("orders:view.list")), link("board", t("orders:view.board")));
}
