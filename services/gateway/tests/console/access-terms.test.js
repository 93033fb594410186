// A product line's access terms: the form ↔ the terms object the API takes.
import { accessTermsFields } from "../../src/gateway/console/access-terms.js";
import { ApiError } from "../../src/gateway/console/api.js";
import { showFieldErrors } from "../../src/gateway/console/field-errors.js";

const DEFAULTS = {
  start: { kind: "after_payment" }, end: { kind: "never" }, module_ids: null, lesson_ids: null,
  lesson_delays: "course", delay_overrides: [], checkpoints: true, practice: "course", practice_lesson_ids: [],
  comments: true, certificate: "none", certificate_conditions: null,
};
const PRODUCT = /** @type {any} */ ({ id: "p1", title: "Course", modules: [
  { id: "m1", title: "Basics", lessons: [{ id: "l1", title: "One" }, { id: "l2", title: "Two" }] },
  { id: "m2", title: "More", lessons: [{ id: "l3", title: "Three" }] },
] });

/** The form in the page, with a way to reach its controls by id and to change them as a user does. @param {Parameters<typeof accessTermsFields>[1]} [options] */
function form(options) {
  const terms = accessTermsFields("t", options);
  document.body.replaceChildren(...terms.nodes);
  const at = (/** @type {string} */ id) => /** @type {HTMLInputElement & HTMLSelectElement} */ (document.getElementById(`t-${id}`));
  const set = (/** @type {string} */ id, /** @type {string | boolean} */ value) => {
    const control = at(id);
    if (typeof value === "boolean") control.checked = value; else control.value = value;
    control.dispatchEvent(new Event(control.tagName === "SELECT" || control.type === "checkbox" ? "change" : "input", { bubbles: true }));
  };
  return { terms, at, set };
}

beforeEach(() => document.body.replaceChildren());

test("a new line's terms are the API's defaults", () => {
  expect(form().terms.value()).toEqual(DEFAULTS);
});

test("terms shown for editing come back as they were", () => {
  const given = {
    ...DEFAULTS, start: { kind: "at_date", at: "2026-12-01" }, end: { kind: "after_period", period: { count: 6, unit: "months" } },
    module_ids: ["m2"], lesson_ids: null, lesson_delays: "none", checkpoints: false, practice: "none", comments: false,
    certificate: "conditional", certificate_conditions: "Pass the exam",
  };
  const { terms, at } = form({ terms: /** @type {any} */ (given), dates: "day" });
  expect(at("start-at").value).toBe("2026-12-01");
  expect(at("end-count").value).toBe("6");
  expect(terms.value()).toEqual(given);
});

test("each edge shows only what its kind needs", () => {
  const { at, set } = form();
  expect([at("start-at").hidden, at("start-count").hidden, at("start-unit").hidden]).toEqual([true, true, true]);
  set("start", "at_date");  // the kind's select has the edge's id
  expect(at("start-at").hidden).toBe(false);
  set("start", "after_period");
  expect([at("start-at").hidden, at("start-count").hidden, at("start-unit").hidden]).toEqual([true, false, false]);
});

test("a period goes as a whole number and its unit; what is not a number goes as typed, for the API to refuse", () => {
  const { terms, set } = form();
  set("end", "after_period");
  set("end-count", " 14 ");
  set("end-unit", "days");
  expect(terms.value().end).toEqual({ kind: "after_period", period: { count: 14, unit: "days" } });
  set("end-count", "2.5");
  expect(terms.value().end).toEqual({ kind: "after_period", period: { count: "2.5", unit: "days" } });
});

test("an order's date goes as the day typed", () => {
  const { terms, set } = form({ dates: "day" });
  set("start", "at_date");
  set("start-at", "2026-03-29");
  expect(terms.value().start).toEqual({ kind: "at_date", at: "2026-03-29" });
});

test("an offer's date goes as the moment the day begins here", () => {
  const { terms, set } = form({ dates: "moment" });
  set("end", "at_date");
  set("end-at", "2026-03-29");
  expect(terms.value().end).toEqual({ kind: "at_date", at: "2026-03-28T22:00:00.000Z" });
});

test("a date left as shown goes back as the moment the API gave, so an untouched edge never moves", () => {
  const given = { ...DEFAULTS, start: { kind: "at_date", at: "2026-12-01T10:30:00Z" } };
  const { terms, at, set } = form({ terms: /** @type {any} */ (given), dates: "moment" });
  expect(at("start-at").value).toBe("2026-12-01");
  expect(terms.value().start).toEqual({ kind: "at_date", at: "2026-12-01T10:30:00Z" });
  set("start-at", "2026-12-02");
  expect(terms.value().start).toEqual({ kind: "at_date", at: "2026-12-01T22:00:00.000Z" });
});

test("chosen lessons: the ones left opened go as lesson_ids, modules no more", () => {
  const { terms, set } = form({ product: PRODUCT });
  set("lessons", "chosen");
  expect(document.querySelectorAll("#t-lesson-list li")).toHaveLength(3);
  set("lesson-1-included", false);
  expect(terms.value()).toMatchObject({ module_ids: null, lesson_ids: ["l1", "l3"] });
  set("lessons", "all");
  expect(terms.value()).toMatchObject({ module_ids: null, lesson_ids: null });
});

