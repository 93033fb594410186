// A product line's access terms as the order form takes them: when access starts (after the
// first payment, on a date, or a period after the first payment) and when it ends (never, on a
// date, or a period after the start). Dates go as the days typed: the API reads a date alone in
// the school's own time zone. A line's terms shown for editing start from what it has: a date
// left as shown goes back as the moment the API gave, so an untouched edge never moves.

import { el } from "./dom.js";

/** @typedef {import("./types.js").Schemas} Schemas */
/** @typedef {Schemas["AccessInput"]} AccessInput */
/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */
/** @typedef {{ kind?: string, at?: string | null, period?: Schemas["Period"] | null }} Edge */

/**
 * One edge of the window (start or end): its kind, and the date or period that kind needs.
 * @param {string} id @param {string} label @param {[string, string][]} kinds value and label
 * @param {Edge | null | undefined} initial what the line has now
 */
function edge(id, label, kinds, initial) {
  const kind = /** @type {HTMLSelectElement} */ (el("select", { id, class: "terms-kind" }, ...kinds.map(([v, l]) => el("option", { value: v }, l))));
  const at = /** @type {HTMLInputElement} */ (el("input", { type: "date", id: `${id}-at`, "aria-label": `${label}: date`, hidden: true }));
  const count = /** @type {HTMLInputElement} */ (el("input", { type: "number", min: "1", step: "1", id: `${id}-count`,
    value: "1", "aria-label": `${label}: how many`, hidden: true }));
  const unit = /** @type {HTMLSelectElement} */ (el("select", { id: `${id}-unit`, "aria-label": `${label}: days or months`, hidden: true },
    el("option", { value: "months" }, "months"), el("option", { value: "days" }, "days")));
  const shownDay = initial?.at ? initial.at.slice(0, 10) : "";
  if (initial?.kind) {
    kind.value = initial.kind;
    at.value = shownDay;
    if (initial.period) {
      count.value = String(initial.period.count);
      unit.value = initial.period.unit;
    }
  }
  const show = () => {
    at.hidden = kind.value !== "at_date";
    count.hidden = unit.hidden = kind.value !== "after_period";
  };
  show();
  kind.addEventListener("change", show);
  const error = el("p", { class: "field-error", id: `${id}-error`, hidden: true });
  const node = el("div", { class: "field" }, el("label", { for: id }, label),
    el("div", { class: "inline-fields" }, kind, at, count, unit), error);
  const value = () => ({
    kind: kind.value,
    ...(kind.value === "at_date" ? { at: initial?.at && at.value === shownDay ? initial.at : at.value || null } : {}),
    ...(kind.value === "after_period" ? { period: { count: Number(count.value), unit: unit.value === "days" ? "days" : "months" } } : {}),
  });
  return { node, value, slot: { input: kind, error }, controls: [kind, at, count, unit] };
}

/** @param {string} id the line's id prefix @param {{ start?: Edge | null, end?: Edge | null }} [initial] the line's terms now */
export function accessTermsFields(id, initial) {
  const start = edge(`${id}-start`, "Access starts",
    [["after_payment", "after the first payment"], ["at_date", "on a date"], ["after_period", "a period after the first payment"]],
    initial?.start);
  const end = edge(`${id}-end`, "Access ends",
    [["never", "never"], ["at_date", "on a date"], ["after_period", "a period after the start"]], initial?.end);
  return {
    nodes: [start.node, end.node],
    controls: [...start.controls, ...end.controls],
    /** @returns {AccessInput} */
    value: () => /** @type {AccessInput} */ ({ start: start.value(), end: end.value() }),
    /** Under the line's API path (`lines.0`; "" for a body that is the line). @param {string} path @returns {Record<string, FieldSlot>} */
    slots: (path) => {
      const access = path ? `${path}.access` : "access";
      return { [`${access}.start`]: start.slot, [`${access}.end`]: end.slot, [access]: start.slot };
    },
  };
}
