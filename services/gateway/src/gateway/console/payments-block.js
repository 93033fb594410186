// The card's payments: each with its number, when, how, through which provider, its tries, its
// amount and status, the team's comment and the link (with a copy button), and for an unpaid
// one "Mark paid": the one write of this console, refused by the API as it sees fit and its
// answer shown on the field it names.

import { ApiError, markPaid } from "./api.js";
import { el } from "./dom.js";
import { dateTime, money, words } from "./format.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").PaymentCard} PaymentCard */

const VIEWER_NOTE = "A viewer sees the order and changes nothing";

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
  if (payment.status !== "unpaid") return [row];
  const form = markPaidForm(payment, reload);
  const button = /** @type {HTMLButtonElement} */ (el("button", { type: "button", class: "mark-paid" }, "Mark paid"));
  if (!canWrite()) {
    button.disabled = true;
    button.title = VIEWER_NOTE;
  }
  button.addEventListener("click", () => {
    form.hidden = false;
    form.querySelector("textarea")?.focus();
  });
  row.lastElementChild?.append(button);
  const formRow = el("tr", { class: "mark-paid-row" }, el("td", { colspan: "10" }, form));
  return [row, formRow];
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

/** @param {PaymentCard} payment @param {() => void} reload */
function markPaidForm(payment, reload) {
  const id = `mark-paid-${payment.id}`;
  // No maxlength of the console's own: the API says what it takes, and the form shows its answer.
  const comment = /** @type {HTMLTextAreaElement} */ (el("textarea", { id: `${id}-comment`, name: "comment", required: true, rows: "2" }));
  const commentError = el("p", { class: "field-error", id: `${id}-comment-error`, hidden: true });
  /** @type {PaymentCard["method"][]} */
  const methods = ["cash", "bank_transfer", "cashless", "other"];
  // Left as it is, the payment keeps the method it was planned with.
  const method = /** @type {HTMLSelectElement} */ (el("select", { id: `${id}-method`, name: "method" },
    el("option", { value: "" }, `as planned (${words(payment.method)})`),
    ...methods.map((m) => el("option", { value: m }, words(m)))));
  const formError = el("p", { class: "field-error form-error", hidden: true });
  const save = /** @type {HTMLButtonElement} */ (el("button", { type: "submit" }, "Mark paid"));
  const cancel = el("button", { type: "button" }, "Cancel");
  if (!canWrite()) {
    save.disabled = true;
    comment.disabled = true;
    method.disabled = true;
  }
  const form = /** @type {HTMLFormElement} */ (el("form", { class: "mark-paid-form", hidden: true, "data-payment": payment.id },
    el("label", { for: comment.id }, `Comment on payment №${payment.number} (${money(payment.amount, payment.currency)})`),
    comment, commentError,
    el("label", { for: method.id }, "Method "), method,
    el("div", { class: "actions" }, save, cancel), formError));
  cancel.addEventListener("click", () => { form.hidden = true; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    commentError.hidden = formError.hidden = true;
    save.disabled = true;
    try {
      const chosen = methods.find((m) => m === method.value);
      await markPaid(payment.id, chosen ? { comment: comment.value, method: chosen } : { comment: comment.value });
      reload();
    } catch (error) {
      const onComment = error instanceof ApiError ? error.forField("comment") : undefined;
      const onMethod = error instanceof ApiError ? error.forField("method") : undefined;
      if (onComment) {
        commentError.textContent = onComment;
        commentError.hidden = false;
        comment.setAttribute("aria-invalid", "true");
      }
      if (!onComment || onMethod) {
        formError.textContent = onMethod ?? (error instanceof Error ? error.message : String(error));
        formError.hidden = false;
      }
      save.disabled = false;
    }
  });
  return form;
}
