// A product line changed, added or removed on the order's card, on the version the card showed.
import { addLineForm, lineEditor } from "../../src/gateway/console/line-edit.js";
import { json, problem, settle, signedInAs, stubFetch } from "./stubs.js";

const LINE = /** @type {any} */ ({ id: "ln1", product_id: "pr1", product_title: "Course", price: "100.00",
  access: { start: { kind: "after_payment" }, end: { kind: "never" }, module_ids: null, lesson_ids: null, lesson_delays: "course",
    delay_overrides: [], checkpoints: true, practice: "course", practice_lesson_ids: [], comments: true, certificate: "none",
    certificate_conditions: null } });
const CARD = /** @type {any} */ ({ id: "o1", number: 7, version: 5, currency: "UAH", lines: [LINE] });
const PRODUCT = { id: "pr1", title: "Course", modules: [{ id: "m1", title: "M", lessons: [{ id: "l1", title: "L" }] }] };

const then = () => ({ saved: vi.fn(), reload: vi.fn() });
/** @param {string} id */
const at = (id) => /** @type {HTMLInputElement & HTMLSelectElement & HTMLButtonElement} */ (document.getElementById(id));
/** @param {string} id @param {string} value */
function type(id, value) {
  at(id).value = value;
  at(id).dispatchEvent(new Event(at(id).tagName === "SELECT" ? "change" : "input", { bubbles: true }));
}
/** @param {string} id */
async function submit(id) {
  at(id).dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  await settle();
}
/** @param {HTMLDetailsElement} panel */
async function open(panel) {
  panel.open = true;
  panel.dispatchEvent(new Event("toggle"));
  await settle();
}
const writes = (/** @type {import("./stubs.js").Sent[]} */ sent) => sent.filter((r) => r.method !== "GET");

beforeEach(() => {
  document.body.replaceChildren();
  signedInAs("manager");
});
afterEach(() => sessionStorage.clear());

/** The line's editor in the page. */
function editor(done = then()) {
  const panel = /** @type {HTMLDetailsElement} */ (lineEditor(CARD, LINE, 0, done));
  document.body.append(panel);
  return { panel, done };
}

test("nothing changed, nothing is sent", async () => {
  const { sent } = stubFetch(() => json({}));
  const { done } = editor();
  await submit("card-line-0-form");
  expect(writes(sent)).toEqual([]);
  expect(at("card-line-0-notice").hidden).toBe(false);
  expect(done.saved).not.toHaveBeenCalled();
});

test("only what changed goes, trimmed, on the card's version", async () => {
  const { sent } = stubFetch(() => json(CARD));
  const { done } = editor();
  type("card-line-0-price", " 120.50 ");
  await submit("card-line-0-form");
  expect(writes(sent)).toEqual([{ method: "PATCH", url: "/api/v1/orders/o1/lines/ln1", body: { price: "120.50" },
    headers: expect.objectContaining({ "If-Match": '"5"' }) }]);
  expect(done.saved).toHaveBeenCalledTimes(1);
});

test("the access terms go only once one of their inputs was touched", async () => {
  const { sent } = stubFetch(() => json(CARD));
  editor();
  type("card-line-0-title", "Course, spring");
  await submit("card-line-0-form");
  expect(writes(sent)[0].body).toEqual({ product_title: "Course, spring" });
  type("card-line-0-certificate", "on_completion");
  await submit("card-line-0-form");
  expect(writes(sent)[1].body).toEqual({ product_title: "Course, spring", access: { ...LINE.access, certificate: "on_completion" } });
});

test("a 409 shows the card's conflict notice with its Reload, and saves nothing more", async () => {
  stubFetch(() => problem(409, { title: "Conflict", detail: "The order changed" }));
  const { panel, done } = editor();
  type("card-line-0-price", "1.00");
  await submit("card-line-0-form");
  const notice = panel.querySelector(".line-conflict .conflict");
  expect(notice).not.toBeNull();
  expect(done.saved).not.toHaveBeenCalled();
  expect(at("card-line-0-save").disabled).toBe(false);
  /** @type {HTMLButtonElement} */ (notice?.querySelector("button.reload")).click();
  expect(done.reload).toHaveBeenCalledTimes(1);
});

test("the API's field errors land on the inputs they name", async () => {
  stubFetch(() => problem(422, { title: "Unprocessable", errors: [{ field: "price", message: "too many decimals" },
    { field: "access.end.period.count", message: "must be positive" }] }));
  const { panel } = editor();
  type("card-line-0-price", "1.005");
  await submit("card-line-0-form");
  expect(at("card-line-0-price").getAttribute("aria-invalid")).toBe("true");
  expect(at("card-line-0-price-error").textContent).toBe("too many decimals");
  expect(at("card-line-0-end").getAttribute("aria-invalid")).toBe("true");
  expect(panel.querySelector(".conflict")).toBeNull();
  // Submitted again, the old errors go first.
  stubFetch(() => json(CARD));
  await submit("card-line-0-form");
  expect(at("card-line-0-price").hasAttribute("aria-invalid")).toBe(false);
});

