// Keeping a screen current without a reload: what it shows is asked for again every few seconds
// with the ETag it was drawn from (If-None-Match), while the tab is visible. An unchanged answer is
// a 304 with no body and nothing is redrawn; a changed one is the screen's to draw again. The
// polling ends once the screen is left (its element is no longer in the page).
//
// The same public API and HTTP caching as every other call: no long-lived connection to hold
// open through the gateway (docs/decisions.md).

import { ordersIfChanged } from "./api.js";

/** @typedef {import("./types.js").OrderFilters} OrderFilters */
/** @typedef {import("./types.js").OrderPage} OrderPage */

/** How often a shown screen asks whether what it shows changed. */
export const POLL_INTERVAL_MS = 3000;

/**
 * One thing a screen shows: the ETag it was drawn from, and how to ask for it again (null: a 304).
 * @typedef {{ etag: string | null, check: (etag: string | null) => Promise<{ etag: string | null } | null> }} Watch
 */

/**
 * Polls `watches` while `shown` is in the page; `changed` is called when any of them changed (their
 * ETags then name the new answers, so the next poll is a 304 again until the next change).
 * A failed poll (the CRM out of reach a moment) is tried again at the next one.
 * @param {Element} shown an element of the screen as drawn
 * @param {Watch[]} watches
 * @param {() => void} changed
 */
export function follow(shown, watches, changed) {
  const tick = async () => {
    if (!shown.isConnected) return;
    if (document.visibilityState === "visible") {
      const answers = await Promise.allSettled(watches.map((watch) => watch.check(watch.etag)));
      if (!shown.isConnected) return;
      let moved = false;
      answers.forEach((answer, n) => {
        if (answer.status === "fulfilled" && answer.value && answer.value.etag !== watches[n].etag) {
          watches[n].etag = answer.value.etag;
          moved = true;
        }
      });
      if (moved) changed();
      if (!shown.isConnected) return;
    }
    setTimeout(tick, POLL_INTERVAL_MS);
  };
  setTimeout(tick, POLL_INTERVAL_MS);
}

/**
 * Whether someone is at work in a form of `root`, so that redrawing it would lose their input:
 * they typed or chose something in one, opened one (a panel, a form shown by a button), or their
 * cursor is in one.
 * @param {Element} root
 * @returns {() => boolean}
 */
export function editsIn(root) {
  let touched = false;
  const mark = (/** @type {Event} */ event) => {
    if (event.target instanceof Element && event.target.closest("form")) touched = true;
  };
  root.addEventListener("input", mark);
  root.addEventListener("change", mark);
  const closed = [...root.querySelectorAll("form")].filter((form) => form instanceof HTMLFormElement && form.hidden);
  return () => {
    const focused = document.activeElement;
    return touched
      || closed.some((form) => form instanceof HTMLFormElement && !form.hidden)
      || [...root.querySelectorAll("details[open]")].some((panel) => panel.querySelector("form") !== null)
      || (focused !== null && root.contains(focused) && focused.closest("form") !== null
        && ["INPUT", "TEXTAREA", "SELECT"].includes(focused.tagName));
  };
}

/**
 * A first page of orders (the list's, a board column's) asked for again with its filters;
 * `redraw` is given the new page when it changed.
 * @param {Element} shown @param {OrderFilters} filters @param {string | null} etag
 * @param {(page: OrderPage) => void} redraw
 */
export function followOrders(shown, filters, etag, redraw) {
  /** @type {OrderPage | null} */
  let latest = null;
  follow(shown, [{ etag, check: async (since) => {
    const answer = await ordersIfChanged(filters, since);
    if (answer) latest = answer.value;
    return answer;
  } }], () => {
    if (latest) redraw(latest);
  });
}
