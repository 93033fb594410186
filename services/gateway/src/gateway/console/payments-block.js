// The card's payments: each with its number, when, how, through which provider, its tries, its
// amount and status, the team's comment and the link (with a copy button); for an unpaid one
// "Mark paid", "Send the link again", "Send a reminder", "Change the date" and "Cancel", and
// under the table "Add a payment". Each goes through its own API route, the API's problem shown
// on the field it names, and the card is shown again afterwards.

import { addPayment, ApiError, markPaid, patchPayment, sendLink, sendReminder } from "./api.js";
import { dayOf, dayStart } from "./dates.js";
import { el, spoken } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { dateTime, money, words } from "./format.js";
import { language, t } from "./i18n.js";
import { newKey } from "./keys.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").PaymentCard} PaymentCard */
/** @typedef {import("./types.js").NewPaymentBody} NewPaymentBody */
/**
 * How the card is shown again: `follows` when the order changes through the payments' events
 * (the card is awaited until its version moves), `notice` to say what was done.
 * @typedef {(after?: { follows?: boolean, notice?: string }) => void} Reload
 */

const VIEWER_NOTE = t("card:viewerNote");
/** @type {PaymentCard["method"][]} */
const METHODS = ["cash", "bank_transfer", "cashless", "other"];

/** A day typed ("2027-03-15") in the console's language. @param {string} day */
const dayWords = (day) => new Intl.DateTimeFormat(language(), { dateStyle: "long" }).format(new Date(`${day}T00:00`));

/** @param {HTMLButtonElement} button */
function viewerOnly(button) {
  if (!canWrite()) {
    button.disabled = true;
    button.title = VIEWER_NOTE;
  }
  return button;
}

/** @param {string} className @param {string} text */
const actionButton = (className, text) => viewerOnly(/** @type {HTMLButtonElement} */ (el("button", { type: "button", class: className }, text)));

/**
 * @param {PaymentCard[]} payments
 * @param {{ order: string, currency: string, notice?: string }} about the order's number or id, its currency, what was just done
 * @param {Reload} reload
 */
export function paymentsBlock(payments, about, reload) {
  const headings = ["number", "date", "method", "provider", "tries", "amount", "status", "comment", "link"];
  const rows = payments.map((payment) => paymentRow(payment, reload));
  return el("section", { class: "block", id: "payments" }, el("h2", {}, t("card:block.payments")),
    about.notice ? el("p", { class: "notice", id: "payments-notice", role: "status" }, about.notice) : null,
    payments.length ? el("table", { class: "payments" },
      el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col" }, t(`card:payments.heading.${h}`))),
        el("th", { scope: "col" }, spoken(t("card:actions"))))),
      el("tbody", {}, ...rows.flat()))
      : el("p", { class: "muted" }, t("card:payments.empty")),
    addPaymentForm(about, reload));
}

/** @param {PaymentCard} payment @param {Reload} reload @returns {HTMLElement[]} */
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
  const problem = el("p", { class: "field-error payment-problem", hidden: true });
  const form = markPaidForm(payment, reload);
  const dateForm = dueDateForm(payment, reload);
  const open = (/** @type {HTMLFormElement} */ shown) => {
    for (const f of [form, dateForm]) f.hidden = f !== shown;
    /** @type {HTMLElement | null} */ (shown.querySelector("textarea, input"))?.focus();
  };
  const button = actionButton("mark-paid", t("card:payments.markPaid"));
  button.addEventListener("click", () => open(form));
  const dateButton = actionButton("change-date", t("card:payments.changeDate"));
  dateButton.addEventListener("click", () => open(dateForm));

  /**
   * One click, one request: its problem is shown on the row.
   * @param {HTMLButtonElement} trigger @param {() => Promise<unknown>} call @param {{ follows?: boolean, notice?: string }} after
   */
  const act = (trigger, call, after) => trigger.addEventListener("click", async () => {
    problem.hidden = true;
    trigger.disabled = true;
    try {
      await call();
      reload(after);
    } catch (error) {
      problem.textContent = error instanceof Error ? error.message : String(error);
      problem.hidden = false;
      trigger.disabled = false;
    }
  });
  const linkButton = actionButton("send-link", t("card:payments.sendLink"));
  act(linkButton, () => sendLink(payment.id), { follows: false, notice: t("card:payments.linkSent", { number: payment.number }) });
  const reminderButton = actionButton("send-reminder", t("card:payments.sendReminder"));
  act(reminderButton, () => sendReminder(payment.id), { follows: false, notice: t("card:payments.reminderSent", { number: payment.number }) });
  const cancelButton = actionButton("cancel-payment", t("card:payments.cancelPayment"));
  act(cancelButton, () => patchPayment(payment.id, { status: "cancelled" }), { follows: false,
    notice: t("card:payments.cancelled", { number: payment.number }) });
  row.lastElementChild?.append(el("div", { class: "payment-actions" }, button, linkButton, reminderButton, dateButton, cancelButton));
  const formRow = el("tr", { class: "mark-paid-row" }, el("td", { colspan: "10" }, problem, form, dateForm));
  return [row, formRow];
}

