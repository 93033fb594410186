// One email template in one language: the school's subject, HTML and text, edited and checked
// by the API when saved (its errors shown on the part they name), the preview the API renders on
// a sample letter, and "Back to the standard wording". The preview's HTML is shown as the
// reader sees it, in a sandboxed frame of its own (letter-frame.js: the page itself never parses
// the school's markup), and as its source; the text version and the subject as they are.

import { deleteTemplate, getTemplate, putTemplate } from "./api.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { field, lockUnless, textInput } from "./fields.js";
import { words } from "./format.js";
import { letterFrame } from "./letter-frame.js";
import { clearProblem, showProblem } from "./problem.js";
import { saveRow } from "./school-settings.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").TemplateView} TemplateView */
/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */

/** @param {HTMLElement} view @param {string} template @param {string} locale @param {{ notice?: string }} [shown] */
export async function renderTemplate(view, template, locale, { notice } = {}) {
  const back = el("p", {}, el("a", { href: "#/settings/templates" }, "← Email templates"));
  view.replaceChildren(back, el("p", { class: "muted" }, "Loading…"));
  let found;
  try {
    found = await getTemplate(template, locale);
  } catch (error) {
    view.replaceChildren(back);
    showProblem(error);
    return;
  }
  clearProblem();
  const again = (/** @type {string} */ done) => renderTemplate(view, template, locale, { notice: done });
  view.replaceChildren(back,
    el("h1", { id: "template-title" }, `${words(found.template)} (${found.locale})`),
    el("p", { class: "muted", id: "template-state" }, found.overridden
      ? "The school's own wording is in use."
      : "The standard wording is in use; write the school's own below to replace it."),
    el("div", { class: "columns-2" }, editor(found, again, notice), preview(found)));
}

/** @param {TemplateView} found @param {(notice: string) => void} again @param {string} [notice] */
function editor(found, again, notice) {
  const subject = textInput("template-subject", found.subject, { maxlength: "500" });
  const html = /** @type {HTMLTextAreaElement} */ (el("textarea", { id: "template-html", rows: "14", spellcheck: "false" }));
  html.value = found.html ?? "";
  const text = /** @type {HTMLTextAreaElement} */ (el("textarea", { id: "template-text", rows: "8" }));
  text.value = found.text ?? "";
  const made = { subject: field(subject, "Subject"), html: field(html, "HTML"), text: field(text, "Text") };
  /** @type {Record<string, FieldSlot>} */
  const slots = Object.fromEntries(Object.entries(made).map(([path, m]) => [path, m.slot]));
  const row = saveRow("template");
  if (notice) row.said(notice);
  const standard = /** @type {HTMLButtonElement} */ (el("button", { type: "button", id: "template-standard",
    disabled: !found.overridden }, "Back to the standard wording"));
  row.node.append(standard);
  const form = el("form", { id: "template-form", class: "template-form", novalidate: true },
    ...Object.values(made).map((m) => m.node),
    el("p", { class: "muted", id: "template-variables" }, "Values it may use: ", found.variables.join(", ") || "none"),
    row.node, row.formError);
  lockUnless(canWrite(), [subject, html, text, row.save, standard]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, row.formError);
    row.save.disabled = true;
    try {
      await putTemplate(found.template, found.locale, { subject: subject.value, html: html.value, text: text.value });
      again("Saved.");
    } catch (error) {
      // The API checks the wording when it is saved (an unknown value, a broken tag): on its part.
      showFieldErrors(error, slots, row.formError);
      row.save.disabled = false;
    }
  });
  standard.addEventListener("click", async () => {
    clearFieldErrors(slots, row.formError);
    standard.disabled = true;
    try {
      await deleteTemplate(found.template, found.locale);
      again("Back to the standard wording.");
    } catch (error) {
      showFieldErrors(error, slots, row.formError);
      standard.disabled = false;
    }
  });
  return el("section", { class: "block", id: "template-edit" }, el("h2", {}, "Wording"), form);
}

/** The wording in use on the API's sample letter. @param {TemplateView} found */
function preview(found) {
  return el("section", { class: "block", id: "template-preview" }, el("h2", {}, "Preview"),
    el("p", {}, el("strong", {}, "Subject: "), el("span", { id: "template-preview-subject" }, found.preview.subject)),
    el("h3", {}, "HTML"),
    letterFrame("template-preview-letter", found.preview.html, `${words(found.template)}: the letter as its reader sees it`),
    el("details", {}, el("summary", {}, "HTML source"),
      el("pre", { id: "template-preview-html", class: "preview-text" }, found.preview.html)),
    el("h3", {}, "Text"),
    el("pre", { id: "template-preview-text", class: "preview-text" }, found.preview.text));
}
