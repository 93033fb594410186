// CRM → Orders: the filtered, searched and sorted list, a page at a time ("Load more" follows the
// API's cursor), the columns the user chose, and the same filter's CSV export as a download.
// The first page stays current (live.js): an order made or changed elsewhere shows up without a
// reload, the filters, sort and columns kept; pages loaded with "Load more" then go back to the first.

import { ApiError, exportOrders, listOrders, ordersIfChanged } from "./api.js";
import { renderBoard } from "./board.js";
import { chooseColumns, chosenColumns, COLUMNS } from "./columns.js";
import { el } from "./dom.js";
import { apiFilters, DEFAULT_SORT, FILTERS, filterFields, paramsFromForm, SORTS } from "./orders-filters.js";
import { language, t } from "./i18n.js";
import { followOrders } from "./live.js";
import { clearProblem, showProblem } from "./problem.js";
import { canWrite, claims } from "./session.js";
import { viewToggle } from "./view-toggle.js";

/** @typedef {import("./types.js").OrderSummary} OrderSummary */

/** @param {URLSearchParams} params */
function go(params) {
  const text = params.toString();
  location.hash = text ? `#/orders?${text}` : "#/orders";
}

/** @param {HTMLElement} view @param {URLSearchParams} params */
export function renderOrders(view, params) {
  if (params.get("view") === "board") {
    renderBoard(view, params);
    return;
  }
  const who = claims();
  const columns = chosenColumns(who);
  const filters = apiFilters(params);

  const search = /** @type {HTMLInputElement} */ (el("input", {
    id: "search", name: "q", type: "search", value: params.get("q") ?? "", maxlength: "200",
    placeholder: t("orders:list.searchPlaceholder"), "aria-label": t("orders:list.searchLabel"),
  }));
  const searchForm = el("form", { id: "search-form", class: "search" }, search, el("button", { type: "submit" }, t("orders:list.search")));
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams(params);
    if (search.value.trim()) next.set("q", search.value.trim()); else next.delete("q");
    go(next);
  });

  const sort = /** @type {HTMLSelectElement} */ (el("select", { id: "sort", "aria-label": t("orders:list.sort") },
    ...SORTS.map((s) => el("option", { value: s.value }, s.label))));
  sort.value = params.get("sort") || DEFAULT_SORT;
  sort.addEventListener("change", () => {
    const next = new URLSearchParams(params);
    next.set("sort", sort.value);
    go(next);
  });

  const newOrder = /** @type {HTMLButtonElement} */ (el("button", { id: "new-order", type: "button" }, t("orders:list.newOrder")));
  newOrder.addEventListener("click", () => { location.hash = "#/orders/new"; });
  if (!canWrite()) {
    newOrder.disabled = true;
    newOrder.title = t("common:viewerOnly");
  }
  const exportButton = /** @type {HTMLButtonElement} */ (el("button", { id: "export", type: "button" }, t("orders:list.export")));
  exportButton.addEventListener("click", () => download(filters, exportButton));

  const filterForm = /** @type {HTMLFormElement} */ (el("form", { id: "filters", class: "filters" },
    ...filterFields(params),
    el("div", { class: "actions" }, el("button", { type: "submit" }, t("orders:list.applyFilters")),
      el("button", { type: "reset", id: "clear-filters" }, t("orders:list.clearFilters")))));
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    go(paramsFromForm(filterForm, params));
  });
  filterForm.addEventListener("reset", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of ["q", "sort", "limit", "view"]) { const v = params.get(name); if (v) next.set(name, v); }
    go(next);
  });

  const chooser = el("details", { class: "columns", id: "columns" }, el("summary", {}, t("orders:list.columns")),
    ...COLUMNS.map((column) => {
      const box = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", value: column.id, name: "column",
        id: `column-${column.id}`, checked: columns.includes(column) }));
      box.addEventListener("change", () => {
        const ids = [...chooser.querySelectorAll("input:checked")].map((b) => /** @type {HTMLInputElement} */ (b).value);
        chooseColumns(who, ids);
        renderOrders(view, params);
      });
      return el("label", { for: box.id }, box, column.label);
    }));

  const body = el("tbody", { id: "orders-rows" });
  const table = el("table", { class: "orders", id: "orders" },
    el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { scope: "col", "data-column": c.id }, c.label)))), body);
  const more = /** @type {HTMLButtonElement} */ (el("button", { id: "load-more", type: "button", hidden: true }, t("orders:list.loadMore")));
  const count = el("p", { id: "orders-count", class: "muted" });

  view.replaceChildren(
    el("h1", {}, t("orders:title")),
    el("div", { class: "toolbar" }, viewToggle(params, "list"), newOrder, searchForm, el("label", { class: "inline" }, `${t("orders:list.sort")} `, sort), chooser, exportButton),
    el("details", { class: "filter-panel", open: FILTERS.some((f) => params.has(f.name)) },
      el("summary", {}, t("orders:list.filters")), filterForm),
    el("div", { class: "table-scroll" }, table), count, more,
  );

  let shown = 0;
  /** @param {import("./types.js").OrderPage} page */
  function draw(page) {
    for (const order of page.items) body.append(row(order));
    shown += page.items.length;
    count.textContent = shown
      ? t("orders:list.shown", { count: shown, number: new Intl.NumberFormat(language()).format(shown) })
      : t("orders:list.noneMatch");
    more.hidden = !page.next_cursor;
    more.onclick = () => load(page.next_cursor ?? null);
  }

  /** @param {string | null} cursor */
  async function load(cursor) {
    more.disabled = true;
    try {
      if (cursor) {
        draw(await listOrders({ ...filters, cursor }));
      } else {
        const first = await ordersIfChanged(filters, null);
        if (first) {
          draw(first.value);
          keepCurrent(first.etag);
        }
      }
      clearProblem();
    } catch (error) {
      showProblem(error);
    } finally {
      more.disabled = false;
    }
  }

  /** The first page asked for again; when it changed, the list is drawn from it. @param {string | null} etag */
  function keepCurrent(etag) {
    followOrders(table, filters, etag, (latest) => {
      body.replaceChildren();
      shown = 0;
      draw(latest);
    });
  }

  /** @param {OrderSummary} order */
  function row(order) {
    return el("tr", { "data-number": String(order.number) },
      ...columns.map((c) => el("td", { "data-column": c.id }, c.cell(order))));
  }

  load(null);
}

/** The CSV is fetched with the bearer header, then handed to the browser as a file. @param {import("./types.js").OrderFilters} filters @param {HTMLButtonElement} button */
async function download(filters, button) {
  button.disabled = true;
  try {
    const blob = await exportOrders(filters);
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: `orders-${new Date().toISOString().slice(0, 10)}.csv`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    showProblem(error instanceof ApiError ? error : new ApiError({ title: t("orders:list.exportFailed"), status: 0, detail: String(error) }));
  } finally {
    button.disabled = false;
  }
}
