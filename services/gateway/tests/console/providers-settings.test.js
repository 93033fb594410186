// Settings → payment providers, built from the API document: the gateway's own document with a
// made-up third provider added beside Stripe and WayForPay, which the console has no code for.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { json, problem, settle, signedInAs, stubFetch } from "./stubs.js";

const REAL = JSON.parse(readFileSync(join(import.meta.dirname, "../../src/gateway/openapi.json"), "utf8"));
const PATH = "/api/v1/providers/{provider}";

/** The gateway's document, with Acme Pay's settings registered as payments registers a provider's. */
function documentWithAcme() {
  const document = structuredClone(REAL);
  document.components.schemas.AcmeSettings = {
    additionalProperties: false, type: "object", title: "Acme Pay", "x-provider": "acme",
    properties: {
      shop_id: { type: "string", title: "Shop ID", pattern: "^[0-9]+$", maxLength: 12 },
      api_token: { type: "string", title: "API token", maxLength: 64, writeOnly: true },
      return_url: { anyOf: [{ type: "string", pattern: "^https?://", maxLength: 2000 }, { type: "null" }], default: null, title: "Return Url" },
      timeout_minutes: { anyOf: [{ type: "integer", maximum: 60 }, { type: "null" }], default: null, title: "Timeout (minutes)" },
    },
    required: ["shop_id", "api_token"],
  };
  document.paths[PATH].put.requestBody.content["application/json"].schema.oneOf.push({ $ref: "#/components/schemas/AcmeSettings" });
  return document;
}

/** @param {string} provider @param {Record<string, string>} [settings] @param {string[]} [secrets] */
const view = (provider, settings = {}, secrets = []) => ({
  provider, configured: Object.keys(settings).length + secrets.length > 0, settings, secrets_set: secrets,
  webhook_url: `https://pay.example/webhooks/${provider}/acc-1`,
});

/** The console's modules in a language, fresh (the document asked again). @param {string} [tag] */
async function consoleIn(tag = "en") {
  localStorage.setItem("console-language", tag);
  vi.resetModules();
  const providers = await import("../../src/gateway/console/providers-settings.js");
  localStorage.clear();
  return providers;
}

/**
 * The providers section in the page, the API answering: the document, each provider's view
 * (`views`, a provider left out a 404), and a save with `saved` (a Response) or the body, kept as stored.
 * @param {{ views?: Record<string, any>, saved?: () => Response, apiDocument?: any, tag?: string }} [options]
 */
async function shown({ views = { stripe: view("stripe"), wayforpay: view("wayforpay"), acme: view("acme") }, saved, apiDocument = documentWithAcme(), tag } = {}) {
  const api = stubFetch((request) => {
    if (request.url === "/openapi.json") return json(apiDocument);
    const name = decodeURIComponent(request.url.split("/").pop() ?? "");
    if (request.method === "GET") {
      return name in views ? json(views[name]) : problem(404, { title: "Not found", detail: `no configurable provider '${name}'` });
    }
    if (saved) return saved();
    // Stored as the API stores it: the secret named, never shown; what the page asks next is this.
    const merged = { ...(request.method === "PATCH" ? views[name]?.settings : {}), ...request.body };
    views[name] = view(name, Object.fromEntries(Object.entries(merged).filter(([k, v]) => k !== "api_token" && v !== null)
      .map(([k, v]) => [k, String(v)])), ["api_token"]);
    return json(views[name]);
  });
  const { providersSection } = await consoleIn(tag);
  document.body.replaceChildren(await providersSection());
  await settle();
  const at = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
  const save = async (/** @type {string} */ provider) => {
    at(`provider-${provider}-form`).dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    return api.sent.filter((r) => r.method === "PUT" || r.method === "PATCH");
  };
  return { api, at, save };
}

/** @param {string} id */
const labelOf = (id) => document.querySelector(`label[for="${id}"]`)?.textContent;

beforeEach(() => signedInAs("owner"));

test("every provider in the document is listed with its fields; a secret is what the document marks writeOnly", async () => {
  const { providersOf } = await consoleIn();
  const providers = providersOf(documentWithAcme());
  expect(providers.map((p) => [p.name, p.title])).toEqual([["stripe", "Stripe"], ["wayforpay", "WayForPay"], ["acme", "Acme Pay"]]);
  const acme = providers[2];
  expect(acme.fields).toEqual([
    { name: "shop_id", label: "Shop ID", secret: false, required: true, type: "string", pattern: "^[0-9]+$", maxLength: 12 },
    { name: "api_token", label: "API token", secret: true, required: true, type: "string", pattern: undefined, maxLength: 64 },
    // A field the catalogs have words for takes them, whichever provider it is of.
    { name: "return_url", label: "Return URL", secret: false, required: false, type: "string", pattern: "^https?://", maxLength: 2000 },
    { name: "timeout_minutes", label: "Timeout (minutes)", secret: false, required: false, type: "integer", pattern: undefined, maxLength: undefined },
  ]);
  const stripe = providers[0];
  expect(stripe.fields.map((f) => [f.name, f.label, f.secret, f.required])).toEqual([
    ["secret_key", "Secret key", true, true], ["webhook_secret", "Webhook signing secret", true, true],
    ["success_url", "Success URL", false, false], ["cancel_url", "Cancel URL", false, false]]);
  expect(providers[1].fields.map((f) => [f.name, f.label, f.secret])).toEqual([
    ["merchant_account", "Merchant account", false], ["secret_key", "Secret key", true],
    ["merchant_domain_name", "Merchant domain", false], ["return_url", "Return URL", false]]);
  // The document the gateway serves says the same of the providers it has.
  expect(providersOf(REAL).map((p) => p.name)).toEqual(["stripe", "wayforpay"]);
});

