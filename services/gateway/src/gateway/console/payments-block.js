// The card's payments: each with its number, when, how, through which provider, its tries, its
// amount and status, the team's comment and the link (with a copy button).

import { el } from "./dom.js";
import { dateTime, money, words } from "./format.js";

/** @typedef {import("./types.js").PaymentCard} PaymentCard */

/** @param {PaymentCard[]} payments @param {() => void} reload */
export function paymentsBlock(payments, reload) {
  const headings = ["№", "Date and time", "Method", "Provider", "Tries", "Amount", "Status", "Comment", "Link", ""];
  const rows = payments.map((payment) => paymentRow(payment, reload));
  return el("section", { class: "block", id: "payments" }, el("h2", {}, "Payments"),
    payments.length ? el("table", { class: "payments" },
      el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...rows.flat()))
      : el("p", { class: "muted" }, "No payments yet."));
}

/** @param {PaymentCard} payment @param {() => void} reload @returns {HTMLElement[]} */
function paymentRow(payment, reload) {
  const row = el("tr", { "data-payment": payment.id, "data-status": payment.status },
    el("td", {}, String(payment.number)),
    el("td", {}, dateTime(payment.paid_at ?? payment.due_at ?? payment.created_at)),
    el("td", {}, words(payment.method)),
    el("td", {}, payment.provider),
    el("td", { class: "attempts" }, String(payment.attempts)),
    el("td", { class: "amount" }, money(payment.amount, payment.currency)),
    el("td", { class: `payment-status ${payment.status}` }, words(payment.status)),
    el("td", { class: "payment-comment" }, payment.comment ?? ""),
    el("td", {}, linkCell(payment)),
    el("td", {}));
  return [row];
}

/** @param {PaymentCard} payment */
function linkCell(payment) {
  if (!payment.link_url) return payment.link_error ? el("span", { class: "muted" }, payment.link_error) : "—";
  const url = payment.link_url;
  const copy = /** @type {HTMLButtonElement} */ (el("button", { type: "button", class: "copy-link" }, "Copy"));
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(url);
      copy.textContent = "Copied";
    } catch {
      copy.textContent = "Select and copy";
    }
  });
  return el("span", { class: "link" }, el("a", { href: url, rel: "noreferrer noopener", target: "_blank", class: "payment-link" }, url), " ", copy);
}
