// One email template in one language: the school's subject, HTML and text, edited and checked
// by the API when saved (its errors shown on the part they name), the preview the API renders on
// a sample letter, and "Back to the standard wording". The preview's HTML is shown as the
// reader sees it, in a sandboxed frame of its own (letter-frame.js: the page itself never parses
// the school's markup), and as its source; the text version and the subject as they are. While
// someone who may change the wording types, the preview follows: the API renders the unsaved
// wording on the same sample letter and checks it as a save would, its errors on their parts.

import { deleteTemplate, getTemplate, previewTemplate, putTemplate } from "./api.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { field, lockUnless, textInput } from "./fields.js";
import { words } from "./format.js";
import { languageName } from "./languages.js";
import { t } from "./i18n.js";
import { letterFrame } from "./letter-frame.js";
import { clearProblem, showProblem } from "./problem.js";
import { saveRow } from "./school-settings.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").TemplateView} TemplateView */
/** @typedef {import("./types.js").LetterPreview} LetterPreview */
/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */

/** @param {HTMLElement} view @param {string} template @param {string} locale @param {{ notice?: string }} [shown] */
export async function renderTemplate(view, template, locale, { notice } = {}) {
  const back = el("p", {}, el("a", { href: "#/settings/templates" }, t("settings:template.back")));
  view.replaceChildren(back, el("p", { class: "muted" }, t("settings:loading")));
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
  const shown = preview(found);
  view.replaceChildren(back,
    el("h1", { id: "template-title" }, t("settings:template.title", { template: words(found.template), locale: languageName(found.locale) })),
    el("p", { class: "muted", id: "template-state" }, found.overridden
      ? t("settings:template.ownInUse")
      : t("settings:template.standardInUse")),
    el("div", { class: "columns-2" }, editor(found, again, notice, shown), shown.node));
}

// How long typing pauses before the preview follows it.
const PREVIEW_AFTER_MS = 400;

/**
 * @param {TemplateView} found @param {(notice: string) => void} again @param {string | undefined} notice
 * @param {ReturnType<typeof preview>} shown
 */
function editor(found, again, notice, shown) {
  const subject = textInput("template-subject", found.subject, { maxlength: "500" });
  const html = /** @type {HTMLTextAreaElement} */ (el("textarea", { id: "template-html", rows: "14", spellcheck: "false" }));
  html.value = found.html ?? "";
  const text = /** @type {HTMLTextAreaElement} */ (el("textarea", { id: "template-text", rows: "8" }));
  text.value = found.text ?? "";
  const made = { subject: field(subject, t("settings:template.subject")), html: field(html, t("settings:template.html")),
    text: field(text, t("settings:template.text")) };
  /** @type {Record<string, FieldSlot>} */
  const slots = Object.fromEntries(Object.entries(made).map(([path, m]) => [path, m.slot]));
  const row = saveRow("template");
  if (notice) row.said(notice);
  const standard = /** @type {HTMLButtonElement} */ (el("button", { type: "button", id: "template-standard",
    disabled: !found.overridden }, t("settings:template.backToStandard")));
  row.node.append(standard);
  const form = el("form", { id: "template-form", class: "template-form", novalidate: true },
    ...Object.values(made).map((m) => m.node),
    el("p", { class: "muted", id: "template-variables" }, t("settings:template.valuesItMayUse"), found.variables.join(", ") || t("settings:template.noValues")),
    row.node, row.formError);
  lockUnless(canWrite(), [subject, html, text, row.save, standard]);
  // Only the newest wording's answer is shown: one that comes back late is dropped.
  let asked = 0;
  /** @type {number | undefined} */
  let pending;
  const follow = async () => {
    const mine = ++asked;
    try {
      const letter = await previewTemplate(found.template, found.locale, { subject: subject.value, html: html.value, text: text.value });
      if (mine !== asked) return;
      clearFieldErrors(slots, row.formError);
      shown.show(letter, t("settings:template.typedPreview"));
    } catch (error) {
      if (mine !== asked) return;
      clearFieldErrors(slots, row.formError);
      showFieldErrors(error, slots, row.formError);
      shown.stale(t("settings:template.doesNotRender"));
    }
  };
  if (canWrite()) {
    form.addEventListener("input", () => {
      window.clearTimeout(pending);
      pending = window.setTimeout(follow, PREVIEW_AFTER_MS);
    });
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    window.clearTimeout(pending);
    asked += 1;  // a preview still on its way is of a wording the save replaces
    clearFieldErrors(slots, row.formError);
    row.save.disabled = true;
    try {
      await putTemplate(found.template, found.locale, { subject: subject.value, html: html.value, text: text.value });
      again(t("settings:saved"));
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
      again(t("settings:template.backedToStandard"));
    } catch (error) {
      showFieldErrors(error, slots, row.formError);
      standard.disabled = false;
    }
  });
  return el("section", { class: "block", id: "template-edit" }, el("h2", {}, t("settings:template.wording")), form);
}

/**
 * The wording in use on the API's sample letter, and later the one being typed.
 * @param {TemplateView} found
 */
function preview(found) {
  const subject = el("span", { id: "template-preview-subject" }, found.preview.subject);
  const state = el("p", { class: "muted", id: "template-preview-state" }, t("settings:template.inUsePreview"));
  const title = t("settings:template.letterTitle", { template: words(found.template) });
  const letter = el("div", { id: "template-preview-holder" }, letterFrame("template-preview-letter", found.preview.html, title));
  const source = el("pre", { id: "template-preview-html", class: "preview-text" }, found.preview.html);
  const text = el("pre", { id: "template-preview-text", class: "preview-text" }, found.preview.text);
  const node = el("section", { class: "block", id: "template-preview" }, el("h2", {}, t("settings:template.preview")), state,
    el("p", {}, el("strong", {}, t("settings:template.subjectLabel")), subject),
    el("h3", {}, t("settings:template.html")), letter,
    el("details", {}, el("summary", {}, t("settings:template.htmlSource")), source),
    el("h3", {}, t("settings:template.text")), text);
  return {
    node,
    /** @param {LetterPreview} shown @param {string} said */
    show(shown, said) {
      state.textContent = said;
      subject.textContent = shown.subject;
      letter.replaceChildren(letterFrame("template-preview-letter", shown.html, title));
      source.textContent = shown.html;
      text.textContent = shown.text;
    },
    /** @param {string} said */
    stale(said) { state.textContent = said; },
  };
}
