// The orders as a list or a board: the choice in the address, beside the filters.
import { viewToggle } from "../../src/gateway/console/view-toggle.js";

const links = (/** @type {URLSearchParams} */ params, /** @type {"list" | "board"} */ current) => {
  const nav = viewToggle(params, current);
  const list = /** @type {HTMLAnchorElement} */ (nav.querySelector("#view-list"));
  const board = /** @type {HTMLAnchorElement} */ (nav.querySelector("#view-board"));
  return { list, board };
};

test("the board link adds view=board and keeps the filters; the list link drops it", () => {
  const { list, board } = links(new URLSearchParams("view=board&stage_id=s1&q=ann"), "board");
  expect(board.getAttribute("href")).toBe("#/orders?view=board&stage_id=s1&q=ann");
  expect(list.getAttribute("href")).toBe("#/orders?stage_id=s1&q=ann");
});

test("with no filters the list is the bare address", () => {
  const { list, board } = links(new URLSearchParams(""), "list");
  expect(list.getAttribute("href")).toBe("#/orders");
  expect(board.getAttribute("href")).toBe("#/orders?view=board");
});

test("the current view is marked for the eye and for screen readers", () => {
  const { list, board } = links(new URLSearchParams("q=x"), "board");
  expect(board.getAttribute("aria-current")).toBe("page");
  expect(board.classList.contains("current")).toBe(true);
  expect(list.hasAttribute("aria-current")).toBe(false);
  expect(list.classList.contains("current")).toBe(false);
});

test("the params given are not changed", () => {
  const params = new URLSearchParams("view=board&tag=a");
  links(params, "board");
  expect(params.toString()).toBe("view=board&tag=a");
});