/** @param {PaymentCard} payment @param {Reload} reload */
function dueDateForm(payment, reload) {
  const id = `due-${payment.id}`;
  const due = /** @type {HTMLInputElement} */ (el("input", { type: "date", id: `${id}-date`, name: "due_at", required: true, value: dayOf(payment.due_at) }));
  const dueError = el("p", { class: "field-error", hidden: true });
  const formError = el("p", { class: "field-error form-error", hidden: true });
  const save = viewerOnly(/** @type {HTMLButtonElement} */ (el("button", { type: "submit" }, t("card:payments.saveDate"))));
  const cancel = el("button", { type: "button" }, t("card:cancel"));
  const form = /** @type {HTMLFormElement} */ (el("form", { class: "payment-form due-date-form", hidden: true, "data-payment": payment.id },
    el("label", { for: due.id }, t("card:payments.plannedDateOf", { number: payment.number })), due, dueError,
    el("div", { class: "actions" }, save, cancel), formError));
  const slots = { due_at: { input: due, error: dueError } };
  cancel.addEventListener("click", () => { form.hidden = true; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, formError);
    save.disabled = true;
    try {
      await patchPayment(payment.id, { due_at: dayStart(due.value) });
      reload({ follows: false, notice: t("card:payments.plannedFor", { number: payment.number, day: due.value, date: dayWords(due.value) }) });
    } catch (error) {
      showFieldErrors(error, slots, formError);
      save.disabled = false;
    }
  });
  return form;
}

