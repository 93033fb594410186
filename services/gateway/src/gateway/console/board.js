// CRM → Orders as a board: one pipeline's stages as columns, each holding the orders in that
// stage (the list API filtered by pipeline and stage, with the list's other filters and search).
// A card goes to another stage by drag and drop, or by its "Move to…" choice (the same move, for
// a keyboard and for tests), saved with PATCH stage_id on the version the board showed; a 409
// puts the card back and offers a reload. Each column's first page stays current (live.js): a move
// or an order made elsewhere shows up without a reload (a column's "Load more" then goes back to
// its first page).

import { listOrders, listPipelines, ordersIfChanged, patchOrder } from "./api.js";
import { conflictNotice, isConflict } from "./conflict.js";
import { el } from "./dom.js";
import { money, words } from "./format.js";
import { t } from "./i18n.js";
import { followOrders } from "./live.js";
import { apiFilters } from "./orders-filters.js";
import { clearProblem, showProblem } from "./problem.js";
import { canWrite } from "./session.js";
import { viewToggle } from "./view-toggle.js";

/** @typedef {import("./types.js").OrderSummary} OrderSummary */
/** @typedef {import("./types.js").PipelineView} PipelineView */

// The drag carries the order's number under the console's own type, so a drop of anything else
// (a link, a file) is ignored.
const DRAG_TYPE = "application/x-orders-crm-order";

/** @param {URLSearchParams} params */
function go(params) {
  location.hash = `#/orders?${params.toString()}`;
}

/** @param {HTMLElement} view @param {URLSearchParams} params */
export async function renderBoard(view, params) {
  view.replaceChildren(el("h1", {}, t("orders:title")), el("p", { class: "muted" }, t("common:loading")));
  let pipelines;
  try {
    pipelines = (await listPipelines()).items;
  } catch (error) {
    showProblem(error);
    return;
  }
  const pipeline = pipelines.find((p) => p.id === params.get("pipeline_id")) ?? pipelines.find((p) => p.is_default) ?? pipelines[0];
  if (!pipeline) {
    view.replaceChildren(el("h1", {}, t("orders:title")), el("p", { class: "muted" }, t("orders:board.noPipeline")));
    return;
  }
  const chooser = /** @type {HTMLSelectElement} */ (el("select", { id: "board-pipeline", "aria-label": t("orders:board.pipeline") },
    ...pipelines.map((p) => el("option", { value: p.id }, p.name))));
  chooser.value = pipeline.id;
  chooser.addEventListener("change", () => {
    const next = new URLSearchParams(params);
    next.set("pipeline_id", chooser.value);
    next.delete("stage_id");
    go(next);
  });
  const notice = el("div", { id: "board-notice" });
  /** @type {Map<string, HTMLElement>} the cards' list in each stage's column */
  const lists = new Map();
  const board = el("div", { class: "board", id: "board" },
    ...pipeline.stages.map((stage) => column(stage)));
  const filtered = [...params.keys()].some((name) => !["view", "pipeline_id", "sort", "limit"].includes(name));
  view.replaceChildren(
    el("h1", {}, t("orders:title")),
    el("div", { class: "toolbar" }, viewToggle(params, "board"), el("label", { class: "inline" }, `${t("orders:board.pipeline")} `, chooser),
      filtered ? el("span", { class: "muted" }, t("orders:board.filtered")) : null),
    notice, board);
  clearProblem();

  /** @param {PipelineView["stages"][number]} stage */
  function column(stage) {
    const cards = el("div", { class: "board-cards", "data-stage": stage.id });
    lists.set(stage.id, cards);
    const more = /** @type {HTMLButtonElement} */ (el("button", { type: "button", class: "column-more", hidden: true }, t("orders:board.loadMore")));
    const section = el("section", { class: "board-column", "data-stage": stage.id, "aria-label": stage.name },
      el("h2", {}, stage.name), cards, more);
    section.addEventListener("dragover", (event) => {
      if (canWrite() && event.dataTransfer?.types.includes(DRAG_TYPE)) {
        event.preventDefault();
        section.classList.add("drop-here");
      }
    });
    section.addEventListener("dragleave", () => section.classList.remove("drop-here"));
    section.addEventListener("drop", (event) => {
      section.classList.remove("drop-here");
      const number = event.dataTransfer?.getData(DRAG_TYPE);
      if (!number) return;
      event.preventDefault();
      const card = board.querySelector(`.board-card[data-number="${CSS.escape(number)}"]`);
      if (card instanceof HTMLElement) card.dispatchEvent(new CustomEvent("move", { detail: stage.id }));
    });
    const filters = { ...apiFilters(params), pipeline_id: pipeline.id, stage_id: stage.id };
    /** @param {import("./types.js").OrderPage} page */
    function draw(page) {
      for (const order of page.items) cards.append(card(order));
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
      } catch (error) {
        showProblem(error);
      } finally {
        more.disabled = false;
      }
    }
    /** The column's first page asked for again; when it changed, its cards are drawn from it. @param {string | null} etag */
    function keepCurrent(etag) {
      followOrders(section, filters, etag, (latest) => {
        cards.replaceChildren();
        draw(latest);
      });
    }
    load(null);
    return section;
  }

  /** @param {OrderSummary} order */
  function card(order) {
    let shown = order;
    const move = /** @type {HTMLSelectElement} */ (el("select", { class: "move-to", "aria-label": t("orders:board.moveLabel", { number: order.number }) }));
    const node = el("article", { class: "board-card", "data-number": String(order.number), draggable: canWrite() ? "true" : "false" },
      el("a", { href: `#/orders/${order.number}`, class: "order-link" }, `№${order.number}`),
      el("div", {}, order.contact.name),
      el("div", { class: "muted" }, `${money(order.total, order.currency)} · ${words(order.payment_status)}`),
      move);
    const options = () => {
      move.replaceChildren(el("option", { value: "" }, t("orders:board.moveTo")),
        ...pipeline.stages.filter((s) => s.id !== shown.stage.id).map((s) => el("option", { value: s.id }, s.name)));
      move.value = "";
    };
    options();
    if (!canWrite()) {
      move.disabled = true;
      move.title = t("common:viewerOnly");
    }
    move.addEventListener("change", () => { if (move.value) node.dispatchEvent(new CustomEvent("move", { detail: move.value })); });
    node.addEventListener("dragstart", (event) => {
      event.dataTransfer?.setData(DRAG_TYPE, String(order.number));
      if (event.dataTransfer) event.dataTransfer.effectAllowed = "move";
    });
    node.addEventListener("move", async (event) => {
      const target = /** @type {CustomEvent<string>} */ (event).detail;
      const from = lists.get(shown.stage.id);
      const to = lists.get(target);
      if (!to || target === shown.stage.id) return;
      notice.replaceChildren();
      // Shown in its new place at once; put back where it was if the API refuses.
      to.prepend(node);
      move.disabled = true;
      try {
        const saved = await patchOrder(shown.id, shown.version, { stage_id: target });
        shown = { ...shown, version: saved.version, stage: saved.stage };
        node.dataset.stage = saved.stage.id;
        clearProblem();
      } catch (error) {
        from?.prepend(node);
        if (isConflict(error)) notice.replaceChildren(conflictNotice(() => renderBoard(view, params), error));
        else showProblem(error);
      } finally {
        move.disabled = !canWrite();
        options();
      }
    });
    node.dataset.stage = order.stage.id;
    return node;
  }
}
