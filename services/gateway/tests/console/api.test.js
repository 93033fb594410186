// The one wrapper of the API's calls: the token as Bearer, problems parsed, ETags, keys.
import * as api from "../../src/gateway/console/api.js";
import { json, notModified, problem, signedInAs, stubFetch } from "./stubs.js";

beforeEach(() => signedInAs("manager"));
afterEach(() => sessionStorage.clear());

test("a call sends the session's token as Bearer and asks for JSON or a problem", async () => {
  const { sent } = stubFetch(() => json({ id: "o1" }));
  expect(await api.getOrder(7)).toEqual({ id: "o1" });
  expect(sent).toHaveLength(1);
  expect(sent[0].url).toBe("/api/v1/orders/7");
  expect(sent[0].method).toBe("GET");
  expect(sent[0].headers.Authorization).toBe(`Bearer ${sessionStorage.getItem("orders-crm-console.token")}`);
  expect(sent[0].headers.Accept).toBe("application/json, application/problem+json");
  expect(sent[0].headers).not.toHaveProperty("Content-Type");
  expect(sent[0].body).toBeUndefined();
});

test("without a session no Authorization is sent, and nothing cached or credentialed", async () => {
  sessionStorage.clear();
  const { sent, fetch } = stubFetch(() => json({ items: [] }));
  await api.listPipelines();
  expect(sent[0].headers).not.toHaveProperty("Authorization");
  expect(fetch.mock.calls[0][1]).toMatchObject({ credentials: "omit", cache: "no-store" });
});

test("a body goes as JSON with its type", async () => {
  const { sent } = stubFetch(() => json({ id: "c1" }));
  await api.patchContact("c/1", { name: "Ann" });
  expect(sent[0]).toMatchObject({ url: "/api/v1/contacts/c%2F1", method: "PATCH", body: { name: "Ann" } });
  expect(sent[0].headers["Content-Type"]).toBe("application/json");
});

test("a query leaves out what is empty, null or absent", async () => {
  const { sent } = stubFetch(() => json({ items: [], next_cursor: null }));
  await api.listOrders(/** @type {any} */ ({ q: "ann", tag: "", manager: null, stage_id: undefined, limit: 50, sort: "-total" }));
  expect(sent[0].url).toBe("/api/v1/orders?q=ann&limit=50&sort=-total");
  await api.listOffers();
  expect(sent[1].url).toBe("/api/v1/offers");
  await api.listOffers(true);
  expect(sent[2].url).toBe("/api/v1/offers?include_system_copies=true");
});

test("a refusal is an ApiError with the API's problem details and its status", async () => {
  stubFetch(() => problem(422, { title: "Unprocessable", detail: "Bad amount",
    errors: [{ field: "amount", message: "must be positive" }] }));
  const error = await api.markPaid("p1", /** @type {any} */ ({ amount: "-1" })).catch((e) => e);
  expect(error).toBeInstanceOf(api.ApiError);
  expect(error.status).toBe(422);
  expect(error.message).toBe("Bad amount");
  expect(error.problem.title).toBe("Unprocessable");
  expect(error.forField("amount")).toBe("must be positive");
  expect(error.forField("comment")).toBeUndefined();
});

test("the answer's status wins over the one a problem body claims", async () => {
  stubFetch(() => new Response(JSON.stringify({ title: "Gone", status: 200 }), { status: 410, headers: { "content-type": "application/problem+json" } }));
  const error = await api.getOrder(1).catch((e) => e);
  expect(error.status).toBe(410);
  expect(error.message).toBe("Gone");
});

