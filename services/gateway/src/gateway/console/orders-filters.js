// The orders list's filters: every one GET /api/v1/orders takes, as form fields. Their values
// live in the page's address (after #), so a reload or a shared link keeps them; dates are
// days in the browser's time zone, sent as the moments they begin or end.

import { el } from "./dom.js";
import { words } from "./format.js";
import { t } from "./i18n.js";
import { listOffers, listPipelines, listProducts } from "./api.js";

/** @typedef {import("./types.js").OrderFilters} OrderFilters */
/** @typedef {import("./types.js").Schemas} Schemas */
/** @typedef {{ value: string, label: string }} Option */

/** @type {Schemas["PaymentStatus"][]} */
const PAYMENT_STATUSES = ["not_paid", "partially_paid", "paid", "overpaid", "refunded"];
/** @type {Schemas["OrderSummary"]["type"][]} */
const TYPES = ["regular", "renewal", "upsell", "gift"];
/** @type {Schemas["OrderSummary"]["source"][]} */
const SOURCES = ["page", "widget", "manual"];
/** @type {Schemas["OrderSummary"]["status"][]} */
const STATUSES = ["active", "cancelled", "expired"];

/** @param {readonly string[]} values @returns {Option[]} */
const named = (values) => values.map((value) => ({ value, label: words(value) }));

// The sorts the API takes, newest first by default (as the API does).
/** @type {{ value: NonNullable<OrderFilters["sort"]>, label: string }[]} */
export const SORTS = [
  { value: "-created_at", label: t("orders:sort.newest") }, { value: "created_at", label: t("orders:sort.oldest") },
  { value: "-number", label: t("orders:sort.numberDown") }, { value: "number", label: t("orders:sort.numberUp") },
  { value: "-total", label: t("orders:sort.totalDown") }, { value: "total", label: t("orders:sort.totalUp") },
];
export const DEFAULT_SORT = "-created_at";
export const PAGE_SIZE = 50;

/** @typedef {{ name: string, label: string, kind: "select" | "text" | "date" | "amount", options?: () => Promise<Option[]> }} Filter */

// Pipelines, products and offers change rarely: fetched once per page load.
/** @type {Promise<{ pipelines: Option[], stages: Option[], products: Option[], offers: Option[] }> | null} */
let choices = null;

function loadChoices() {
  choices ??= Promise.all([listPipelines(), listProducts(), listOffers()]).then(([pipelines, products, offers]) => ({
    pipelines: pipelines.items.map((p) => ({ value: p.id, label: p.name })),
    stages: pipelines.items.flatMap((p) => p.stages.map((s) => ({ value: s.id, label: `${p.name}: ${s.name}` }))),
    products: products.items.map((p) => ({ value: p.id, label: p.title })),
    offers: offers.items.map((o) => ({ value: o.id, label: o.title })),
  }));
  choices.catch(() => { choices = null; });
  return choices;
}

/** @type {Filter[]} */
export const FILTERS = [
  { name: "pipeline_id", label: t("orders:filters.pipeline"), kind: "select", options: async () => (await loadChoices()).pipelines },
  { name: "stage_id", label: t("orders:filters.stage"), kind: "select", options: async () => (await loadChoices()).stages },
  { name: "payment_status", label: t("orders:filters.paymentStatus"), kind: "select", options: async () => named(PAYMENT_STATUSES) },
  { name: "type", label: t("orders:filters.type"), kind: "select", options: async () => named(TYPES) },
  { name: "product_id", label: t("orders:filters.product"), kind: "select", options: async () => (await loadChoices()).products },
  { name: "offer_id", label: t("orders:filters.offer"), kind: "select", options: async () => (await loadChoices()).offers },
  { name: "manager", label: t("orders:filters.manager"), kind: "text" },
  { name: "tag", label: t("orders:filters.tag"), kind: "text" },
  { name: "created_from", label: t("orders:filters.createdFrom"), kind: "date" },
  { name: "created_to", label: t("orders:filters.createdTo"), kind: "date" },
  { name: "paid_from", label: t("orders:filters.paidFrom"), kind: "date" },
  { name: "paid_to", label: t("orders:filters.paidTo"), kind: "date" },
  { name: "total_min", label: t("orders:filters.totalFrom"), kind: "amount" },
  { name: "total_max", label: t("orders:filters.totalTo"), kind: "amount" },
  { name: "source", label: t("orders:filters.source"), kind: "select", options: async () => named(SOURCES) },
  { name: "status", label: t("orders:filters.status"), kind: "select", options: async () => named(STATUSES) },
];
// What the address may hold besides the filters.
const OTHERS = ["q", "sort", "limit", "view"];

/** The form's fields for the filters, filled from the address. @param {URLSearchParams} params */
export function filterFields(params) {
  return FILTERS.map((filter) => {
    const id = `filter-${filter.name}`;
    const value = params.get(filter.name) ?? "";
    /** @type {HTMLElement} */
    let input;
    if (filter.kind === "select") {
      const select = /** @type {HTMLSelectElement} */ (el("select", { id, name: filter.name }, el("option", { value: "" }, t("orders:filters.any"))));
      filter.options?.().then((options) => {
        for (const option of options) select.append(el("option", { value: option.value }, option.label));
        select.value = value;
      }).catch(() => { select.disabled = true; });
      input = select;
    } else {
      input = el("input", {
        id, name: filter.name, value,
        type: filter.kind === "date" ? "date" : "text",
        // Amounts are typed as text and sent as text: the API reads them as decimals.
        inputmode: filter.kind === "amount" ? "decimal" : null,
        pattern: filter.kind === "amount" ? "\\d+([.,]\\d{1,2})?" : null,
        maxlength: filter.kind === "text" ? "200" : null,
      });
    }
    return el("label", { class: "field", for: id }, el("span", {}, filter.label), input);
  });
}

/** The address's values, as the form holds them, from a submitted form. @param {HTMLFormElement} form @param {URLSearchParams} current */
export function paramsFromForm(form, current) {
  const params = new URLSearchParams();
  for (const name of OTHERS) {
    const kept = current.get(name);
    if (kept) params.set(name, kept);
  }
  for (const [name, value] of new FormData(form)) {
    if (typeof value === "string" && value.trim()) params.set(name, value.trim());
    else params.delete(name);
  }
  return params;
}

/** @param {string} day "2026-12-01" @param {"start" | "end"} edge */
function moment(day, edge) {
  const local = new Date(`${day}T${edge === "start" ? "00:00:00.000" : "23:59:59.999"}`);
  return Number.isNaN(local.getTime()) ? day : local.toISOString();
}

/** What the API is asked, from the address's values. @param {URLSearchParams} params @returns {OrderFilters} */
export function apiFilters(params) {
  /** @type {Record<string, string | number>} */
  const query = {};
  for (const filter of FILTERS) {
    const value = params.get(filter.name);
    if (!value) continue;
    if (filter.kind === "date") query[filter.name] = moment(value, filter.name.endsWith("_from") ? "start" : "end");
    else if (filter.kind === "amount") query[filter.name] = value.replace(",", ".");
    else query[filter.name] = value;
  }
  const q = params.get("q");
  if (q) query.q = q;
  query.sort = params.get("sort") || DEFAULT_SORT;
  const limit = Number(params.get("limit"));
  query.limit = Number.isInteger(limit) && limit >= 1 && limit <= 500 ? limit : PAGE_SIZE;
  return /** @type {OrderFilters} */ (query);
}
