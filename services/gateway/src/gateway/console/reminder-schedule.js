// Settings → the reminder schedule: when scheduled reminders go out, in whole hours around a
// payment's planned date (negative: before it), typed as a comma-separated list.

import { getReminderSchedule, putReminderSchedule } from "./api.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { field, lockUnless, textInput, wholeNumber } from "./fields.js";
import { t } from "./i18n.js";
import { saveRow, section, why } from "./school-settings.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").ReminderSchedule} ReminderSchedule */

export async function reminderSection() {
  const holder = section("reminders", t("settings:reminders.heading"), el("p", { class: "muted" }, t("settings:loading")));
  try {
    holder.replaceChildren(el("h2", {}, t("settings:reminders.heading")), form(await getReminderSchedule(), holder));
  } catch (error) {
    holder.replaceChildren(el("h2", {}, t("settings:reminders.heading")), el("p", { class: "problem-inline" }, why(error)));
  }
  return holder;
}

/** @param {ReminderSchedule} schedule @param {HTMLElement} holder @param {string} [notice] */
function form(schedule, holder, notice) {
  const offsets = textInput("reminder-offsets", schedule.offsets_hours.join(", "), { placeholder: "-24, 0, 72" });
  const made = field(offsets, t("settings:reminders.hours"));
  const slots = { offsets_hours: made.slot };
  const row = saveRow("reminders");
  if (notice) row.said(notice);
  const node = el("form", { id: "reminders-form", class: "edit-form", novalidate: true }, made.node,
    el("p", { class: "muted" }, t("settings:reminders.empty")), row.node, row.formError);
  lockUnless(canWrite(), [offsets, row.save]);
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, row.formError);
    row.notice.hidden = true;
    row.save.disabled = true;
    try {
      const saved = await putReminderSchedule(offsets.value.split(",").map((item) => item.trim()).filter(Boolean).map(wholeNumber));
      holder.replaceChildren(el("h2", {}, t("settings:reminders.heading")), form(saved, holder, t("settings:saved")));
    } catch (error) {
      showFieldErrors(error, slots, row.formError);
      row.save.disabled = false;
    }
  });
  return node;
}