/** @param {{ order: string, currency: string }} about @param {Reload} reload */
function addPaymentForm(about, reload) {
  // Made with the form: a second click sends the same key, so the API adds one payment.
  const key = newKey();
  const amount = /** @type {HTMLInputElement} */ (el("input", { id: "new-payment-amount", name: "amount", inputmode: "decimal", required: true, placeholder: "0.00" }));
  /** @type {NewPaymentBody["type"][]} */
  const types = ["regular", "prepayment", "surcharge"];
  const type = /** @type {HTMLSelectElement} */ (el("select", { id: "new-payment-type", name: "type" },
    ...types.map((name) => el("option", { value: name }, words(name)))));
  const due = /** @type {HTMLInputElement} */ (el("input", { type: "date", id: "new-payment-due", name: "due_at" }));
  const status = /** @type {HTMLSelectElement} */ (el("select", { id: "new-payment-status", name: "status" },
    el("option", { value: "unpaid" }, t("card:payments.unpaid")), el("option", { value: "paid" }, t("card:payments.paid"))));
  const method = /** @type {HTMLSelectElement} */ (el("select", { id: "new-payment-method", name: "method" },
    ...["cashless", ...METHODS.filter((m) => m !== "cashless")].map((m) => el("option", { value: m }, words(m)))));
  const comment = /** @type {HTMLInputElement} */ (el("input", { id: "new-payment-comment", name: "comment" }));
  /** @type {Record<string, import("./field-errors.js").FieldSlot>} */
  const slots = {};
  const field = (/** @type {string} */ name, /** @type {HTMLElement} */ input, /** @type {string} */ label) => {
    const error = el("p", { class: "field-error", id: `${input.id}-error`, hidden: true });
    slots[name] = { input, error };
    if (!canWrite()) /** @type {HTMLInputElement} */ (input).disabled = true;
    return el("div", { class: "field" }, el("label", { for: input.id }, label), input, error);
  };
  const save = viewerOnly(/** @type {HTMLButtonElement} */ (el("button", { type: "submit", id: "new-payment-save" }, t("card:payments.addSave"))));
  const formError = el("p", { class: "field-error form-error", hidden: true });
  const form = /** @type {HTMLFormElement} */ (el("form", { id: "add-payment", class: "filters" },
    field("amount", amount, t("card:payments.amount", { currency: about.currency })), field("type", type, t("card:payments.type")),
    field("due_at", due, t("card:payments.plannedDate")), field("status", status, t("card:payments.paidOrUnpaid")),
    field("method", method, t("card:payments.method")), field("comment", comment, t("card:payments.comment")),
    el("div", { class: "actions" }, save), formError));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, formError);
    save.disabled = true;
    const paid = status.value === "paid";
    /** @type {NewPaymentBody} */
    const body = {
      // The amount goes as the text typed: the API reads it as a decimal, never a float.
      amount: amount.value.trim(),
      type: types.find((name) => name === type.value) ?? "regular",
      status: paid ? "paid" : "unpaid",
      method: METHODS.find((m) => m === method.value) ?? "cashless",
      due_at: dayStart(due.value),
      ...(comment.value.trim() ? { comment: comment.value.trim() } : {}),
    };
    try {
      const added = await addPayment(about.order, body, key);
      // A paid payment moves the order's figures, which follow through the payments' events.
      reload({ follows: paid, notice: t("card:payments.added", { number: added.number }) });
    } catch (error) {
      showFieldErrors(error, slots, formError);
      save.disabled = false;
    }
  });
  return el("details", { class: "add-payment", id: "add-payment-panel" }, el("summary", {}, t("card:payments.add")), form);
}

/** @param {PaymentCard} payment */
function linkCell(payment) {
  if (!payment.link_url) return payment.link_error ? el("span", { class: "muted" }, payment.link_error) : t("common:none");
  const url = payment.link_url;
  const copy = /** @type {HTMLButtonElement} */ (el("button", { type: "button", class: "copy-link" }, t("card:payments.copy")));
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(url);
      copy.textContent = t("card:payments.copied");
    } catch {
      copy.textContent = t("card:payments.selectAndCopy");
    }
  });
  return el("span", { class: "link" }, el("a", { href: url, rel: "noreferrer noopener", target: "_blank", class: "payment-link" }, url), " ", copy);
}

/** @param {PaymentCard} payment @param {Reload} reload */
function markPaidForm(payment, reload) {
  const id = `mark-paid-${payment.id}`;
  // No maxlength of the console's own: the API says what it takes, and the form shows its answer.
  const comment = /** @type {HTMLTextAreaElement} */ (el("textarea", { id: `${id}-comment`, name: "comment", required: true, rows: "2" }));
  const commentError = el("p", { class: "field-error", id: `${id}-comment-error`, hidden: true });
  const methods = METHODS;
  // Left as it is, the payment keeps the method it was planned with.
  const method = /** @type {HTMLSelectElement} */ (el("select", { id: `${id}-method`, name: "method" },
    el("option", { value: "" }, t("card:payments.asPlanned", { method: words(payment.method) })),
    ...methods.map((m) => el("option", { value: m }, words(m)))));
  const formError = el("p", { class: "field-error form-error", hidden: true });
  const save = /** @type {HTMLButtonElement} */ (el("button", { type: "submit" }, t("card:payments.markPaid")));
  const cancel = el("button", { type: "button" }, t("card:cancel"));
  if (!canWrite()) {
    save.disabled = true;
    comment.disabled = true;
    method.disabled = true;
  }
  const form = /** @type {HTMLFormElement} */ (el("form", { class: "mark-paid-form", hidden: true, "data-payment": payment.id },
    el("label", { for: comment.id }, t("card:payments.commentOn", { number: payment.number, amount: money(payment.amount, payment.currency) })),
    comment, commentError,
    el("label", { for: method.id }, t("card:payments.methodLabel")), method,
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