test("the modules and lessons a line came with are kept until the lessons are chosen here", () => {
  const given = { ...DEFAULTS, module_ids: ["m1"] };
  const { terms, at, set } = form({ terms: /** @type {any} */ (given), product: PRODUCT });
  expect(at("lessons").value).toBe("chosen");
  expect(at("lesson-0-included").checked).toBe(true);
  expect(at("lesson-2-included").checked).toBe(false);  // a lesson of another module
  set("certificate", "on_completion");
  expect(terms.value()).toMatchObject({ module_ids: ["m1"], lesson_ids: null, certificate: "on_completion" });
  set("lesson-2-included", true);
  expect(terms.value()).toMatchObject({ module_ids: null, lesson_ids: ["l1", "l2", "l3"] });
});

test("days per lesson and practice per lesson go only when chosen as custom", () => {
  const { terms, set } = form({ product: PRODUCT });
  set("delays", "custom");
  set("lesson-0-delay", "3");
  set("lesson-2-delay", " ");
  set("practice", "custom");
  set("lesson-2-practice", true);
  expect(terms.value()).toMatchObject({
    lesson_delays: "custom", delay_overrides: [{ lesson_id: "l1", days: 3 }],
    practice: "custom", practice_lesson_ids: ["l3"],
  });
  set("delays", "none");
  set("practice", "course");
  expect(terms.value()).toMatchObject({ delay_overrides: [], practice_lesson_ids: [] });
});

test("while the product's lessons are not known, the days and practice per lesson go back as they came", () => {
  const given = { ...DEFAULTS, lesson_delays: "custom", delay_overrides: [{ lesson_id: "l9", days: 2 }],
    practice: "custom", practice_lesson_ids: ["l9"] };
  const { terms } = form({ terms: /** @type {any} */ (given) });
  expect(terms.value()).toMatchObject({ delay_overrides: [{ lesson_id: "l9", days: 2 }], practice_lesson_ids: ["l9"] });
});

test("the lessons' choices are kept when the product is chosen again", () => {
  const { terms, set } = form({ product: PRODUCT });
  set("lessons", "chosen");
  set("lesson-0-included", false);
  terms.setProduct(null);
  terms.setProduct(PRODUCT);
  expect(terms.value().lesson_ids).toEqual(["l2", "l3"]);
});

test("the per-lesson list shows only when something is chosen per lesson", () => {
  const { at, set } = form({ product: PRODUCT });
  expect(at("lesson-list").hidden).toBe(true);
  set("practice", "custom");
  expect(at("lesson-list").hidden).toBe(false);
  const parts = [...document.querySelectorAll("#t-lesson-list li:first-child [data-part]")]
    .map((part) => [/** @type {HTMLElement} */ (part).dataset.part, /** @type {HTMLElement} */ (part).hidden]);
  expect(parts).toEqual([["included", true], ["delay", true], ["practice", false]]);
});

test("a product without lessons says so when lessons are to be chosen", () => {
  const { at, set } = form({ product: /** @type {any} */ ({ id: "p2", title: "Empty", modules: [] }) });
  expect(at("no-lessons").hidden).toBe(true);
  set("lessons", "chosen");
  expect(at("no-lessons").hidden).toBe(false);
  expect(at("lesson-list").hidden).toBe(true);
});

test("the certificate's conditions are asked and sent only for a conditional certificate", () => {
  const { terms, at, set } = form();
  expect(at("certificate-conditions").closest(".field")?.hasAttribute("hidden")).toBe(true);
  set("certificate", "conditional");
  expect(at("certificate-conditions").closest(".field")?.hasAttribute("hidden")).toBe(false);
  set("certificate-conditions", "  Pass the exam ");
  expect(terms.value().certificate_conditions).toBe("Pass the exam");
  set("certificate-conditions", "   ");
  expect(terms.value().certificate_conditions).toBeNull();
  set("certificate-conditions", "Pass");
  set("certificate", "on_completion");
  expect(terms.value().certificate_conditions).toBeNull();
});

test("read-only terms draw the lessons' controls disabled", () => {
  form({ product: PRODUCT, writable: false });
  const lessonControls = [...document.querySelectorAll("#t-lesson-list input")];
  expect(lessonControls).toHaveLength(9);
  expect(lessonControls.every((control) => /** @type {HTMLInputElement} */ (control).disabled)).toBe(true);
});

test("the API's errors under the line's path land on the terms' inputs", () => {
  const { terms, at } = form({ product: PRODUCT });
  const formError = document.createElement("p");
  const error = new ApiError({ title: "Unprocessable", status: 422, errors: [
    { field: "lines.0.access.start.at", message: "a date is needed" },
    { field: "lines.0.access.lesson_ids.1", message: "not a lesson of the product" },
    { field: "lines.0.access", message: "the end is before the start" },
  ] });
  showFieldErrors(error, terms.slots("lines.0"), formError);
  expect(at("start").getAttribute("aria-invalid")).toBe("true");
  expect(at("start-error").textContent).toBe("a date is needed");
  expect(at("lessons").getAttribute("aria-invalid")).toBe("true");
  expect(at("terms-error").textContent).toBe("the end is before the start");
  expect(formError.textContent).toBe("");
  expect(Object.keys(terms.slots(""))).toContain("access.certificate_conditions");
});

test("every control is listed, the lessons' as drawn now included", () => {
  const { terms } = form();
  const fixed = terms.controls.length;
  terms.setProduct(PRODUCT);
  expect(terms.controls.length).toBe(fixed + 9);
});
