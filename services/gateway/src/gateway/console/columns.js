// The orders list's columns: each one the user may show, and which they chose, remembered in
// localStorage for this user of this school (a choice of layout, not a secret).

import { el } from "./dom.js";
import { dateTime, list, money, words } from "./format.js";
import { t } from "./i18n.js";

/** @typedef {import("./types.js").OrderSummary} OrderSummary */
/** @typedef {{ id: string, label: string, cell: (order: OrderSummary) => Node | string }} Column */

/** @type {Column[]} */
export const COLUMNS = [
  { id: "number", label: t("orders:columns.number"), cell: (o) => el("a", { href: `#/orders/${o.number}`, class: "order-link" }, `№${o.number}`) },
  { id: "created_at", label: t("orders:columns.createdAt"), cell: (o) => dateTime(o.created_at) },
  { id: "contact", label: t("orders:columns.contact"), cell: (o) => o.contact.name },
  { id: "email", label: t("orders:columns.email"), cell: (o) => o.contact.email },
  { id: "phone", label: t("orders:columns.phone"), cell: (o) => o.contact.phone ?? t("common:none") },
  { id: "pipeline", label: t("orders:columns.pipeline"), cell: (o) => o.pipeline.name },
  { id: "stage", label: t("orders:columns.stage"), cell: (o) => o.stage.name },
  { id: "payment_status", label: t("orders:columns.paymentStatus"), cell: (o) => words(o.payment_status) },
  { id: "status", label: t("orders:columns.status"), cell: (o) => words(o.status) },
  { id: "type", label: t("orders:columns.type"), cell: (o) => words(o.type) },
  { id: "source", label: t("orders:columns.source"), cell: (o) => words(o.source) },
  { id: "total", label: t("orders:columns.total"), cell: (o) => money(o.total, o.currency) },
  { id: "paid", label: t("orders:columns.paid"), cell: (o) => money(o.paid, o.currency) },
  { id: "due", label: t("orders:columns.due"), cell: (o) => money(o.due, o.currency) },
  { id: "paid_at", label: t("orders:columns.paidAt"), cell: (o) => dateTime(o.paid_at) },
  { id: "managers", label: t("orders:columns.managers"), cell: (o) => list(o.managers) },
  { id: "tags", label: t("orders:columns.tags"), cell: (o) => list(o.tags) },
];
const DEFAULT = ["number", "created_at", "contact", "stage", "payment_status", "total", "paid"];

/** @param {{ account: string, user: string } | null} who */
const storageKey = (who) => `orders-crm-console.columns.${who?.account ?? ""}.${who?.user ?? ""}`;

/** The chosen columns, in the list's order. @param {{ account: string, user: string } | null} who @returns {Column[]} */
export function chosenColumns(who) {
  let ids = DEFAULT;
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey(who)) ?? "null");
    if (Array.isArray(saved) && saved.every((id) => typeof id === "string")) ids = saved;
  } catch {
    // an unreadable choice is the default one
  }
  const shown = COLUMNS.filter((column) => ids.includes(column.id));
  return shown.length ? shown : COLUMNS.filter((column) => DEFAULT.includes(column.id));
}

/** @param {{ account: string, user: string } | null} who @param {string[]} ids */
export function chooseColumns(who, ids) {
  localStorage.setItem(storageKey(who), JSON.stringify(ids));
}
