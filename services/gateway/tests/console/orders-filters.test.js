// The orders list's filters: the address after `#` ↔ the form ↔ what GET /api/v1/orders is asked.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { json, settle, signedInAs, stubFetch } from "./stubs.js";

const OPENAPI = JSON.parse(readFileSync(join(import.meta.dirname, "../../src/gateway/openapi.json"), "utf8"));
/** @type {{ name: string, in: string, schema: any }[]} */
const LIST_PARAMETERS = OPENAPI.paths["/api/v1/orders"].get.parameters.filter((/** @type {any} */ p) => p.in === "query");
/** The values an API parameter's enum allows, through a `$ref` and past the null of an optional one. @param {string} name */
function allowed(name) {
  const schema = LIST_PARAMETERS.find((p) => p.name === name)?.schema;
  for (const choice of schema.anyOf ?? [schema]) {
    const found = choice.$ref ? OPENAPI.components.schemas[choice.$ref.split("/").pop()] : choice;
    if (Array.isArray(found.enum)) return found.enum;
  }
  throw new Error(`${name} lists no values`);
}

const CATALOG = {
  "/api/v1/pipelines": { items: [{ id: "pl1", name: "Sales", stages: [{ id: "s1", name: "New" }, { id: "s2", name: "Won" }] }] },
  "/api/v1/products": { items: [{ id: "pr1", title: "Course" }] },
  "/api/v1/offers": { items: [{ id: "of1", title: "Spring offer" }] },
};

/** The module fresh, as on a page load (its catalog fetched once per load). */
async function load() {
  vi.resetModules();
  return import("../../src/gateway/console/orders-filters.js");
}

beforeEach(() => signedInAs("manager"));
afterEach(() => sessionStorage.clear());

test("the form has a field for every filter the API takes", async () => {
  const { FILTERS } = await load();
  // The page's cursor and size, the search box and the sort are the list's own controls; a
  // contact's orders are listed on the contact's card.
  const own = new Set(["cursor", "limit", "q", "sort", "contact_id"]);
  const api = LIST_PARAMETERS.map((p) => p.name).filter((name) => !own.has(name)).sort();
  expect(FILTERS.map((f) => f.name).sort()).toEqual(api);
});

test("the sorts are the API's, newest first by default", async () => {
  const { SORTS, DEFAULT_SORT } = await load();
  const sorts = allowed("sort");
  expect(sorts.length).toBeGreaterThan(1);
  expect(SORTS.map((s) => s.value).sort()).toEqual([...sorts].sort());
  expect(DEFAULT_SORT).toBe(LIST_PARAMETERS.find((p) => p.name === "sort")?.schema.default);
});

test("every filter in the address goes to the API; what is not a filter does not", async () => {
  const { apiFilters } = await load();
  const params = new URLSearchParams("pipeline_id=pl1&stage_id=s1&payment_status=paid&type=gift&product_id=pr1&offer_id=of1"
    + "&manager=Olha&tag=vip&source=widget&status=active&total_min=10,5&total_max=200&q=ann&view=board&whatever=1");
  expect(apiFilters(params)).toEqual({
    pipeline_id: "pl1", stage_id: "s1", payment_status: "paid", type: "gift", product_id: "pr1", offer_id: "of1",
    manager: "Olha", tag: "vip", source: "widget", status: "active", total_min: "10.5", total_max: "200",
    q: "ann", sort: "-created_at", limit: 50,
  });
});

test("dates are days here: a from is the moment the day begins, a to the last moment it holds", async () => {
  const { apiFilters } = await load();
  // 29 March 2026 is the day Kyiv's clocks go forward (UTC+2 → UTC+3).
  const query = apiFilters(new URLSearchParams("created_from=2026-03-29&created_to=2026-03-29&paid_from=2026-12-01&paid_to=2026-12-31"));
  expect(query).toMatchObject({
    created_from: "2026-03-28T22:00:00.000Z", created_to: "2026-03-29T20:59:59.999Z",
    paid_from: "2026-11-30T22:00:00.000Z", paid_to: "2026-12-31T21:59:59.999Z",
  });
});

test("a date that is not a day goes as typed, for the API to refuse on its field", async () => {
  const { apiFilters } = await load();
  expect(apiFilters(new URLSearchParams("created_from=yesterday")).created_from).toBe("yesterday");
});

test("the sort and page size are the address's when the API takes them, else the defaults", async () => {
  const { apiFilters, PAGE_SIZE } = await load();
  expect(apiFilters(new URLSearchParams("sort=total&limit=200"))).toMatchObject({ sort: "total", limit: 200 });
  for (const limit of ["0", "501", "abc", "2.5", ""]) {
    expect(apiFilters(new URLSearchParams(`limit=${limit}`)).limit).toBe(PAGE_SIZE);
  }
  expect(apiFilters(new URLSearchParams("sort=")).sort).toBe("-created_at");
});

