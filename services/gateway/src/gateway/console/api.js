// One typed wrapper for every call the console makes to the CRM API: it sends the session's
// token as `Authorization: Bearer`, and turns an answer that is not a success into an ApiError
// carrying the API's problem details (RFC 9457), so every screen shows the API's own words.

import { t } from "./i18n.js";
import { token } from "./session.js";

/** @typedef {import("./types.js").Problem} Problem */
/** @typedef {import("./types.js").OrderPage} OrderPage */
/** @typedef {import("./types.js").OrderCard} OrderCard */
/** @typedef {import("./types.js").OrderFilters} OrderFilters */
/** @typedef {import("./types.js").OrderPayments} OrderPayments */
/** @typedef {import("./types.js").PaymentCard} PaymentCard */
/** @typedef {import("./types.js").OrderHistory} OrderHistory */
/** @typedef {import("./types.js").NotificationPage} NotificationPage */
/** @typedef {import("./types.js").MarkPaidBody} MarkPaidBody */
/** @typedef {import("./types.js").PipelineList} PipelineList */
/** @typedef {import("./types.js").ProductList} ProductList */
/** @typedef {import("./types.js").OfferList} OfferList */
/** @typedef {import("./types.js").OrderChanges} OrderChanges */
/** @typedef {import("./types.js").PaymentPatch} PaymentPatch */
/** @typedef {import("./types.js").NewPaymentBody} NewPaymentBody */
/** @typedef {import("./types.js").NewOrder} NewOrder */
/** @typedef {import("./types.js").ContactPage} ContactPage */
/** @typedef {import("./types.js").ContactCard} ContactCard */
/** @typedef {import("./types.js").ContactChanges} ContactChanges */
/** @typedef {import("./types.js").SchoolCard} SchoolCard */
/** @typedef {import("./types.js").SchoolIn} SchoolIn */
/** @typedef {import("./types.js").SchoolSettingsView} SchoolSettingsView */
/** @typedef {import("./types.js").SchoolSettings} SchoolSettings */
/** @typedef {import("./types.js").PipelineView} PipelineView */
/** @typedef {import("./types.js").NewPipeline} NewPipeline */
/** @typedef {import("./types.js").PipelineChanges} PipelineChanges */
/** @typedef {import("./types.js").ProviderSettingsView} ProviderSettingsView */
/** @typedef {import("./types.js").ReminderSchedule} ReminderSchedule */
/** @typedef {import("./types.js").TemplateList} TemplateList */
/** @typedef {import("./types.js").TemplateView} TemplateView */
/** @typedef {import("./types.js").LetterPreview} LetterPreview */
/** @typedef {import("./types.js").OverrideBody} OverrideBody */
/** @typedef {import("./types.js").ProductCard} ProductCard */
/** @typedef {import("./types.js").ProductIn} ProductIn */
/** @typedef {import("./types.js").ProductPatch} ProductPatch */
/** @typedef {import("./types.js").OfferCard} OfferCard */
/** @typedef {import("./types.js").OfferPatch} OfferPatch */
/** @typedef {import("./types.js").OfferIn} OfferIn */
/** @typedef {import("./types.js").LineChanges} LineChanges */
/** @typedef {import("./types.js").NewLine} NewLine */
/** @typedef {import("./types.js").NotificationCard} NotificationCard */
/** @typedef {Record<string, string | number | boolean | null | undefined>} Query */

export class ApiError extends Error {
  /** @param {Problem} problem */
  constructor(problem) {
    super(problem.detail || problem.title);
    this.problem = problem;
    this.status = problem.status;
  }

  /** The message the API gave for one input (`comment`), if it named it. @param {string} field */
  forField(field) {
    return (this.problem.errors ?? []).find((error) => error.field === field)?.message;
  }
}