test("a refusal that is not a problem is described by its status", async () => {
  stubFetch(() => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway", headers: { "content-type": "text/html" } }));
  const error = await api.getOrder(1).catch((e) => e);
  expect(error).toBeInstanceOf(api.ApiError);
  expect(error.status).toBe(502);
  expect(error.problem.title).toBe("Bad Gateway");
});

test("a refusal claiming JSON that is not JSON is described by its status", async () => {
  stubFetch(() => new Response("{oops", { status: 500, headers: { "content-type": "application/json" } }));
  const error = await api.getOrder(1).catch((e) => e);
  expect(error.status).toBe(500);
  expect(typeof error.problem.title).toBe("string");
});

test("the CRM out of reach is an ApiError of status 0 naming the cause", async () => {
  stubFetch(() => { throw new TypeError("Failed to fetch"); });
  const error = await api.getOrder(1).catch((e) => e);
  expect(error).toBeInstanceOf(api.ApiError);
  expect(error.status).toBe(0);
  expect(error.problem.detail).toContain("Failed to fetch");
});

test("a versioned write sends the version shown as If-Match", async () => {
  const { sent } = stubFetch(() => json({ id: "o1", version: 4 }));
  await api.patchOrder(12, 3, { stage_id: "s2" });
  await api.patchLine(12, "l/1", 3, { price: "1.00" });
  await api.addLine(12, 3, /** @type {any} */ ({ product_id: "p1" }), "key-0");
  await api.removeLine(12, "l1", 3);
  await api.patchOffer("of1", 9, { title: "x" });
  expect(sent.map((r) => [r.method, r.url, r.headers["If-Match"]])).toEqual([
    ["PATCH", "/api/v1/orders/12", '"3"'],
    ["PATCH", "/api/v1/orders/12/lines/l%2F1", '"3"'],
    ["POST", "/api/v1/orders/12/lines", '"3"'],
    ["DELETE", "/api/v1/orders/12/lines/l1", '"3"'],
    ["PATCH", "/api/v1/offers/of1", '"9"'],
  ]);
  expect(sent[0].body).toEqual({ stage_id: "s2" });
});

test("a creation sends the form's Idempotency-Key, the same one each time it is given", async () => {
  const { sent } = stubFetch(() => json({ id: "x" }, 201));
  await api.createOrder(/** @type {any} */ ({ contact: {} }), "key-1");
  await api.createOrder(/** @type {any} */ ({ contact: {} }), "key-1");
  await api.addPayment(5, /** @type {any} */ ({ amount: "1.00" }), "key-2");
  await api.createProduct(/** @type {any} */ ({ title: "P" }), "key-3");
  await api.createOffer(/** @type {any} */ ({ title: "O" }), "key-4");
  expect(sent.map((r) => [r.method, r.url, r.headers["Idempotency-Key"]])).toEqual([
    ["POST", "/api/v1/orders", "key-1"], ["POST", "/api/v1/orders", "key-1"],
    ["POST", "/api/v1/orders/5/payments", "key-2"], ["POST", "/api/v1/products", "key-3"], ["POST", "/api/v1/offers", "key-4"],
  ]);
});

test("a resend carries its key, and to_refused_address only when confirmed", async () => {
  const { sent } = stubFetch(() => json({ id: "n2" }, 201));
  await api.resendNotification("n1", "k1");
  await api.resendNotification("n1", "k2", true);
  expect(sent.map((r) => [r.method, r.url, r.headers["Idempotency-Key"]])).toEqual([
    ["POST", "/api/v1/notifications/n1/resend", "k1"],
    ["POST", "/api/v1/notifications/n1/resend?to_refused_address=true", "k2"],
  ]);
});

test("a conditional GET sends If-None-Match and a 304 is null: nothing new to draw", async () => {
  const { sent } = stubFetch(() => notModified());
  expect(await api.orderIfChanged(3, 'W/"v1"')).toBeNull();
  expect(sent[0].headers["If-None-Match"]).toBe('W/"v1"');
});

test("a changed answer comes with its new ETag; a first ask sends no If-None-Match", async () => {
  const { sent } = stubFetch(() => json({ items: [] }, 200, { etag: '"v2"' }));
  expect(await api.ordersIfChanged(/** @type {any} */ ({ sort: "-created_at", limit: 50 }), null))
    .toEqual({ etag: '"v2"', value: { items: [] } });
  expect(sent[0].url).toBe("/api/v1/orders?sort=-created_at&limit=50");
  expect(sent[0].headers).not.toHaveProperty("If-None-Match");
  await api.notificationsIfChanged(3, '"v2"');
  expect(sent[1].url).toBe("/api/v1/orders/3/notifications?limit=100");
});

test("the CSV export sends the filters without the page's cursor and size, asking for CSV", async () => {
  const { sent } = stubFetch(() => new Response("number\n1\n", { headers: { "content-type": "text/csv" } }));
  const blob = await api.exportOrders(/** @type {any} */ ({ q: "ann", cursor: "c1", limit: 50, sort: "number" }));
  expect(await blob.text()).toBe("number\n1\n");
  expect(sent[0].url).toBe("/api/v1/orders/export.csv?q=ann&sort=number");
  expect(sent[0].headers.Accept).toBe("text/csv, application/problem+json");
});

test("paths are escaped: an id cannot reach another resource", async () => {
  const { sent } = stubFetch(() => json({}));
  await api.getTemplate("order/paid", "uk?x=1");
  await api.getProduct("../school");
  expect(sent.map((r) => r.url)).toEqual(["/api/v1/templates/order%2Fpaid/uk%3Fx%3D1", "/api/v1/products/..%2Fschool"]);
});

test("the reminder schedule goes as its offsets in hours", async () => {
  const { sent } = stubFetch(() => json({ offsets_hours: [-24, 0] }));
  await api.putReminderSchedule([-24, 0]);
  expect(sent[0]).toMatchObject({ method: "PUT", url: "/api/v1/reminder-schedule", body: { offsets_hours: [-24, 0] } });
});

test("a pipeline and a line are created under their form's Idempotency-Key too", async () => {
  const { sent } = stubFetch(() => json({ id: "x" }, 201));
  await api.createPipeline(/** @type {any} */ ({ name: "B2B", stages: [] }), "key-5");
  await api.addLine(12, 3, /** @type {any} */ ({ product_id: "p1" }), "key-6");
  expect(sent.map((r) => [r.method, r.url, r.headers["Idempotency-Key"]])).toEqual([
    ["POST", "/api/v1/pipelines", "key-5"], ["POST", "/api/v1/orders/12/lines", "key-6"],
  ]);
  expect(sent[1].headers["If-Match"]).toBe('"3"');
});
