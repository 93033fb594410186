// Settings → the school's profile (name, default language, time zone, reply-to; PUT replaces it
// whole, so every field is in the form) and its CRM settings (after how many days an unpaid
// order expires, the phone region; an empty field puts the default back).

import { getSchool, getSettings, putSchool, putSettings } from "./api.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { field, lockUnless, textInput, wholeNumber } from "./fields.js";
import { t } from "./i18n.js";
import { LANGUAGES, languageName } from "./languages.js";
import { canWrite } from "./session.js";

/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */
/** @typedef {import("./types.js").SchoolCard} SchoolCard */
/** @typedef {import("./types.js").SchoolSettingsView} SchoolSettingsView */

/** @param {string} id @param {string} title @param {...(Node | string | null)} content */
export const section = (id, title, ...content) => el("section", { class: "block", id }, el("h2", {}, title), ...content);

/** @param {string} text */
const failed = (text) => el("p", { class: "problem-inline" }, text);

/** @param {unknown} error */
export const why = (error) => (error instanceof Error ? error.message : String(error));

/** A form's Save, its place for what names no field, and its notice. @param {string} prefix */
export function saveRow(prefix) {
  const save = /** @type {HTMLButtonElement} */ (el("button", { type: "submit", id: `${prefix}-save` }, t("settings:save")));
  const formError = el("p", { class: "field-error", id: `${prefix}-form-error`, hidden: true });
  const notice = el("p", { class: "notice", id: `${prefix}-notice`, hidden: true });
  return { save, formError, notice, node: el("div", { class: "actions" }, save, notice), said: (/** @type {string} */ text) => {
    notice.textContent = text;
    notice.hidden = false;
  } };
}

export async function schoolSection() {
  const holder = section("school", t("settings:school.heading"), el("p", { class: "muted" }, t("settings:loading")));
  try {
    holder.replaceChildren(el("h2", {}, t("settings:school.heading")), schoolForm(await getSchool(), holder));
  } catch (error) {
    holder.replaceChildren(el("h2", {}, t("settings:school.heading")), failed(why(error)));
  }
  return holder;
}

/** @param {SchoolCard} school @param {HTMLElement} holder @param {string} [notice] */
function schoolForm(school, holder, notice) {
  const name = textInput("school-name", school.name, { maxlength: "200" });
  const locale = /** @type {HTMLSelectElement} */ (el("select", { id: "school-locale" },
    ...[...new Set([school.default_locale, ...LANGUAGES])].map((code) => el("option", { value: code }, languageName(code)))));
  locale.value = school.default_locale;
  const zone = textInput("school-time-zone", school.time_zone, { placeholder: t("settings:school.theDefault") });
  const replyTo = textInput("school-reply-to", school.reply_to, { type: "email", placeholder: t("settings:school.platformSender") });
  const made = { name: field(name, t("settings:school.name")), default_locale: field(locale, t("settings:school.defaultLanguage")),
    time_zone: field(zone, t("settings:school.timeZone")), reply_to: field(replyTo, t("settings:school.replyTo")) };
  /** @type {Record<string, FieldSlot>} */
  const slots = Object.fromEntries(Object.entries(made).map(([path, m]) => [path, m.slot]));
  const row = saveRow("school");
  if (notice) row.said(notice);
  const form = el("form", { id: "school-form", class: "edit-form", novalidate: true },
    ...Object.values(made).map((m) => m.node), row.node, row.formError);
  lockUnless(canWrite(), [name, locale, zone, replyTo, row.save]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, row.formError);
    row.notice.hidden = true;
    row.save.disabled = true;
    try {
      const saved = await putSchool({ name: name.value.trim(), default_locale: locale.value,
        time_zone: zone.value.trim() || null, reply_to: replyTo.value.trim() || null });
      holder.replaceChildren(el("h2", {}, t("settings:school.heading")), schoolForm(saved, holder, t("settings:saved")));
    } catch (error) {
      showFieldErrors(error, slots, row.formError);
      row.save.disabled = false;
    }
  });
  return form;
}

export async function crmSettingsSection() {
  const holder = section("crm-settings", t("settings:crm.heading"), el("p", { class: "muted" }, t("settings:loading")));
  try {
    holder.replaceChildren(el("h2", {}, t("settings:crm.heading")), settingsForm(await getSettings(), holder));
  } catch (error) {
    holder.replaceChildren(el("h2", {}, t("settings:crm.heading")), failed(why(error)));
  }
  return holder;
}

/** @param {SchoolSettingsView} settings @param {HTMLElement} holder @param {string} [notice] */
function settingsForm(settings, holder, notice) {
  const days = textInput("settings-expiry-days", String(settings.unpaid_expiry_days), { inputmode: "numeric" });
  const region = textInput("settings-phone-region", settings.phone_region, { maxlength: "2", placeholder: "UA" });
  const made = { unpaid_expiry_days: field(days, t("settings:crm.expiryDays")), phone_region: field(region, t("settings:crm.phoneRegion")) };
  /** @type {Record<string, FieldSlot>} */
  const slots = Object.fromEntries(Object.entries(made).map(([path, m]) => [path, m.slot]));
  const row = saveRow("settings");
  if (notice) row.said(notice);
  const form = el("form", { id: "settings-form", class: "edit-form", novalidate: true },
    ...Object.values(made).map((m) => m.node),
    el("p", { class: "muted" }, t("settings:crm.emptyDefault")), row.node, row.formError);
  lockUnless(canWrite(), [days, region, row.save]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, row.formError);
    row.notice.hidden = true;
    row.save.disabled = true;
    try {
      const saved = await putSettings({ unpaid_expiry_days: days.value.trim() ? wholeNumber(days.value) : null,
        phone_region: region.value.trim() || null });
      holder.replaceChildren(el("h2", {}, t("settings:crm.heading")), settingsForm(saved, holder, t("settings:saved")));
    } catch (error) {
      showFieldErrors(error, slots, row.formError);
      row.save.disabled = false;
    }
  });
  return form;
}
