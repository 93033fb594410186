// The order card: what the order is (number, pipeline and stage, payment status, managers, tags,
// the team's comment), who bought it, what it costs, each product line's access, and beside it
// the payments, the history and the emails, each from its own API call so one that is not
// there yet (a service still catching up) leaves the rest shown.

import { getHistory, getNotifications, getOrder, getPayments, listPipelines } from "./api.js";
import { el } from "./dom.js";
import { dateTime, list, money, words } from "./format.js";
import { editBlock } from "./order-edit.js";
import { paymentsBlock } from "./payments-block.js";
import { clearProblem, showProblem } from "./problem.js";

/** @typedef {import("./types.js").OrderCard} OrderCard */
/** @typedef {import("./types.js").LineView} LineView */
/** @typedef {import("./types.js").HistoryEntry} HistoryEntry */
/** @typedef {import("./types.js").NotificationSummary} NotificationSummary */
/** @typedef {import("./types.js").Schemas} Schemas */

/** A term and its value, as the card lists them. @param {string} term @param {Node | string} value */
const fact = (term, value) => [el("dt", {}, term), el("dd", {}, value)];

/** @param {string} id @param {string} title @param {...(Node | string | null)} content */
const block = (id, title, ...content) => el("section", { class: "block", id }, el("h2", {}, title), ...content);

/**
 * @param {HTMLElement} view @param {string} order its number or id
 * @param {{ draft?: import("./order-edit.js").Draft, notice?: string }} [shown] edits typed before a
 *   409, put back in the form; what a payment action just did
 */
export async function renderCard(view, order, { draft, notice } = {}) {
  view.replaceChildren(el("p", { class: "muted" }, "Loading…"));
  const [card, payments, history, emails, pipelines] = await Promise.allSettled(
    [getOrder(order), getPayments(order), getHistory(order), getNotifications(order), listPipelines()]);
  if (card.status === "rejected") {
    view.replaceChildren(el("p", {}, el("a", { href: "#/orders" }, "← Orders")));
    showProblem(card.reason);
    return;
  }
  clearProblem();
  const found = card.value;
  /** @type {import("./payments-block.js").Reload} */
  const reload = ({ follows = true, notice: done } = {}) => {
    if (follows) refreshAfterWrite(view, order, found.version, done);
    else renderCard(view, order, { notice: done });
  };
  // The stages to choose from are those of the order's own pipeline.
  const pipeline = pipelines.status === "fulfilled" ? pipelines.value.items.find((p) => p.id === found.pipeline.id) : undefined;
  const edit = editBlock(found, pipeline,
    { saved: () => renderCard(view, order), reload: (kept) => renderCard(view, order, { draft: kept }), draft });
  view.replaceChildren(
    el("p", {}, el("a", { href: "#/orders" }, "← Orders")),
    header(found),
    el("div", { class: "columns-2" },
      el("div", {}, edit, contactBlock(found), pricingBlock(found), linesBlock(found)),
      el("div", {},
        payments.status === "fulfilled"
          ? paymentsBlock(payments.value.items, { order: String(found.number), currency: found.currency, notice }, reload)
          : unavailable("payments", "Payments", payments.reason),
        emails.status === "fulfilled" ? emailsBlock(emails.value.items) : unavailable("emails", "Emails", emails.reason),
        history.status === "fulfilled" ? historyBlock(history.value.items) : unavailable("history", "History", history.reason))),
  );
}

/**
 * After a write the order follows a moment later, through the services' events: the card is
 * fetched again until its version moves (a few seconds at most), then shown as it is.
 * @param {HTMLElement} view @param {string} order @param {number} version @param {string} [notice]
 */
