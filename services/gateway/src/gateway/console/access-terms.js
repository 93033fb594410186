// A product line's access terms, as an order line and an offer line carry them: when access
// starts (after the first payment, on a date, or a period after the first payment) and when it
// ends (never, on a date, or a period after the start); which lessons it opens (the whole course,
// or chosen lessons); the lessons' delays (the course's, none, or days of its own per lesson);
// practice (the course's, none, or chosen lessons); checkpoints and comments; the certificate
// (none, on completion, or on conditions written out). The lessons are the line's product's, so
// the form follows the product chosen. A date goes as the day typed where the API reads it in the
// school's own time zone (an order), or as the moment that day begins here where it takes a
// moment (an offer). Terms shown for editing start from what the line has: a date left as shown
// goes back as the moment the API gave, so an untouched edge never moves.

import { dayOf, dayStart } from "./dates.js";
import { el } from "./dom.js";
import { wholeNumber } from "./fields.js";
import { t } from "./i18n.js";

/** @typedef {import("./types.js").Schemas} Schemas */
/** @typedef {Schemas["AccessInput"]} AccessInput */
/** @typedef {Schemas["AccessTerms"]} AccessTerms */
/** @typedef {import("./types.js").ProductCard} ProductCard */
/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */
/** @typedef {{ kind?: string, at?: string | null, period?: Schemas["Period"] | null }} EdgeTerms */
/** @typedef {{ included: boolean, delay: string, practice: boolean }} LessonChoice */

/**
 * One edge of the window (start or end): its kind, and the date or period that kind needs.
 * @param {string} id @param {string} label @param {[string, string][]} kinds value and label
 * @param {EdgeTerms | undefined} given @param {"day" | "moment"} dates
 */
function edge(id, label, kinds, given, dates) {
  const kind = /** @type {HTMLSelectElement} */ (el("select", { id, class: "terms-kind" }, ...kinds.map(([v, l]) => el("option", { value: v }, l))));
  const at = /** @type {HTMLInputElement} */ (el("input", { type: "date", id: `${id}-at`, "aria-label": t("card:terms.date", { label }), hidden: true }));
  const count = /** @type {HTMLInputElement} */ (el("input", { type: "number", min: "1", step: "1", id: `${id}-count`,
    value: "1", "aria-label": t("card:terms.howMany", { label }), hidden: true }));
  const unit = /** @type {HTMLSelectElement} */ (el("select", { id: `${id}-unit`, "aria-label": t("card:terms.daysOrMonths", { label }), hidden: true },
    el("option", { value: "months" }, t("card:terms.months")), el("option", { value: "days" }, t("card:terms.days"))));
  if (given?.kind) kind.value = given.kind;
  if (given?.at) at.value = dates === "moment" ? dayOf(given.at) : given.at.slice(0, 10);
  if (given?.period) {
    count.value = String(given.period.count);
    unit.value = given.period.unit;
  }
  const show = () => {
    at.hidden = kind.value !== "at_date";
    count.hidden = unit.hidden = kind.value !== "after_period";
  };
  kind.addEventListener("change", show);
  show();
  const error = el("p", { class: "field-error", id: `${id}-error`, hidden: true });
  const node = el("div", { class: "field" }, el("label", { for: id }, label),
    el("div", { class: "inline-fields" }, kind, at, count, unit), error);
  // The day shown unchanged keeps the moment it came as (an offer's may not be a midnight here).
  const shownDay = at.value;
  const day = () => (given?.at && at.value === shownDay ? given.at : dates === "moment" ? dayStart(at.value) : at.value || null);
  const value = () => ({
    kind: kind.value,
    ...(kind.value === "at_date" ? { at: day() } : {}),
    ...(kind.value === "after_period" ? { period: { count: wholeNumber(count.value), unit: unit.value === "days" ? "days" : "months" } } : {}),
  });
  return { node, value, slot: { input: kind, error }, controls: [kind, at, count, unit] };
}

/**
 * A select with its label and the place for the API's word on it.
 * @param {string} id @param {string} label @param {[string, string][]} options @param {string | undefined} given
 */
function choice(id, label, options, given) {
  const input = /** @type {HTMLSelectElement} */ (el("select", { id }, ...options.map(([v, l]) => el("option", { value: v }, l))));
  if (given) input.value = given;
  const error = el("p", { class: "field-error", id: `${id}-error`, hidden: true });
  return { input, node: el("div", { class: "field" }, el("label", { for: id }, label), input, error), slot: { input, error } };
}

/** A checkbox with its label. @param {string} id @param {string} label @param {boolean} checked */
function box(id, label, checked) {
  const input = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", id, checked }));
  const error = el("p", { class: "field-error", id: `${id}-error`, hidden: true });
  return { input, node: el("div", { class: "field" }, el("label", { for: id }, input, ` ${label}`), error), slot: { input, error } };
}

/**
 * @param {string} id the line's id prefix
 * @param {{ terms?: AccessTerms | AccessInput | null, product?: ProductCard | null, dates?: "day" | "moment", writable?: boolean }} [options]
 *   the terms shown first (the defaults when none), the product whose lessons they name, how dates go
 */
