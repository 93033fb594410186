// Keeping a screen current: polls with If-None-Match while shown and visible; a 304 draws nothing.
import { editsIn, follow, followOrders, POLL_INTERVAL_MS } from "../../src/gateway/console/live.js";
import { json, notModified, signedInAs, stubFetch } from "./stubs.js";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  document.body.replaceChildren();
});
afterEach(() => vi.useRealTimers());

/** A screen's element, in the page. */
function shown() {
  const node = document.createElement("section");
  document.body.append(node);
  return node;
}

/** @param {(etag: string | null) => Promise<{ etag: string | null } | null>} check */
const watch = (check, etag = '"v1"') => ({ etag, check: vi.fn(check) });

test("nothing is asked before the interval; then the ETag shown is sent, and a 304 redraws nothing", async () => {
  const w = watch(async () => null);
  const changed = vi.fn();
  follow(shown(), [w], changed);
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS - 1);
  expect(w.check).not.toHaveBeenCalled();
  await vi.advanceTimersByTimeAsync(1);
  expect(w.check).toHaveBeenCalledWith('"v1"');
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 3);
  expect(w.check).toHaveBeenCalledTimes(4);
  expect(changed).not.toHaveBeenCalled();
});

test("a change is drawn once, and the next poll asks with the new ETag", async () => {
  const answers = [{ etag: '"v2"' }, null];
  const w = watch(async () => answers.shift() ?? null);
  const changed = vi.fn();
  follow(shown(), [w], changed);
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
  expect(changed).toHaveBeenCalledTimes(1);
  expect(w.etag).toBe('"v2"');
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
  expect(w.check).toHaveBeenLastCalledWith('"v2"');
  expect(changed).toHaveBeenCalledTimes(1);
});

test("an answer with the ETag already shown is no change", async () => {
  const w = watch(async (etag) => ({ etag }));
  const changed = vi.fn();
  follow(shown(), [w], changed);
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 2);
  expect(changed).not.toHaveBeenCalled();
});

test("several things watched, one changed: one redraw", async () => {
  const still = watch(async () => null, '"a1"');
  const moved = watch(async () => ({ etag: '"b2"' }), '"b1"');
  const changed = vi.fn();
  follow(shown(), [still, moved], changed);
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
  expect(changed).toHaveBeenCalledTimes(1);
  expect([still.etag, moved.etag]).toEqual(['"a1"', '"b2"']);
});

test("the polling stops once the screen is left", async () => {
  const node = shown();
  const w = watch(async () => null);
  follow(node, [w], vi.fn());
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
  node.remove();
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 5);
  expect(w.check).toHaveBeenCalledTimes(1);
  expect(vi.getTimerCount()).toBe(0);
});

test("a screen left while a poll was under way is not redrawn", async () => {
  const node = shown();
  const w = watch(async () => {
    node.remove();
    return { etag: '"v2"' };
  });
  const changed = vi.fn();
  follow(node, [w], changed);
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 2);
  expect(changed).not.toHaveBeenCalled();
  expect(vi.getTimerCount()).toBe(0);
});

test("a hidden tab asks nothing, and asks again once visible", async () => {
  const visibility = vi.spyOn(document, "visibilityState", "get").mockReturnValue("hidden");
  const w = watch(async () => null);
  follow(shown(), [w], vi.fn());
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 4);
  expect(w.check).not.toHaveBeenCalled();
  visibility.mockReturnValue("visible");
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
  expect(w.check).toHaveBeenCalledTimes(1);
});

test("a failed poll is tried again at the next one", async () => {
  let calls = 0;
  const w = watch(async () => {
    calls += 1;
    if (calls === 1) throw new Error("out of reach");
    return { etag: '"v2"' };
  });
  const changed = vi.fn();
  follow(shown(), [w], changed);
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
  expect(changed).not.toHaveBeenCalled();
  expect(w.etag).toBe('"v1"');
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
  expect(w.check).toHaveBeenLastCalledWith('"v1"');
  expect(changed).toHaveBeenCalledTimes(1);
});

test("a first page of orders is asked with its filters and ETag; redrawn from a changed page only", async () => {
  signedInAs("manager");
  const page = { items: [{ number: 1 }], next_cursor: null };
  const answers = [notModified(), json(page, 200, { etag: '"p2"' }), notModified()];
  const { sent } = stubFetch(() => /** @type {Response} */ (answers.shift()));
  const redraw = vi.fn();
  followOrders(shown(), /** @type {any} */ ({ stage_id: "s1", sort: "-created_at", limit: 50 }), '"p1"', redraw);
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
  expect(redraw).not.toHaveBeenCalled();
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
  expect(redraw).toHaveBeenCalledTimes(1);
  expect(redraw).toHaveBeenCalledWith(page);
  await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
  expect(redraw).toHaveBeenCalledTimes(1);
  expect(sent.map((r) => [r.method, r.url, r.headers["If-None-Match"]])).toEqual([
    ["GET", "/api/v1/orders?stage_id=s1&sort=-created_at&limit=50", '"p1"'],
    ["GET", "/api/v1/orders?stage_id=s1&sort=-created_at&limit=50", '"p1"'],
    ["GET", "/api/v1/orders?stage_id=s1&sort=-created_at&limit=50", '"p2"'],
  ]);
  sessionStorage.clear();
});

describe("someone at work in a form", () => {
  /** A screen with a form shown, a form opened by a button, and a panel holding a form. */
  function screen() {
    const root = shown();
    root.innerHTML = `<form id="shown"><input id="name"></form><form id="later" hidden><input id="amount"></form>
      <details id="panel"><summary>More</summary><form><input id="inner"></form></details><button id="plain">x</button>`;
    return { root, editing: editsIn(root), at: (/** @type {string} */ id) => /** @type {HTMLElement} */ (root.querySelector(`#${id}`)) };
  }

  test("a screen as drawn is not being edited", () => {
    expect(screen().editing()).toBe(false);
  });

  test("typing or choosing in a form is", () => {
    const { editing, at } = screen();
    at("name").dispatchEvent(new Event("input", { bubbles: true }));
    expect(editing()).toBe(true);
  });

  test("an input event outside any form is not", () => {
    const { editing, at } = screen();
    at("plain").dispatchEvent(new Event("change", { bubbles: true }));
    expect(editing()).toBe(false);
  });

  test("a form shown by a button, or a panel opened on a form, is", () => {
    let s = screen();
    s.at("later").hidden = false;
    expect(s.editing()).toBe(true);
    s = screen();
    /** @type {HTMLDetailsElement} */ (s.at("panel")).open = true;
    expect(s.editing()).toBe(true);
  });

  test("the cursor in a form's input is", () => {
    const { editing, at } = screen();
    at("name").focus();
    expect(editing()).toBe(true);
    at("name").blur();
    expect(editing()).toBe(false);
  });
});