export async function refreshAfterWrite(view, order, version, notice) {
  for (let tries = 0; tries < 20; tries += 1) {
    try {
      if ((await getOrder(order)).version !== version) break;
    } catch {
      break; // renderCard shows the problem
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await renderCard(view, order, { notice });
}

/** @param {string} id @param {string} title @param {unknown} reason */
function unavailable(id, title, reason) {
  const problem = /** @type {{ problem?: { title?: string, detail?: string | null } }} */ (reason).problem;
  return block(id, title, el("p", { class: "problem-inline" }, problem?.detail || problem?.title || String(reason)));
}

/** @param {OrderCard} card */
function header(card) {
  return el("section", { class: "block card-header", id: "card-header" },
    el("h1", { id: "card-number" }, `Order №${card.number}`),
    el("dl", {},
      ...fact("Pipeline", card.pipeline.name), ...fact("Stage", card.stage.name),
      ...fact("Payment status", el("span", { id: "card-payment-status", class: `status ${card.payment_status}` }, words(card.payment_status))),
      ...fact("Status", words(card.status)), ...fact("Type", words(card.type)), ...fact("Source", words(card.source)),
      ...fact("Created", dateTime(card.created_at)),
      ...fact("Managers", list(card.managers)), ...fact("Tags", list(card.tags))),
    el("h3", {}, "Internal comment"),
    el("p", { id: "card-comment", class: "comment" }, card.comment || "—"));
}

/** @param {OrderCard} card */
function contactBlock(card) {
  const c = card.contact;
  return block("contact", "Contact", el("dl", {},
    ...fact("Name", c.name), ...fact("Email", el("a", { href: `mailto:${c.email}` }, c.email)),
    ...fact("Phone", c.phone ?? "—"), ...fact("Language", c.locale ?? "—")));
}

/** @param {OrderCard} card */
function pricingBlock(card) {
  const m = (/** @type {string} */ amount) => money(amount, card.currency);
  const discount = card.discount_percent ? `${m(card.discount)} (${card.discount_percent}%)` : m(card.discount);
  return block("pricing", "Pricing", el("dl", {},
    ...fact("Currency", card.currency),
    ...card.lines.flatMap((line) => fact(line.product_title, m(line.price))),
    ...fact("Subtotal", m(card.subtotal)), ...fact("Discount", discount),
    ...fact("Total", el("span", { id: "card-total" }, m(card.total))),
    ...fact("Paid", el("span", { id: "card-paid" }, m(card.paid))),
    ...(card.refunded !== "0.00" && card.refunded !== "0" ? fact("Refunded", m(card.refunded)) : []),
    ...fact("Due", el("span", { id: "card-due" }, m(card.due)))));
}

/** @param {OrderCard} card */
function linesBlock(card) {
  return block("lines", "Products", ...card.lines.map((line) => lineBlock(line, card.currency)));
}

/** @param {Schemas["Period"] | null | undefined} period */
const span = (period) => (period ? `${period.count} ${period.unit}` : "");

/** @param {Schemas["AccessTerms"]} access */
function startText(access) {
  const start = access.start;
  if (!start || start.kind === "after_payment") return "After the first payment";
  if (start.kind === "at_date") return `On ${dateTime(start.at)}`;
  return `${span(start.period)} after the first payment`;
}

/** @param {Schemas["AccessTerms"]} access */
function endText(access) {
  const end = access.end;
  if (!end || end.kind === "never") return "Never ends";
  if (end.kind === "at_date") return `On ${dateTime(end.at)}`;
  return `${span(end.period)} after the start`;
}

/** @param {LineView} line */
function lessonsText(line) {
  const granted = line.granted.lesson_ids;
  // null: the course's every lesson, as it grows; a list: those lessons only.
  const lessons = !granted ? "Every lesson" : granted.length ? `${granted.length} lesson${granted.length === 1 ? "" : "s"}` : "No lessons";
  const delays = { course: "the course's delays", none: "no delays", custom: "delays of its own" };
  return `${lessons}, ${delays[line.access.lesson_delays ?? "course"]}`;
}

/** @param {LineView} line @param {string} currency */
function lineBlock(line, currency) {
  const a = line.access;
  const window = line.window;
  const yes = (/** @type {boolean | undefined} */ on) => (on === false ? "off" : "on");
  return el("article", { class: "line", "data-line": line.id },
    line.offer ? el("p", { class: "offer muted" }, `Offer: ${line.offer.title ?? "—"}${line.offer.system_copy ? " (terms of this order)" : ""}`) : null,
    el("h3", {}, line.product_title),
    el("dl", {},
      ...fact("Price", money(line.price, currency)),
      ...fact("Access", window ? el("span", { class: `window ${window.status}` }, words(window.status)) : "not opened yet"),
      ...(window ? fact("Window", `${dateTime(window.starts_at)} – ${window.ends_at ? dateTime(window.ends_at) : "no end"}`) : []),
      ...fact("Starts", startText(a)), ...fact("Ends", endText(a)),
      ...fact("Lessons", lessonsText(line)),
      ...fact("Practice", words(a.practice ?? "course")), ...fact("Checkpoints", yes(a.checkpoints)),
      ...fact("Comments", yes(a.comments)),
      ...fact("Certificate", a.certificate_conditions ? `${words(a.certificate ?? "none")}: ${a.certificate_conditions}` : words(a.certificate ?? "none")),
      ...(line.customised ? fact("Terms", "changed for this order") : [])));
}

/** @param {HistoryEntry[]} entries */
function historyBlock(entries) {
  return block("history", "History", entries.length ? el("ol", { class: "timeline" },
    ...entries.map((entry) => el("li", { "data-kind": entry.kind },
      el("time", { datetime: entry.at }, dateTime(entry.at)), " ",
      el("strong", {}, words(entry.kind)), ` by ${entry.actor}`,
      Object.keys(entry.details).length ? el("code", { class: "details" }, JSON.stringify(entry.details)) : null)))
    : el("p", { class: "muted" }, "Nothing yet."));
}

/** @param {NotificationSummary[]} emails */
function emailsBlock(emails) {
  return block("emails", "Emails", emails.length ? el("table", {},
    el("thead", {}, el("tr", {}, ...["Created", "Email", "To", "Subject", "Status", "Tries", "Sent"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...emails.map((m) => el("tr", { "data-template": m.template },
      el("td", {}, dateTime(m.created_at)), el("td", {}, words(m.template)), el("td", {}, m.recipient),
      el("td", {}, m.subject),
      el("td", { class: `delivery ${m.status}` }, m.refused ? `${words(m.status)} (refused)` : words(m.status),
        m.last_error ? el("div", { class: "muted" }, m.last_error) : null),
      el("td", {}, String(m.attempts)), el("td", {}, dateTime(m.sent_at))))))
    : el("p", { class: "muted" }, "No emails yet."));
}