test("in Ukrainian the known fields keep their words, a new provider's others show their titles", async () => {
  const { at } = await shown({ tag: "uk" });
  expect(labelOf("provider-stripe-secret_key")).toBe("Секретний ключ");
  expect(labelOf("provider-stripe-webhook_secret")).toBe("Секрет підпису вебхуків");
  expect(labelOf("provider-wayforpay-merchant_domain_name")).toBe("Домен мерчанта");
  expect(labelOf("provider-acme-return_url")).toBe("URL повернення");
  expect(labelOf("provider-acme-shop_id")).toBe("Shop ID");
  expect(at("provider-acme-form").querySelector("h3")?.textContent).toContain("Acme Pay");
});

test("a new provider's form: its rules on its inputs, its secret write-only, and its first save a PUT of what was typed", async () => {
  const { at, save } = await shown();
  const shop = at("provider-acme-shop_id");
  expect([shop.type || "text", shop.maxLength, shop.getAttribute("pattern"), shop.required]).toEqual(["text", 12, "^[0-9]+$", true]);
  const token = at("provider-acme-api_token");
  expect([token.type, token.value, token.maxLength, token.required]).toEqual(["password", "", 64, true]);
  expect(at("provider-acme-api_token-state").textContent).toBe("not set");
  expect(at("provider-acme-return_url").required).toBe(false);
  expect(at("provider-acme-timeout_minutes").getAttribute("inputmode")).toBe("numeric");
  expect(at("provider-acme-configured").textContent).toBe("not configured");

  shop.value = " 123 ";
  token.value = "tok en ";  // a secret goes as typed
  at("provider-acme-timeout_minutes").value = "15";
  const sent = await save("acme");
  expect(sent).toHaveLength(1);
  expect(sent[0]).toMatchObject({ method: "PUT", url: "/api/v1/providers/acme" });
  expect(sent[0].body).toEqual({ shop_id: "123", api_token: "tok en ", timeout_minutes: 15 });
  // Shown again as stored: the secret set, never shown back, no longer required.
  expect(at("provider-acme-notice").textContent).toBe("Saved.");
  expect(at("provider-acme-configured").textContent).toBe("configured");
  expect(at("provider-acme-api_token").value).toBe("");
  expect(at("provider-acme-api_token").required).toBe(false);
  expect(at("provider-acme-api_token-state").textContent).toBe("set");
  expect(at("provider-acme-shop_id").value).toBe("123");
});

test("a provider set up before is changed with PATCH: only what changed, the secret only when typed", async () => {
  const stored = view("acme", { shop_id: "123", return_url: "https://school.example/back" }, ["api_token"]);
  const { at, save } = await shown({ views: { acme: stored } });
  expect(at("provider-acme-api_token").value).toBe("");
  expect(at("provider-acme-api_token").placeholder).toBe("set: type a new one to replace it");
  expect(await save("acme")).toEqual([]);
  expect(at("provider-acme-notice").textContent).toBe("Nothing to save.");

  at("provider-acme-shop_id").value = "456";
  at("provider-acme-return_url").value = "  ";
  let sent = await save("acme");
  expect(sent.map((r) => [r.method, r.url])).toEqual([["PATCH", "/api/v1/providers/acme"]]);
  expect(sent[0].body).toEqual({ shop_id: "456", return_url: null });
  expect([at("provider-acme-shop_id").value, at("provider-acme-return_url").value]).toEqual(["456", ""]);

  at("provider-acme-api_token").value = "rotated";
  sent = await save("acme");
  expect(sent.at(-1)?.body).toEqual({ api_token: "rotated" });
});

test("the API's refusal of a field is shown on that field of the new provider's form", async () => {
  const { at, save } = await shown({ saved: () => problem(422, { title: "Unprocessable", detail: "The request has errors",
    errors: [{ field: "shop_id", message: "String should match pattern '^[0-9]+$'" }, { field: "other", message: "odd" }] }) });
  at("provider-acme-shop_id").value = "abc";
  at("provider-acme-api_token").value = "tok";
  await save("acme");
  expect(at("provider-acme-shop_id-error").textContent).toBe("String should match pattern '^[0-9]+$'");
  expect(at("provider-acme-shop_id").getAttribute("aria-invalid")).toBe("true");
  expect(at("provider-acme-form-error").textContent).toBe("other: odd");
  expect(/** @type {HTMLButtonElement} */ (/** @type {unknown} */ (at("provider-acme-save"))).disabled).toBe(false);
});

test("for anyone but the owner every provider's form is read-only", async () => {
  signedInAs("manager");
  const { at } = await shown();
  expect(at("providers-owner-only")).not.toBeNull();
  for (const id of ["provider-acme-shop_id", "provider-acme-api_token", "provider-acme-save", "provider-stripe-secret_key", "provider-wayforpay-save"]) {
    expect(at(id).hasAttribute("disabled")).toBe(true);
  }
});

test("a provider the deployment does not run has no form; a document not had says why", async () => {
  const { at } = await shown({ views: { stripe: view("stripe"), wayforpay: view("wayforpay") } });
  expect(at("provider-acme")).toBeNull();
  expect(at("provider-stripe-form")).not.toBeNull();

  stubFetch(() => problem(503, { title: "Service unavailable" }));
  const { providersSection } = await consoleIn();
  document.body.replaceChildren(await providersSection());
  expect(at("providers-problem").textContent).toBe("Service unavailable");
  expect(document.querySelector(".provider")).toBeNull();
});
