// Settings: the school's profile, its CRM settings, the pipelines, the payment providers and
// the reminder schedule (and the way to the email templates), each a section of its own that loads and saves on its own, so one the
// API cannot give leaves the others shown.

import { el } from "./dom.js";
import { t } from "./i18n.js";
import { pipelinesSection } from "./pipelines-settings.js";
import { clearProblem } from "./problem.js";
import { providersSection } from "./providers-settings.js";
import { reminderSection } from "./reminder-schedule.js";
import { crmSettingsSection, schoolSection } from "./school-settings.js";

/** @param {HTMLElement} view */
export async function renderSettings(view) {
  clearProblem();
  view.replaceChildren(el("h1", {}, t("settings:heading")), el("p", { class: "muted" }, t("settings:loading")));
  const sections = await Promise.all([schoolSection(), crmSettingsSection(), pipelinesSection(), providersSection(), reminderSection()]);
  view.replaceChildren(el("h1", {}, t("settings:heading")),
    el("p", {}, el("a", { href: "#/settings/templates", id: "to-templates" }, t("settings:toTemplates"))),
    el("div", { class: "columns-2" }, el("div", {}, sections[0], sections[1], sections[4]), el("div", {}, sections[2], sections[3])));
}
