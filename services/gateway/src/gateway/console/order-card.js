// The order card: what the order is (number, pipeline and stage, payment status, managers, tags,
// the team's comment), who bought it, what it costs, each product line's access (its terms
// changed, a line added or removed, line-edit.js), and beside it the payments, the history and
// the emails (each opened and resent, email-actions.js), each from its own API call so one
// that is not there yet (a service still catching up) leaves the rest shown. While it is shown it
// stays current (live.js): a payment, a stage move or an email made elsewhere is drawn again,
// unless someone is at work in one of its forms, who is told instead (conflict.js).

import {
  getHistory, getOrder, historyIfChanged, listOffers, listPipelines, notificationsIfChanged, orderIfChanged,
  paymentsIfChanged,
} from "./api.js";
import { conflictNotice } from "./conflict.js";
import { el, spoken } from "./dom.js";
import { emailActions } from "./email-actions.js";
import { dateTime, list, money, words } from "./format.js";
import { known, language, t } from "./i18n.js";
import { addLineForm, lineEditor } from "./line-edit.js";
import { editsIn, follow } from "./live.js";
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
 * What one of the card's calls gave: its answer and ETag, or why it is not there.
 * @template T @param {PromiseSettledResult<import("./api.js").Tagged<T> | null>} result
 * @returns {{ ok: true, value: T, etag: string | null } | { ok: false, reason: unknown }}
 */
function got(result) {
  if (result.status === "rejected") return { ok: false, reason: result.reason };
  if (!result.value) return { ok: false, reason: new Error("no answer") }; // asked without an ETag: never a 304
  return { ok: true, value: result.value.value, etag: result.value.etag };
}

/**
 * @param {HTMLElement} view @param {string} order its number or id
 * @param {{ draft?: import("./order-edit.js").Draft, notice?: string, quiet?: boolean }} [shown] edits typed
 *   before a 409, put back in the form; what a payment action just did; quiet: drawn again as it
 *   changed, in place, without "Loading…" (the page keeps its scroll)
 */
