// The orders board: one pipeline's stages as columns; a card moved sends the order's version,
// and a 409 puts it back with the "someone changed this order" notice.
import { renderBoard } from "../../src/gateway/console/board.js";
import { json, problem, settle, signedInAs, stubFetch } from "./stubs.js";

const PIPELINES = { items: [
  { id: "pl-old", name: "Old", is_default: false, stages: [{ id: "x1", name: "X" }] },
  { id: "pl1", name: "Sales", is_default: true, stages: [{ id: "s1", name: "New" }, { id: "s2", name: "Paid" }, { id: "s3", name: "Done" }] },
] };
/** @param {number} number @param {string} stage @param {number} version */
const order = (number, stage, version = 1) => ({ id: `o${number}`, number, version, stage: { id: stage, name: stage },
  contact: { name: `Contact ${number}` }, total: "10.00", currency: "UAH", payment_status: "not_paid" });

/** @type {Record<string, any[]>} the orders in each stage */
let stages = {};
/** @type {(request: import("./stubs.js").Sent) => Response | undefined} */
let onPatch = () => undefined;

function stub() {
  return stubFetch((request) => {
    const url = new URL(request.url, "http://console.test");
    if (request.method === "PATCH") return onPatch(request) ?? json({});
    if (url.pathname === "/api/v1/pipelines") return json(PIPELINES);
    if (url.pathname === "/api/v1/orders") {
      const items = stages[url.searchParams.get("stage_id") ?? ""] ?? [];
      return json({ items, next_cursor: null }, 200, { etag: `"${url.searchParams.get("stage_id")}"` });
    }
    return new Response("", { status: 404 });
  });
}

/** The board drawn for `address`. @param {string} address */
async function board(address = "view=board") {
  const view = document.createElement("main");
  document.body.append(view);
  await renderBoard(view, new URLSearchParams(address));
  await settle();
  const column = (/** @type {string} */ stage) => /** @type {HTMLElement} */ (view.querySelector(`.board-cards[data-stage="${stage}"]`));
  const card = (/** @type {number} */ number) => /** @type {HTMLElement} */ (view.querySelector(`.board-card[data-number="${number}"]`));
  const numbers = (/** @type {string} */ stage) => [...column(stage).querySelectorAll(".board-card")].map((c) => Number(/** @type {HTMLElement} */ (c).dataset.number));
  return { view, column, card, numbers };
}

/** Moves a card by its "Move to…" choice (the drag's own move). @param {HTMLElement} card @param {string} stage */
async function moveTo(card, stage) {
  const select = /** @type {HTMLSelectElement} */ (card.querySelector("select.move-to"));
  select.value = stage;
  select.dispatchEvent(new Event("change"));
  await settle();
}

beforeEach(() => {
  document.body.replaceChildren(Object.assign(document.createElement("div"), { id: "problem", hidden: true }));
  signedInAs("manager");
  stages = { s1: [order(1, "s1", 3), order(2, "s1")], s2: [order(3, "s2")], s3: [] };
  onPatch = () => undefined;
});
afterEach(() => {
  document.body.replaceChildren();
  sessionStorage.clear();
});

test("the default pipeline's stages are the columns, each with its orders, asked with the list's filters", async () => {
  const { sent } = stub();
  const { view, numbers } = await board("view=board&q=ann&tag=vip&sort=number");
  expect([...view.querySelectorAll("section.board-column")].map((s) => /** @type {HTMLElement} */ (s).dataset.stage)).toEqual(["s1", "s2", "s3"]);
  expect(numbers("s1")).toEqual([1, 2]);
  expect(numbers("s2")).toEqual([3]);
  const asked = sent.filter((r) => r.url.startsWith("/api/v1/orders")).map((r) => Object.fromEntries(new URL(r.url, "http://x").searchParams));
  expect(asked).toContainEqual({ tag: "vip", q: "ann", sort: "number", limit: "50", pipeline_id: "pl1", stage_id: "s2" });
  expect(asked).toHaveLength(3);
});

test("the pipeline in the address is the one shown", async () => {
  stub();
  const { view } = await board("view=board&pipeline_id=pl-old");
  expect([...view.querySelectorAll("section.board-column")].map((s) => /** @type {HTMLElement} */ (s).dataset.stage)).toEqual(["x1"]);
  expect(/** @type {HTMLSelectElement} */ (view.querySelector("#board-pipeline")).value).toBe("pl-old");
});

test("a card's choices are the other stages of its pipeline", async () => {
  stub();
  const { card } = await board();
  const options = [...card(1).querySelectorAll("select.move-to option")].map((o) => /** @type {HTMLOptionElement} */ (o).value);
  expect(options).toEqual(["", "s2", "s3"]);
});