/** @param {Query} [query] */
function search(query = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/**
 * @param {string} path
 * @param {{ method?: string, query?: Query, body?: unknown, accept?: string, extra?: Record<string, string> }} [options]
 * @returns {Promise<Response>}
 */
async function send(path, { method = "GET", query, body, accept = "application/json", extra = {} } = {}) {
  /** @type {Record<string, string>} */
  const headers = { ...extra, Accept: `${accept}, application/problem+json` };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`/api/v1${path}${search(query)}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    });
  } catch (cause) {
    throw new ApiError({ title: t("common:problem.unreachable"), status: 0, detail: String(cause) });
  }
  // 304 answers only a conditional GET (If-None-Match, sent by `tagged` alone): not a failure.
  if (!response.ok && response.status !== 304) throw new ApiError(await problemOf(response));
  return response;
}

/** @param {Response} response @returns {Promise<Problem>} */
async function problemOf(response) {
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      const problem = /** @type {Problem} */ (await response.json());
      if (problem && typeof problem.title === "string") return { ...problem, status: response.status };
    } catch {
      // not JSON after all: described below by its status
    }
  }
  return { title: response.statusText || t("common:problem.refused"), status: response.status };
}

/** @template T @param {string} path @param {Parameters<typeof send>[1]} [options] @returns {Promise<T>} */
async function json(path, options) {
  return /** @type {Promise<T>} */ ((await send(path, options)).json());
}

/** @param {string | number} order */
const ref = (order) => encodeURIComponent(String(order));

/**
 * An answer with the ETag it came with, for asking again with If-None-Match (live.js).
 * @template T @typedef {{ etag: string | null, value: T }} Tagged
 */

/**
 * A GET that is conditional when an ETag is given: null when the answer is still that one (304).
 * @template T @param {string} path @param {string | null} etag @param {Query} [query]
 * @returns {Promise<Tagged<T> | null>}
 */
async function tagged(path, etag, query) {
  const response = await send(path, { query, extra: etag ? { "If-None-Match": etag } : {} });
  if (response.status === 304) return null;
  return { etag: response.headers.get("etag"), value: /** @type {T} */ (await response.json()) };
}

/** @param {string | number} order @param {string | null} etag @returns {Promise<Tagged<OrderCard> | null>} */
export const orderIfChanged = (order, etag) => tagged(`/orders/${ref(order)}`, etag);

/** @param {string | number} order @param {string | null} etag @returns {Promise<Tagged<OrderPayments> | null>} */
export const paymentsIfChanged = (order, etag) => tagged(`/orders/${ref(order)}/payments`, etag);

/** @param {string | number} order @param {string | null} etag @returns {Promise<Tagged<OrderHistory> | null>} */
export const historyIfChanged = (order, etag) => tagged(`/orders/${ref(order)}/history`, etag);

/** @param {string | number} order @param {string | null} etag @returns {Promise<Tagged<NotificationPage> | null>} */
export const notificationsIfChanged = (order, etag) => tagged(`/orders/${ref(order)}/notifications`, etag, { limit: 100 });

/** @param {OrderFilters} filters @param {string | null} etag @returns {Promise<Tagged<OrderPage> | null>} */
export const ordersIfChanged = (filters, etag) => tagged("/orders", etag, filters);

/** @param {OrderFilters} filters @returns {Promise<OrderPage>} */
export const listOrders = (filters) => json("/orders", { query: filters });

/** The filtered orders as CSV (a Blob: a plain link could not carry the token). @param {OrderFilters} filters */
export async function exportOrders(filters) {
  const { cursor: _cursor, limit: _limit, ...rest } = filters;
  return (await send("/orders/export.csv", { query: rest, accept: "text/csv" })).blob();
}

/** @param {string | number} order @returns {Promise<OrderCard>} */
export const getOrder = (order) => json(`/orders/${ref(order)}`);

/** @param {string | number} order @returns {Promise<OrderPayments>} */
export const getPayments = (order) => json(`/orders/${ref(order)}/payments`);

/** @param {string | number} order @returns {Promise<OrderHistory>} */
export const getHistory = (order) => json(`/orders/${ref(order)}/history`);

/** @param {string | number} order @returns {Promise<NotificationPage>} */
export const getNotifications = (order) => json(`/orders/${ref(order)}/notifications`, { query: { limit: 100 } });

/** @param {string} paymentId @param {MarkPaidBody} body @returns {Promise<PaymentCard>} */
export const markPaid = (paymentId, body) =>
  json(`/payments/${encodeURIComponent(paymentId)}/mark-paid`, { method: "POST", body });

/** @returns {Promise<PipelineList>} */
export const listPipelines = () => json("/pipelines");

/** @returns {Promise<ProductList>} */
export const listProducts = () => json("/products");

/** The school's offers; with `systemCopies`, the copies made for customised orders too. @param {boolean} [systemCopies] @returns {Promise<OfferList>} */
export const listOffers = (systemCopies = false) => json("/offers", { query: { include_system_copies: systemCopies || null } });

/**
 * A change to the order, made on the version the card showed: sent as If-Match (the card's
 * ETag), so an order someone changed meanwhile is a 409 rather than their edit overwritten.
 * @param {string | number} order @param {number} version @param {OrderChanges} changes @returns {Promise<OrderCard>}
 */
export const patchOrder = (order, version, changes) =>
  json(`/orders/${ref(order)}`, { method: "PATCH", body: changes, extra: { "If-Match": `"${version}"` } });

/**
 * A line's title, price or access terms changed on the version the card showed (If-Match).
 * @param {string | number} order @param {string} lineId @param {number} version @param {LineChanges} changes @returns {Promise<OrderCard>}
 */
export const patchLine = (order, lineId, version, changes) =>
  json(`/orders/${ref(order)}/lines/${encodeURIComponent(lineId)}`, { method: "PATCH", body: changes, extra: { "If-Match": `"${version}"` } });

/**
 * A line added on the version the card showed, under its form's Idempotency-Key.
 * @param {string | number} order @param {number} version @param {NewLine} line @param {string} key @returns {Promise<OrderCard>}
 */
export const addLine = (order, version, line, key) =>
  json(`/orders/${ref(order)}/lines`, { method: "POST", body: line, extra: { "If-Match": `"${version}"`, "Idempotency-Key": key } });

/** A line removed on the version the card showed. @param {string | number} order @param {string} lineId @param {number} version @returns {Promise<OrderCard>} */
export const removeLine = (order, lineId, version) =>
  json(`/orders/${ref(order)}/lines/${encodeURIComponent(lineId)}`, { method: "DELETE", extra: { "If-Match": `"${version}"` } });

/** One delivery with its rendered message. @param {string} id @returns {Promise<NotificationCard>} */
export const getNotification = (id) => json(`/notifications/${encodeURIComponent(id)}`);

/**
 * The same message sent again as a new delivery; the key is made once per email shown, so a
 * double click sends one. `toRefused`: the address was refused for good and the user confirmed.
 * @param {string} id @param {string} key @param {boolean} [toRefused] @returns {Promise<NotificationCard>}
 */
export const resendNotification = (id, key, toRefused = false) =>
  json(`/notifications/${encodeURIComponent(id)}/resend`, { method: "POST", query: { to_refused_address: toRefused || null },
    extra: { "Idempotency-Key": key } });

/** @param {string} paymentId @returns {Promise<PaymentCard>} */
export const sendLink = (paymentId) => json(`/payments/${encodeURIComponent(paymentId)}/send-link`, { method: "POST" });

/** @param {string} paymentId @returns {Promise<PaymentCard>} */
export const sendReminder = (paymentId) => json(`/payments/${encodeURIComponent(paymentId)}/reminders`, { method: "POST" });

/** The planned date, or `{ status: "cancelled" }`. @param {string} paymentId @param {PaymentPatch} changes @returns {Promise<PaymentCard>} */
export const patchPayment = (paymentId, changes) =>
  json(`/payments/${encodeURIComponent(paymentId)}`, { method: "PATCH", body: changes });

/**
 * A payment added to the order; the key is made once per form, so a second click (or a retry
 * after a lost answer) adds the same payment rather than another.
 * @param {string | number} order @param {NewPaymentBody} body @param {string} key @returns {Promise<PaymentCard>}
 */
export const addPayment = (order, body, key) =>
  json(`/orders/${ref(order)}/payments`, { method: "POST", body, extra: { "Idempotency-Key": key } });

/**
 * A manual order; the key is made once per form, so a double click makes one order.
 * @param {NewOrder} body @param {string} key @returns {Promise<OrderCard>}
 */
export const createOrder = (body, key) => json("/orders", { method: "POST", body, extra: { "Idempotency-Key": key } });

/** @param {string} q @returns {Promise<ContactPage>} */
export const searchContacts = (q) => json("/contacts", { query: { q, limit: 10 } });

/**
 * The contacts by name, a page at a time (`cursor` from the page before).
 * @param {{ q?: string, cursor?: string | null, limit?: number }} query @returns {Promise<ContactPage>}
 */
export const listContacts = (query) => json("/contacts", { query });

/** @param {string} contact @returns {Promise<ContactCard>} */
export const getContact = (contact) => json(`/contacts/${encodeURIComponent(contact)}`);

/** Only the fields that changed. @param {string} contact @param {ContactChanges} changes @returns {Promise<ContactCard>} */
export const patchContact = (contact, changes) =>
  json(`/contacts/${encodeURIComponent(contact)}`, { method: "PATCH", body: changes });

/** @param {string} contact @param {string | null} [cursor] @returns {Promise<OrderPage>} */
export const getContactOrders = (contact, cursor) =>
  json(`/contacts/${encodeURIComponent(contact)}/orders`, { query: { cursor, limit: 50 } });

/** @param {string} contact @returns {Promise<NotificationPage>} */
export const getContactNotifications = (contact) =>
  json(`/contacts/${encodeURIComponent(contact)}/notifications`, { query: { limit: 100 } });

/** @returns {Promise<SchoolCard>} */
export const getSchool = () => json("/school");

/** @param {SchoolIn} body @returns {Promise<SchoolCard>} */
export const putSchool = (body) => json("/school", { method: "PUT", body });

/** @returns {Promise<SchoolSettingsView>} */
export const getSettings = () => json("/settings");

/** Only the fields present change; null puts one back to its default. @param {SchoolSettings} body @returns {Promise<SchoolSettingsView>} */
export const putSettings = (body) => json("/settings", { method: "PUT", body });

/** Under its form's Idempotency-Key. @param {NewPipeline} body @param {string} key @returns {Promise<PipelineView>} */
export const createPipeline = (body, key) => json("/pipelines", { method: "POST", body, extra: { "Idempotency-Key": key } });

/** @param {string} pipeline @param {PipelineChanges} changes @returns {Promise<PipelineView>} */
export const patchPipeline = (pipeline, changes) =>
  json(`/pipelines/${encodeURIComponent(pipeline)}`, { method: "PATCH", body: changes });

/** Refused with a 409 while the pipeline holds orders. @param {string} pipeline */
export async function deletePipeline(pipeline) {
  await send(`/pipelines/${encodeURIComponent(pipeline)}`, { method: "DELETE" });
}

/** A provider's settings; its secrets only named, never returned. @param {string} provider @returns {Promise<ProviderSettingsView>} */
export const getProvider = (provider) => json(`/providers/${encodeURIComponent(provider)}`);

/** @param {string} provider @param {Record<string, string | number>} body @returns {Promise<ProviderSettingsView>} */
export const putProvider = (provider, body) => json(`/providers/${encodeURIComponent(provider)}`, { method: "PUT", body });

/**
 * Some of a provider's settings (null clears an optional one); what is not sent, its secrets
 * above all, is kept. A provider never set up is a 409: its first settings go through putProvider.
 * @param {string} provider @param {Record<string, string | number | null>} changes @returns {Promise<ProviderSettingsView>}
 */
export const patchProvider = (provider, changes) =>
  json(`/providers/${encodeURIComponent(provider)}`, { method: "PATCH", body: changes });

/** @returns {Promise<ReminderSchedule>} */
export const getReminderSchedule = () => json("/reminder-schedule");

/** @param {number[]} offsets hours around the planned date (negative: before it) @returns {Promise<ReminderSchedule>} */
export const putReminderSchedule = (offsets) => json("/reminder-schedule", { method: "PUT", body: { offsets_hours: offsets } });

/** @returns {Promise<TemplateList>} */
export const listTemplates = () => json("/templates");

/** @param {string} template @param {string} locale */
const templatePath = (template, locale) => `/templates/${encodeURIComponent(template)}/${encodeURIComponent(locale)}`;

/** The school's wording (if any) and a preview of the wording in use. @param {string} template @param {string} locale @returns {Promise<TemplateView>} */
export const getTemplate = (template, locale) => json(templatePath(template, locale));

/** The school's own wording, checked when saved. @param {string} template @param {string} locale @param {OverrideBody} body @returns {Promise<TemplateView>} */
export const putTemplate = (template, locale, body) => json(templatePath(template, locale), { method: "PUT", body });

/** A wording on the sample letter, not saved (checked as a save is). @param {string} template @param {string} locale @param {OverrideBody} body @returns {Promise<LetterPreview>} */
export const previewTemplate = (template, locale, body) =>
  json(`${templatePath(template, locale)}/preview`, { method: "POST", body });

/** Back to the standard wording. @param {string} template @param {string} locale */
export async function deleteTemplate(template, locale) {
  await send(templatePath(template, locale), { method: "DELETE" });
}

/** @param {string} product @returns {Promise<ProductCard>} */
export const getProduct = (product) => json(`/products/${encodeURIComponent(product)}`);

/**
 * A new product; the key is made once per form, so a double click makes one product.
 * @param {ProductIn} body @param {string} key @returns {Promise<ProductCard>}
 */
export const createProduct = (body, key) => json("/products", { method: "POST", body, extra: { "Idempotency-Key": key } });

/** @param {string} product @param {ProductPatch} changes @returns {Promise<ProductCard>} */
export const patchProduct = (product, changes) =>
  json(`/products/${encodeURIComponent(product)}`, { method: "PATCH", body: changes });

/** @param {string} offer @returns {Promise<OfferCard>} */
export const getOffer = (offer) => json(`/offers/${encodeURIComponent(offer)}`);

/**
 * A change to the offer made on the version the page showed (If-Match), so an offer someone
 * changed meanwhile is a 409 rather than their change overwritten.
 * @param {string} offer @param {number} version @param {OfferPatch} changes @returns {Promise<OfferCard>}
 */
export const patchOffer = (offer, version, changes) =>
  json(`/offers/${encodeURIComponent(offer)}`, { method: "PATCH", body: changes, extra: { "If-Match": `"${version}"` } });

/**
 * A new offer; the key is made once per form, so a double click makes one offer.
 * @param {OfferIn} body @param {string} key @returns {Promise<OfferCard>}
 */
export const createOffer = (body, key) => json("/offers", { method: "POST", body, extra: { "Idempotency-Key": key } });

/**
 * A schema of the API document, as far as the console reads one (JSON Schema, OpenAPI 3.1).
 * @typedef {{ $ref?: string, type?: string, title?: string, pattern?: string, maxLength?: number,
 *   writeOnly?: boolean, anyOf?: JsonSchema[], oneOf?: JsonSchema[], properties?: Record<string, JsonSchema>,
 *   required?: string[], "x-provider"?: string }} JsonSchema
 */
/**
 * The gateway's API document, as much of it as the console builds forms from.
 * @typedef {{ paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>,
 *   components?: { schemas?: Record<string, JsonSchema> } }} ApiDocument
 */

/** @type {Promise<ApiDocument> | null} */
let documentAsked = null;

/**
 * The gateway's OpenAPI document (/openapi.json, public), asked once a page: what the API takes,
 * for the forms built from it (a provider's settings). A failure is asked again next time.
 * @returns {Promise<ApiDocument>}
 */
export function apiDocument() {
  documentAsked ??= (async () => {
    let response;
    try {
      response = await fetch("/openapi.json", { headers: { Accept: "application/json" }, credentials: "omit" });
    } catch (cause) {
      throw new ApiError({ title: t("common:problem.unreachable"), status: 0, detail: String(cause) });
    }
    if (!response.ok) throw new ApiError(await problemOf(response));
    return /** @type {ApiDocument} */ (await response.json());
  })();
  documentAsked.catch(() => { documentAsked = null; });
  return documentAsked;
}