export function accessTermsFields(id, { terms = null, product = null, dates = "day", writable = true } = {}) {
  const start = edge(`${id}-start`, t("card:terms.starts"),
    [["after_payment", t("card:terms.startAfterPayment")], ["at_date", t("card:terms.onDate")], ["after_period", t("card:terms.startAfterPeriod")]],
    terms?.start, dates);
  const end = edge(`${id}-end`, t("card:terms.ends"),
    [["never", t("card:terms.never")], ["at_date", t("card:terms.onDate")], ["after_period", t("card:terms.endAfterPeriod")]], terms?.end, dates);
  const given = /** @type {Partial<AccessTerms>} */ (terms ?? {});
  const narrowed = Boolean(given.lesson_ids || given.module_ids);
  const lessons = choice(`${id}-lessons`, t("card:terms.lessons"),
    [["all", t("card:terms.wholeCourse")], ["chosen", t("card:terms.chosenLessons")]], narrowed ? "chosen" : "all");
  const delays = choice(`${id}-delays`, t("card:terms.delays"),
    [["course", t("card:terms.asInCourse")], ["none", t("card:terms.noDelays")], ["custom", t("card:terms.ownDelays")]], given.lesson_delays);
  const practice = choice(`${id}-practice`, t("card:terms.practice"),
    [["course", t("card:terms.asInCourse")], ["none", t("card:terms.none")], ["custom", t("card:terms.chosenLessons")]], given.practice);
  const checkpoints = box(`${id}-checkpoints`, t("card:terms.checkpoints"), given.checkpoints ?? true);
  const comments = box(`${id}-comments`, t("card:terms.comments"), given.comments ?? true);
  const certificate = choice(`${id}-certificate`, t("card:terms.certificate"),
    [["none", t("card:terms.none")], ["on_completion", t("card:terms.onCompletion")], ["conditional", t("card:terms.onConditions")]], given.certificate);
  const conditions = /** @type {HTMLTextAreaElement} */ (el("textarea", { id: `${id}-certificate-conditions`, rows: "2", maxlength: "2000" }));
  conditions.value = given.certificate_conditions ?? "";
  const conditionsError = el("p", { class: "field-error", id: `${id}-certificate-conditions-error`, hidden: true });
  const conditionsNode = el("div", { class: "field" }, el("label", { for: conditions.id }, t("card:terms.conditions")), conditions, conditionsError);

  // Each lesson's choices, by its id: kept when the product is chosen again or the list redrawn.
  /** @type {Map<string, LessonChoice>} */
  const chosen = new Map();
  // Until the lessons are chosen here, the terms keep the modules and lessons they came with
  // (modules named alone open the lessons those modules gain later, too).
  let narrowedNow = !terms;
  /** @type {ProductCard | null} */
  let current = null;
  const lessonList = el("ul", { id: `${id}-lesson-list`, class: "terms-lessons" });
  const noLessons = el("p", { class: "muted", id: `${id}-no-lessons`, hidden: true }, t("card:terms.noLessons"));
  /** @type {HTMLElement[]} */
  let lessonControls = [];
  const everyLesson = () => (current?.modules ?? []).flatMap((m) => (m.lessons ?? []).map((l) => ({ module: m, lesson: l })));
  const first = (/** @type {ProductCard | null} */ p) => {
    const modules = new Set(given.module_ids ?? []);
    const only = given.lesson_ids ? new Set(given.lesson_ids) : null;
    const delayOf = new Map((given.delay_overrides ?? []).map((d) => [d.lesson_id, String(d.days)]));
    const practised = new Set(given.practice_lesson_ids ?? []);
    for (const m of p?.modules ?? []) {
      for (const l of m.lessons ?? []) {
        if (!l.id || chosen.has(l.id)) continue;
        const included = only ? only.has(l.id) : !given.module_ids || modules.has(m.id ?? "");
        chosen.set(l.id, { included, delay: delayOf.get(l.id) ?? "", practice: practised.has(l.id) });
      }
    }
  };
  const show = () => {
    const perLesson = lessons.input.value === "chosen" || delays.input.value === "custom" || practice.input.value === "custom";
    lessonList.hidden = !perLesson || !everyLesson().length;
    noLessons.hidden = !perLesson || Boolean(everyLesson().length) || !current;
    for (const item of lessonList.querySelectorAll("[data-part]")) {
      const part = /** @type {HTMLElement} */ (item).dataset.part;
      /** @type {HTMLElement} */ (item).hidden = !((part === "included" && lessons.input.value === "chosen")
        || (part === "delay" && delays.input.value === "custom") || (part === "practice" && practice.input.value === "custom"));
    }
    conditionsNode.hidden = certificate.input.value !== "conditional";
  };
  const draw = () => {
    lessonControls = [];
    lessonList.replaceChildren(...everyLesson().map(({ module, lesson }, k) => {
      const state = chosen.get(lesson.id ?? "") ?? { included: true, delay: "", practice: false };
      const included = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", id: `${id}-lesson-${k}-included`, checked: state.included }));
      included.addEventListener("change", () => {
        state.included = included.checked;
        narrowedNow = true;
      });
      const delay = /** @type {HTMLInputElement} */ (el("input", { type: "number", min: "0", step: "1", id: `${id}-lesson-${k}-delay`,
        value: state.delay, placeholder: t("card:terms.asInCourse"),
        "aria-label": t("card:terms.daysAfterStart", { lesson: lesson.title }) }));
      delay.addEventListener("input", () => { state.delay = delay.value; });
      const practised = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", id: `${id}-lesson-${k}-practice`, checked: state.practice }));
      practised.addEventListener("change", () => { state.practice = practised.checked; });
      lessonControls.push(included, delay, practised);
      if (!writable) for (const control of [included, delay, practised]) control.disabled = true;
      return el("li", { "data-lesson": lesson.id ?? "" }, el("span", { class: "muted" }, `${module.title}: `), lesson.title, " ",
        el("label", { for: included.id, "data-part": "included" }, included, t("card:terms.opened")), " ",
        el("span", { "data-part": "delay" }, delay, t("card:terms.lessonDays")), " ",
        el("label", { for: practised.id, "data-part": "practice" }, practised, t("card:terms.lessonPractice")));
    }));
    show();
  };
  /** The line's product changed: its lessons are the ones to choose from. @param {ProductCard | null} p */
  const setProduct = (p) => {
    current = p;
    first(p);
    draw();
  };
  for (const select of [lessons.input, delays.input, practice.input, certificate.input]) select.addEventListener("change", show);
  lessons.input.addEventListener("change", () => { narrowedNow = true; });
  setProduct(product);

  const termsError = el("p", { class: "field-error", id: `${id}-terms-error`, hidden: true });
  const box_ = el("fieldset", { class: "access-terms", id: `${id}-terms` }, el("legend", {}, t("card:terms.access")),
    el("div", { class: "filters" }, start.node, end.node, lessons.node, delays.node, practice.node,
      checkpoints.node, comments.node, certificate.node, conditionsNode),
    lessonList, noLessons, termsError);
  const fixed = [...start.controls, ...end.controls, lessons.input, delays.input, practice.input,
    checkpoints.input, comments.input, certificate.input, conditions];
  return {
    nodes: [box_],
    /** Every control, the lessons' as drawn now included. */
    get controls() { return [...fixed, ...lessonControls]; },
    setProduct,
    /** @returns {AccessInput} */
    value: () => {
      const all = everyLesson().map(({ lesson }) => ({ id: lesson.id ?? "", state: chosen.get(lesson.id ?? "") }));
      const opened = narrowedNow
        ? { module_ids: null, lesson_ids: lessons.input.value === "chosen" ? all.filter((l) => l.state?.included).map((l) => l.id) : null }
        : { module_ids: given.module_ids ?? null, lesson_ids: given.lesson_ids ?? null };
      // The product's lessons not known (yet): the days and practice per lesson go back as they came.
      const delayOverrides = current
        ? all.filter((l) => l.state?.delay.trim()).map((l) => ({ lesson_id: l.id, days: wholeNumber(l.state?.delay ?? "") }))
        : given.delay_overrides ?? [];
      const practised = current ? all.filter((l) => l.state?.practice).map((l) => l.id) : given.practice_lesson_ids ?? [];
      return /** @type {AccessInput} */ ({
        start: start.value(), end: end.value(), ...opened,
        lesson_delays: delays.input.value,
        delay_overrides: delays.input.value === "custom" ? delayOverrides : [],
        checkpoints: checkpoints.input.checked,
        practice: practice.input.value,
        practice_lesson_ids: practice.input.value === "custom" ? practised : [],
        comments: comments.input.checked,
        certificate: certificate.input.value,
        certificate_conditions: certificate.input.value === "conditional" ? conditions.value.trim() || null : null,
      });
    },
    /**
     * Under the line's API path (`lines.0`, `items.0`; "" for a body that is the line itself).
     * @param {string} path @returns {Record<string, FieldSlot>}
     */
    slots: (path) => {
      const access = path ? `${path}.access` : "access";
      return {
        [access]: { input: box_, error: termsError },
        [`${access}.start`]: start.slot, [`${access}.end`]: end.slot,
        [`${access}.module_ids`]: lessons.slot, [`${access}.lesson_ids`]: lessons.slot,
        [`${access}.lesson_delays`]: delays.slot, [`${access}.delay_overrides`]: delays.slot,
        [`${access}.practice`]: practice.slot, [`${access}.practice_lesson_ids`]: practice.slot,
        [`${access}.checkpoints`]: checkpoints.slot, [`${access}.comments`]: comments.slot,
        [`${access}.certificate`]: certificate.slot,
        [`${access}.certificate_conditions`]: { input: conditions, error: conditionsError },
      };
    },
  };
}