test("a card moved sends its new stage on the order's version, and shows in its new column", async () => {
  const { sent } = stub();
  onPatch = () => json({ ...order(1, "s2", 4), stage: { id: "s2", name: "Paid" } });
  const { card, numbers } = await board();
  await moveTo(card(1), "s2");
  const patches = sent.filter((r) => r.method === "PATCH");
  expect(patches).toHaveLength(1);
  expect(patches[0].url).toBe("/api/v1/orders/o1");
  expect(patches[0].headers["If-Match"]).toBe('"3"');
  expect(patches[0].body).toEqual({ stage_id: "s2" });
  expect(numbers("s1")).toEqual([2]);
  expect(numbers("s2")).toEqual([1, 3]);
  expect(card(1).dataset.stage).toBe("s2");
  // Moved again, the card goes on the version the move made.
  onPatch = () => json({ ...order(1, "s3", 5), stage: { id: "s3", name: "Done" } });
  await moveTo(card(1), "s3");
  expect(sent.filter((r) => r.method === "PATCH")[1].headers["If-Match"]).toBe('"4"');
  expect(numbers("s3")).toEqual([1]);
});

test("a 409 puts the card back and shows the notice with a Reload; nothing is retried", async () => {
  const { sent } = stub();
  onPatch = () => problem(409, { title: "Conflict", detail: "The order changed" });
  const { view, card, numbers } = await board();
  await moveTo(card(1), "s3");
  expect(numbers("s1")).toEqual([1, 2]);
  expect(numbers("s3")).toEqual([]);
  const notice = view.querySelector("#board-notice .conflict");
  expect(notice?.getAttribute("role")).toBe("alert");
  expect(notice?.querySelector(".conflict-detail")?.textContent).toBe("The order changed");
  expect(sent.filter((r) => r.method === "PATCH")).toHaveLength(1);
  expect(/** @type {HTMLElement} */ (document.getElementById("problem")).hidden).toBe(true);
  // Its Reload draws the board again from the API.
  const before = sent.filter((r) => r.url === "/api/v1/pipelines").length;
  /** @type {HTMLButtonElement} */ (notice?.querySelector("button.reload")).click();
  await settle();
  expect(sent.filter((r) => r.url === "/api/v1/pipelines").length).toBe(before + 1);
  expect(view.querySelector("#board-notice .conflict")).toBeNull();
});

test("another refusal puts the card back and shows the API's problem, not the conflict notice", async () => {
  stub();
  onPatch = () => problem(403, { title: "Forbidden", detail: "Not yours" });
  const { view, card, numbers } = await board();
  await moveTo(card(2), "s2");
  expect(numbers("s1").sort()).toEqual([1, 2]);
  expect(numbers("s2")).toEqual([3]);
  expect(view.querySelector("#board-notice .conflict")).toBeNull();
  const banner = /** @type {HTMLElement} */ (document.getElementById("problem"));
  expect(banner.hidden).toBe(false);
  expect(banner.textContent).toContain("Not yours");
  expect(/** @type {HTMLSelectElement} */ (card(2).querySelector("select.move-to")).disabled).toBe(false);
});

test("a move to the stage the card is in sends nothing", async () => {
  const { sent } = stub();
  const { card } = await board();
  card(1).dispatchEvent(new CustomEvent("move", { detail: "s1" }));
  card(1).dispatchEvent(new CustomEvent("move", { detail: "no-such-stage" }));
  await settle();
  expect(sent.filter((r) => r.method === "PATCH")).toHaveLength(0);
});

test("a viewer's cards cannot be moved or dragged", async () => {
  signedInAs("viewer");
  stub();
  const { card } = await board();
  expect(/** @type {HTMLSelectElement} */ (card(1).querySelector("select.move-to")).disabled).toBe(true);
  expect(card(1).getAttribute("draggable")).toBe("false");
});

test("a column with more orders offers the next page, asked with its cursor", async () => {
  const { sent } = stubFetch((request) => {
    const url = new URL(request.url, "http://x");
    if (url.pathname === "/api/v1/pipelines") return json(PIPELINES);
    if (url.searchParams.get("cursor")) return json({ items: [order(9, "s1")], next_cursor: null });
    return json({ items: url.searchParams.get("stage_id") === "s1" ? [order(1, "s1")] : [], next_cursor: url.searchParams.get("stage_id") === "s1" ? "c2" : null });
  });
  const { view, numbers } = await board();
  const more = /** @type {HTMLButtonElement} */ (view.querySelector('section[data-stage="s1"] .column-more'));
  expect(more.hidden).toBe(false);
  expect(/** @type {HTMLButtonElement} */ (view.querySelector('section[data-stage="s2"] .column-more')).hidden).toBe(true);
  more.click();
  await settle();
  expect(numbers("s1")).toEqual([1, 9]);
  expect(more.hidden).toBe(true);
  expect(new URL(sent.at(-1)?.url ?? "", "http://x").searchParams.get("cursor")).toBe("c2");
});

test("a school without pipelines has no board; pipelines out of reach are the problem shown", async () => {
  stubFetch(() => json({ items: [] }));
  let { view } = await board();
  expect(view.querySelector("#board")).toBeNull();
  stubFetch(() => problem(503, { title: "Unavailable", detail: "Try later" }));
  ({ view } = await board());
  expect(view.querySelector("#board")).toBeNull();
  expect(/** @type {HTMLElement} */ (document.getElementById("problem")).textContent).toContain("Try later");
});