test("Remove deletes the line on the card's version", async () => {
  const { sent } = stubFetch(() => json(CARD));
  const { done } = editor();
  at("card-line-0-remove").click();
  await settle();
  expect(writes(sent)).toMatchObject([{ method: "DELETE", url: "/api/v1/orders/o1/lines/ln1", headers: { "If-Match": '"5"' } }]);
  expect(done.saved).toHaveBeenCalledTimes(1);
});

test("a Remove refused with a 409 shows the conflict notice and can be tried again", async () => {
  stubFetch(() => problem(409, { title: "Conflict" }));
  const { panel } = editor();
  at("card-line-0-remove").click();
  await settle();
  expect(panel.querySelector(".line-conflict .conflict")).not.toBeNull();
  expect(at("card-line-0-remove").disabled).toBe(false);
});

test("the product's lessons are fetched when the editor is first opened, and again only after a failure", async () => {
  let fail = true;
  const { sent } = stubFetch(() => (fail ? problem(404, { title: "Not found" }) : json(PRODUCT)));
  const { panel } = editor();
  expect(sent).toEqual([]);
  await open(panel);
  fail = false;
  panel.open = false;
  panel.dispatchEvent(new Event("toggle"));
  await open(panel);
  await open(panel);
  expect(sent.map((r) => r.url)).toEqual(["/api/v1/products/pr1", "/api/v1/products/pr1"]);
  expect(panel.querySelectorAll("#card-line-0-lesson-list li")).toHaveLength(1);
});

test("a viewer's editor is disabled throughout", () => {
  signedInAs("viewer");
  editor();
  for (const id of ["card-line-0-title", "card-line-0-price", "card-line-0-save", "card-line-0-remove", "card-line-0-start", "card-line-0-certificate"]) {
    expect(at(id).disabled, id).toBe(true);
  }
});

describe("+ Product", () => {
  function adder(done = then()) {
    const panel = /** @type {HTMLDetailsElement} */ (addLineForm(CARD, done));
    document.body.append(panel);
    return { panel, done };
  }

  test("the catalog is fetched when first opened; the line goes with its product, price and terms on the card's version", async () => {
    const { sent } = stubFetch((request) => (request.method === "GET" ? json({ items: [PRODUCT] }) : json(CARD, 201)));
    const { panel, done } = adder();
    await open(panel);
    expect([...at("card-new-line-product").options].map((o) => o.value)).toEqual(["", "pr1"]);
    type("card-new-line-product", "pr1");
    type("card-new-line-price", " 99.90 ");
    await submit("card-new-line-form");
    const [post] = writes(sent);
    expect(post).toMatchObject({ method: "POST", url: "/api/v1/orders/o1/lines", headers: { "If-Match": '"5"' } });
    expect(post.body).toMatchObject({ product_id: "pr1", price: "99.90", product_title: null, access: { start: { kind: "after_payment" } } });
    expect(done.saved).toHaveBeenCalledTimes(1);
    expect(panel.querySelectorAll("#card-new-line-lesson-list li")).toHaveLength(1);  // the product's lessons, to choose from
  });

  test("a 409 is the conflict notice; a 422 goes on the field it names", async () => {
    const answers = [json({ items: [PRODUCT] }), problem(409, { title: "Conflict" }),
      problem(422, { title: "Unprocessable", errors: [{ field: "product_id", message: "choose one" }] })];
    stubFetch(() => /** @type {Response} */ (answers.shift()));
    const { panel, done } = adder();
    await open(panel);
    await submit("card-new-line-form");
    expect(panel.querySelector(".line-conflict .conflict")).not.toBeNull();
    await submit("card-new-line-form");
    expect(panel.querySelector(".line-conflict .conflict")).toBeNull();
    expect(at("card-new-line-product").getAttribute("aria-invalid")).toBe("true");
    expect(done.saved).not.toHaveBeenCalled();
  });
});

test("+ Product sends one Idempotency-Key per form, the same on a second submit", async () => {
  const posts = [problem(503, { title: "Unavailable" })];
  const { sent } = stubFetch((request) => (request.method === "GET" ? json({ items: [PRODUCT] })
    : /** @type {Response} */ (posts.shift() ?? json(CARD, 201))));
  const panel = /** @type {HTMLDetailsElement} */ (addLineForm(CARD, then()));
  document.body.append(panel);
  await open(panel);
  type("card-new-line-product", "pr1");
  type("card-new-line-price", "10.00");
  await submit("card-new-line-form");
  await submit("card-new-line-form");
  const [first, second] = writes(sent).map((r) => r.headers["Idempotency-Key"]);
  expect(first).toBeTruthy();
  expect(second).toBe(first);
  panel.remove();
  const other = /** @type {HTMLDetailsElement} */ (addLineForm(CARD, then()));
  document.body.append(other);
  await open(other);
  type("card-new-line-product", "pr1");
  await submit("card-new-line-form");
  expect(writes(sent).map((r) => r.headers["Idempotency-Key"])[2]).not.toBe(first);
});