/** The filters' fields in a form, filled from `address`. @param {string} address */
async function form(address) {
  const filters = await load();
  const node = document.createElement("form");
  node.append(...filters.filterFields(new URLSearchParams(address)));
  document.body.replaceChildren(node);
  await settle();
  return { filters, node, field: (/** @type {string} */ name) => /** @type {HTMLInputElement & HTMLSelectElement} */ (node.querySelector(`#filter-${name}`)) };
}

test("the fields are filled from the address, the choices from the school's catalog", async () => {
  const { sent } = stubFetch((request) => json(CATALOG[/** @type {keyof typeof CATALOG} */ (request.url)]));
  const { field } = await form("stage_id=s2&offer_id=of1&manager=Olha&created_from=2026-12-01&total_min=10.50&payment_status=overpaid");
  expect(field("stage_id").value).toBe("s2");
  expect([...field("stage_id").options].map((o) => o.value)).toEqual(["", "s1", "s2"]);
  expect(field("stage_id").options[1].textContent).toContain("Sales");  // a stage named with its pipeline
  expect(field("offer_id").value).toBe("of1");
  expect(field("manager").value).toBe("Olha");
  expect(field("created_from").value).toBe("2026-12-01");
  expect(field("total_min").value).toBe("10.50");
  expect(field("payment_status").value).toBe("overpaid");
  expect(field("pipeline_id").value).toBe("");
  // Four selects from the catalog, one fetch of each per page load.
  expect(sent.map((r) => r.url).sort()).toEqual(Object.keys(CATALOG).sort());
});

test("each kind of field is the input it needs", async () => {
  stubFetch((request) => json(CATALOG[/** @type {keyof typeof CATALOG} */ (request.url)]));
  const { field } = await form("");
  expect(field("created_to").type).toBe("date");
  expect(field("total_max").getAttribute("inputmode")).toBe("decimal");
  expect(new RegExp(`^(?:${field("total_max").getAttribute("pattern")})$`).test("10,25")).toBe(true);
  expect(new RegExp(`^(?:${field("total_max").getAttribute("pattern")})$`).test("10.255")).toBe(false);
  expect(field("tag").getAttribute("maxlength")).toBe("200");
  expect(field("tag").hasAttribute("pattern")).toBe(false);
});

test("the fixed choices are the values the API allows, every one of them", async () => {
  stubFetch((request) => json(CATALOG[/** @type {keyof typeof CATALOG} */ (request.url)]));
  const { field } = await form("");
  for (const name of ["payment_status", "type", "status", "source"]) {
    const values = [...field(name).options].map((o) => o.value).filter(Boolean);
    expect(values.sort(), name).toEqual(allowed(name).sort());
  }
});

test("a catalog that cannot be fetched leaves its selects disabled, and is asked again later", async () => {
  let fail = true;
  const { sent } = stubFetch((request) => (fail ? new Response("", { status: 503 }) : json(CATALOG[/** @type {keyof typeof CATALOG} */ (request.url)])));
  const { filters, field } = await form("");
  expect(field("pipeline_id").disabled).toBe(true);
  expect(field("type").disabled).toBe(false);
  fail = false;
  const again = filters.filterFields(new URLSearchParams("pipeline_id=pl1"));
  document.body.replaceChildren(...again);
  await settle();
  const pipeline = /** @type {HTMLSelectElement} */ (document.querySelector("#filter-pipeline_id"));
  expect(pipeline.disabled).toBe(false);
  expect(pipeline.value).toBe("pl1");
  expect(sent.filter((r) => r.url === "/api/v1/pipelines").length).toBe(2);
});

test("the form back to the address: values trimmed, empty ones dropped, the list's own kept", async () => {
  stubFetch((request) => json(CATALOG[/** @type {keyof typeof CATALOG} */ (request.url)]));
  const { filters, node, field } = await form("tag=old&sort=total&q=ann&limit=100&view=board&cursor=abc");
  field("tag").value = "  ";
  field("manager").value = "  Olha ";
  field("stage_id").value = "s1";
  const params = filters.paramsFromForm(node, new URLSearchParams("tag=old&sort=total&q=ann&limit=100&view=board&cursor=abc"));
  expect(Object.fromEntries(params)).toEqual({ q: "ann", sort: "total", limit: "100", view: "board", manager: "Olha", stage_id: "s1" });
});

test("an address read into the form and submitted unchanged is the same address", async () => {
  stubFetch((request) => json(CATALOG[/** @type {keyof typeof CATALOG} */ (request.url)]));
  const address = "pipeline_id=pl1&stage_id=s2&payment_status=paid&type=renewal&product_id=pr1&offer_id=of1&manager=Olha"
    + "&tag=vip&created_from=2026-01-01&created_to=2026-01-31&paid_from=2026-02-01&paid_to=2026-02-28"
    + "&total_min=1&total_max=9.99&source=manual&status=expired&q=ann&sort=number";
  const { filters, node } = await form(address);
  const back = filters.paramsFromForm(node, new URLSearchParams(address));
  expect(Object.fromEntries(back)).toEqual(Object.fromEntries(new URLSearchParams(address)));
});