export async function renderCard(view, order, { draft, notice, quiet = false } = {}) {
  if (!quiet) view.replaceChildren(el("p", { class: "muted" }, t("card:loading")));
  const [asked, ...blocks] = await Promise.allSettled([orderIfChanged(order, null), paymentsIfChanged(order, null),
    historyIfChanged(order, null), notificationsIfChanged(order, null), listPipelines()]);
  const [paid, logged, mailed, pipelines] = blocks;
  const card = got(asked);
  const payments = got(paid);
  const history = got(logged);
  const emails = got(mailed);
  if (!card.ok) {
    view.replaceChildren(el("p", {}, el("a", { href: "#/orders" }, t("card:back"))));
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
  const lineThen = { saved: () => renderCard(view, order), reload: () => renderCard(view, order) };
  const emailCount = history.ok ? emailEntries(history.value.items) : 0;
  // A resent email reaches the history once it is sent (a moment later, through the services' events).
  const resent = () => followHistory(view, order, emailCount);
  const live = el("div", { id: "live-notice" });
  const page = el("div", { class: "card-page", "data-version": String(found.version) },
    el("p", {}, el("a", { href: "#/orders" }, t("card:back"))),
    live,
    header(found),
    el("div", { class: "columns-2" },
      el("div", {}, edit, contactBlock(found), pricingBlock(found), linesBlock(found, lineThen)),
      el("div", {},
        payments.ok
          ? paymentsBlock(payments.value.items, { order: String(found.number), currency: found.currency, notice }, reload)
          : unavailable("payments", t("card:block.payments"), payments.reason),
        emails.ok ? emailsBlock(emails.value.items, resent) : unavailable("emails", t("card:block.emails"), emails.reason),
        history.ok ? historyBlock(history.value.items, resent) : unavailable("history", t("card:block.history"), history.reason))),
  );
  view.replaceChildren(page);
  showOfferCopies(view, found);
  // Kept current: drawn again as it changes, unless that would throw away what is being typed.
  const busy = editsIn(page);
  // One notice at a time: a form's own 409 says the same, with its own Reload that keeps the draft.
  const others = () => [...page.querySelectorAll(".conflict")].some((notice) => !live.contains(notice));
  new MutationObserver(() => { if (live.childElementCount && others()) live.replaceChildren(); })
    .observe(page, { childList: true, subtree: true });
  follow(page, [
    { etag: card.etag, check: (etag) => orderIfChanged(order, etag) },
    { etag: payments.ok ? payments.etag : null, check: (etag) => paymentsIfChanged(order, etag) },
    { etag: history.ok ? history.etag : null, check: (etag) => historyIfChanged(order, etag) },
    { etag: emails.ok ? emails.etag : null, check: (etag) => notificationsIfChanged(order, etag) },
  ], () => {
    if (busy()) {
      if (!live.childElementCount && !others()) live.append(conflictNotice(() => renderCard(view, order)));
    } else {
      renderCard(view, order, { quiet: true });
    }
  });
}

/** How many of the history's entries are emails. @param {HistoryEntry[]} entries */
const emailEntries = (entries) => entries.filter((entry) => EMAIL_KINDS.includes(entry.kind)).length;
const EMAIL_KINDS = ["email_sent", "email_failed"];

/**
 * After a resend: the history is fetched again until it holds one more email (a few seconds at
 * most), then the card is shown as it is.
 * @param {HTMLElement} view @param {string} order @param {number} count the emails the history held
 */
async function followHistory(view, order, count) {
  for (let tries = 0; tries < 30; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    try {
      if (emailEntries((await getHistory(order)).items) > count) break;
    } catch {
      break; // renderCard shows the problem
    }
  }
  if (view.isConnected) await renderCard(view, order);
}

/**
 * A line whose terms were changed for this order points at the offer's copy made for it; the
 * offers service makes that copy a moment later. Until it is there the card says it is being
 * made; then it names the copy, as the catalog holds it, with the offer it was made from.
 * @param {HTMLElement} view @param {OrderCard} card
 */
async function showOfferCopies(view, card) {
  const wanted = card.lines.filter((line) => line.offer?.system_copy);
  for (let tries = 0; wanted.length && tries < 20; tries += 1) {
    let offers;
    try {
      offers = (await listOffers(true)).items;
    } catch {
      return; // the lines keep saying the copy is being made
    }
    let missing = 0;
    for (const line of wanted) {
      const place = view.querySelector(`article[data-line="${line.id}"] .offer-copy-state`);
      if (!place) return; // another card is shown by now
      const copy = offers.find((o) => o.id === line.offer?.id);
      if (!copy) {
        missing += 1;
        continue;
      }
      const source = offers.find((o) => o.id === copy.source_offer_id);
      place.replaceChildren(el("a", { href: `#/catalog/offers/${copy.id}`, class: "offer-copy" }, copy.title),
        source ? t("card:offer.madeFrom", { source: source.title }) : t("card:offer.madeForOrder"));
    }
    if (!missing) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
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
    el("h1", { id: "card-number" }, t("card:header.number", { number: card.number })),
    el("dl", {},
      ...fact(t("card:header.pipeline"), card.pipeline.name), ...fact(t("card:header.stage"), card.stage.name),
      ...fact(t("card:header.paymentStatus"), el("span", { id: "card-payment-status", class: `status ${card.payment_status}` }, words(card.payment_status))),
      ...fact(t("card:header.status"), words(card.status)), ...fact(t("card:header.type"), words(card.type)),
      ...fact(t("card:header.source"), words(card.source)),
      ...fact(t("card:header.created"), dateTime(card.created_at)),
      ...fact(t("card:header.managers"), list(card.managers)), ...fact(t("card:header.tags"), list(card.tags))),
    el("h2", {}, t("card:header.comment")),
    el("p", { id: "card-comment", class: "comment" }, card.comment || t("common:none")));
}

/** @param {OrderCard} card */
function contactBlock(card) {
  const c = card.contact;
  return block("contact", t("card:block.contact"), el("dl", {},
    ...fact(t("card:contact.name"), c.name), ...fact(t("card:contact.email"), el("a", { href: `mailto:${c.email}` }, c.email)),
    ...fact(t("card:contact.phone"), c.phone ?? t("common:none")), ...fact(t("card:contact.language"), c.locale ?? t("common:none"))));
}

/** A percent as the API gives it ("12.5"), in the console's language, as the decimal it spells. @param {string | number} value */
const percent = (value) => new Intl.NumberFormat(language(), { maximumFractionDigits: 20 }).format(/** @type {any} */ (value));

/** @param {OrderCard} card */
function pricingBlock(card) {
  const m = (/** @type {string} */ amount) => money(amount, card.currency);
  const discount = card.discount_percent
    ? t("card:pricing.discountPercent", { amount: m(card.discount), percent: percent(card.discount_percent) }) : m(card.discount);
  return block("pricing", t("card:block.pricing"), el("dl", {},
    ...fact(t("card:pricing.currency"), card.currency),
    ...card.lines.flatMap((line) => fact(line.product_title, m(line.price))),
    ...fact(t("card:pricing.subtotal"), m(card.subtotal)), ...fact(t("card:pricing.discount"), discount),
    ...fact(t("card:pricing.total"), el("span", { id: "card-total" }, m(card.total))),
    ...fact(t("card:pricing.paid"), el("span", { id: "card-paid" }, m(card.paid))),
    ...(card.refunded !== "0.00" && card.refunded !== "0" ? fact(t("card:pricing.refunded"), m(card.refunded)) : []),
    ...fact(t("card:pricing.due"), el("span", { id: "card-due" }, m(card.due)))));
}

/** @param {OrderCard} card @param {import("./line-edit.js").Then} then */
function linesBlock(card, then) {
  return block("lines", t("card:block.products"), ...card.lines.map((line, n) => lineBlock(card, line, n, then)), addLineForm(card, then));
}

/** The offer the line came from, or the copy of it made for this order. @param {LineView} line */
function appliedOffer(line) {
  if (!line.offer) return null;
  if (!line.offer.system_copy) {
    return el("p", { class: "offer muted" }, t("card:offer.applied"), el("span", { class: "offer-title" }, line.offer.title ?? t("common:none")));
  }
  return el("p", { class: "offer muted" }, t("card:offer.applied"),
    el("span", { class: "offer-copy-state" }, el("span", { class: "offer-title" }, line.offer.title ?? t("common:none")), t("card:offer.beingMade")));
}

/** @param {Schemas["Period"] | null | undefined} period */
const span = (period) => (period ? t(`card:period.${period.unit === "days" ? "days" : "months"}`, { count: period.count }) : "");

/** @param {Schemas["AccessTerms"]} access */
function startText(access) {
  const start = access.start;
  if (!start || start.kind === "after_payment") return t("card:start.afterPayment");
  if (start.kind === "at_date") return t("card:start.onDate", { date: dateTime(start.at) });
  return t("card:start.afterPeriod", { period: span(start.period) });
}

/** @param {Schemas["AccessTerms"]} access */
function endText(access) {
  const end = access.end;
  if (!end || end.kind === "never") return t("card:end.never");
  if (end.kind === "at_date") return t("card:end.onDate", { date: dateTime(end.at) });
  return t("card:end.afterPeriod", { period: span(end.period) });
}

/** @param {LineView} line */
function lessonsText(line) {
  const granted = line.granted.lesson_ids;
  // null: the course's every lesson, as it grows; a list: those lessons only.
  const lessons = !granted ? t("card:lessons.every") : granted.length ? t("card:lessons.count", { count: granted.length }) : t("card:lessons.none");
  return t("card:lessons.summary", { lessons, delays: t(`card:lessons.delays.${line.access.lesson_delays ?? "course"}`) });
}

/**
 * A line's practice or certificate as the card words it (the course's practice is not the course);
 * a name the catalogs do not have is shown as the API's.
 * @param {"practiceIs" | "certificateIs"} term @param {string} name
 */
const termWords = (term, name) => (known(`card:line.${term}.${name}`) ? t(`card:line.${term}.${name}`) : words(name));

/** @param {OrderCard} card @param {LineView} line @param {number} n @param {import("./line-edit.js").Then} then */
function lineBlock(card, line, n, then) {
  const currency = card.currency;
  const a = line.access;
  const window = line.window;
  const yes = (/** @type {boolean | undefined} */ on) => (on === false ? t("card:line.off") : t("card:line.on"));
  return el("article", { class: "line", "data-line": line.id },
    appliedOffer(line),
    el("h3", { class: "line-title" }, line.product_title),
    el("dl", {},
      ...fact(t("card:line.price"), money(line.price, currency)),
      ...fact(t("card:line.access"), window ? el("span", { class: `window ${window.status}` }, words(window.status)) : t("card:line.notOpened")),
      ...(window ? fact(t("card:line.window"), t("card:line.windowSpan",
        { from: dateTime(window.starts_at), to: window.ends_at ? dateTime(window.ends_at) : t("card:line.noEnd") })) : []),
      ...fact(t("card:line.starts"), startText(a)), ...fact(t("card:line.ends"), endText(a)),
      ...fact(t("card:line.lessons"), lessonsText(line)),
      ...fact(t("card:line.practice"), termWords("practiceIs", a.practice ?? "course")), ...fact(t("card:line.checkpoints"), yes(a.checkpoints)),
      ...fact(t("card:line.comments"), yes(a.comments)),
      ...fact(t("card:line.certificate"), a.certificate_conditions
        ? t("card:line.certificateOn", { certificate: termWords("certificateIs", a.certificate ?? "none"), conditions: a.certificate_conditions })
        : termWords("certificateIs", a.certificate ?? "none")),
      ...(line.customised ? fact(t("card:line.terms"), t("card:line.changed")) : [])),
    lineEditor(card, line, n, then));
}

/** @param {HistoryEntry[]} entries @param {() => void} resent */
function historyBlock(entries, resent) {
  return block("history", t("card:block.history"), entries.length ? el("ol", { class: "timeline" },
    ...entries.map((entry) => {
      // An email's entry names its delivery: that email is opened and resent from here.
      const delivery = EMAIL_KINDS.includes(entry.kind) && typeof entry.details.delivery_id === "string" ? entry.details.delivery_id : null;
      return el("li", { "data-kind": entry.kind, "data-delivery": delivery },
        el("time", { datetime: entry.at }, dateTime(entry.at)), " ",
        el("strong", {}, words(entry.kind)), t("card:history.by", { actor: entry.actor }),
        Object.keys(entry.details).length ? el("code", { class: "details" }, JSON.stringify(entry.details)) : null,
        delivery ? emailActions(delivery, resent) : null);
    }))
    : el("p", { class: "muted" }, t("card:history.empty")));
}

/** @param {NotificationSummary[]} emails @param {() => void} resent */
function emailsBlock(emails, resent) {
  return block("emails", t("card:block.emails"), emails.length ? el("table", {},
    el("thead", {}, el("tr", {}, ...["created", "email", "to", "subject", "status", "tries", "sent"]
      .map((h) => el("th", { scope: "col" }, t(`card:emails.${h}`))), el("th", { scope: "col" }, spoken(t("card:actions"))))),
    el("tbody", {}, ...emails.map((m) => el("tr", { "data-template": m.template, "data-delivery": m.id },
      el("td", {}, dateTime(m.created_at)), el("td", {}, words(m.template)), el("td", {}, m.recipient),
      el("td", {}, m.subject),
      el("td", { class: `delivery ${m.status}` }, m.refused ? t("card:emails.refused", { status: words(m.status) }) : words(m.status),
        m.last_error ? el("div", { class: "muted" }, m.last_error) : null),
      el("td", {}, String(m.attempts)), el("td", {}, dateTime(m.sent_at)),
      el("td", {}, m.status === "sent" || m.status === "failed" ? emailActions(m.id, resent) : null)))))
    : el("p", { class: "muted" }, t("card:emails.empty")));
}
