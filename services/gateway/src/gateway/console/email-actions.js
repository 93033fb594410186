// An email on the card (a history entry, a row of the emails): opened, it shows the message as
// it was rendered for the contact; resent, the same message goes again as a new delivery. The
// Idempotency-Key is made once per delivery until it has been resent, so a double click, a retry
// after a lost answer, the same email's button in the history and in the emails table, or a
// redraw of the card in between, send it once. A delivery the mail server refused for good is sent again only when the
// user confirms it, with to_refused_address=true under a key of its own.

import { ApiError, getNotification, resendNotification } from "./api.js";
import { el } from "./dom.js";
import { letterFrame } from "./letter-frame.js";
import { t } from "./i18n.js";
import { newKey } from "./keys.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").NotificationCard} NotificationCard */

const VIEWER_NOTE = t("card:email.viewerNote");

/** @type {Map<string, string>} the key of each delivery not resent yet */
const keys = new Map();
/** @type {Map<string, string>} the key of each delivery whose confirmed "Send anyway" has not gone yet */
const refusedKeys = new Map();

/** @param {string} id */
function keyFor(id, kept = keys) {
  const known = kept.get(id);
  if (known) return known;
  const made = newKey();
  kept.set(id, made);
  return made;
}

/** @param {unknown} error */
const said = (error) => (error instanceof ApiError ? error.problem.detail || error.problem.title : String(error));

/**
 * @param {string} id the delivery
 * @param {(sent: NotificationCard) => void} resent after a new delivery was made (the card follows it)
 */
export function emailActions(id, resent) {
  const message = el("div", { class: "email-message", hidden: true });
  const open = /** @type {HTMLButtonElement} */ (el("button", { type: "button", class: "email-open" }, t("card:email.open")));
  const resend = /** @type {HTMLButtonElement} */ (el("button", { type: "button", class: "email-resend" }, t("card:email.resend")));
  const notice = el("div", { class: "email-notice", role: "status" });
  if (!canWrite()) {
    resend.disabled = true;
    resend.title = VIEWER_NOTE;
  }

  open.addEventListener("click", async () => {
    if (!message.hidden) {
      message.hidden = true;
      open.textContent = t("card:email.open");
      return;
    }
    open.disabled = true;
    try {
      const card = await getNotification(id);
      // The HTML as the contact saw it, in a sandboxed frame of its own (letter-frame.js), and the
      // text body as text: nothing the message holds becomes markup on the console's page.
      message.replaceChildren(el("p", {}, el("strong", { class: "email-subject" }, card.subject), t("card:email.to", { recipient: card.recipient })),
        ...(card.html_body ? [letterFrame(`email-letter-${id}`, card.html_body, t("card:email.asSent", { subject: card.subject }))] : []),
        el("pre", { class: "email-body" }, card.text_body));
      message.hidden = false;
      open.textContent = t("card:email.close");
    } catch (error) {
      notice.replaceChildren(el("p", { class: "problem-inline" }, said(error)));
    } finally {
      open.disabled = false;
    }
  });

  /** @param {string} sendKey @param {boolean} toRefused @param {HTMLButtonElement} button */
  async function send(sendKey, toRefused, button) {
    button.disabled = true;
    try {
      const sent = await resendNotification(id, sendKey, toRefused);
      (toRefused ? refusedKeys : keys).delete(id);  // sent: a later, deliberate resend is another one
      notice.replaceChildren(el("p", { class: "notice email-resent" }, t("card:email.sentAgain", { recipient: sent.recipient })));
      resent(sent);
    } catch (error) {
      button.disabled = false;
      if (!toRefused && error instanceof ApiError && error.status === 409 && "refusal" in error.problem) confirmRefused(error);
      else notice.replaceChildren(el("p", { class: "problem-inline" }, said(error)));
    }
  }

  /** The mail server refused the address for good: sent again only when the user says so. @param {ApiError} error */
  function confirmRefused(error) {
    // Kept until it has gone, as the resend's own: confirmed again after a lost answer, it is the same send.
    const confirmKey = keyFor(id, refusedKeys);
    const anyway = /** @type {HTMLButtonElement} */ (el("button", { type: "button", class: "email-resend-anyway" }, t("card:email.sendAnyway")));
    const keep = el("button", { type: "button", class: "email-resend-keep" }, t("card:email.dontSend"));
    anyway.addEventListener("click", () => send(confirmKey, true, anyway));
    keep.addEventListener("click", () => notice.replaceChildren());
    notice.replaceChildren(el("div", { class: "conflict email-refused", role: "alert" },
      el("span", {}, said(error)), " ", anyway, " ", keep));
  }

  resend.addEventListener("click", () => send(keyFor(id), false, resend));
  return el("div", { class: "email-actions", "data-delivery": id }, el("div", { class: "actions" }, open, resend), notice, message);
}
