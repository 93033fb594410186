// Settings → pipelines: each pipeline's name and stages (renamed, moved up or down, added,
// removed), which stage a fully paid order and a cancelled one move to, and which pipeline is the
// default; a new pipeline made the same way. A stage keeps its id when it is renamed or moved, so
// its orders stay in it; the API refuses to remove a pipeline that still holds orders (a 409,
// shown in its words).

import { createPipeline, deletePipeline, listPipelines, patchPipeline } from "./api.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { field, lockUnless, textInput } from "./fields.js";
import { t } from "./i18n.js";
import { newKey } from "./keys.js";
import { saveRow, section, why } from "./school-settings.js";
import { canWrite } from "./session.js";

/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */
/** @typedef {import("./types.js").PipelineView} PipelineView */
/** @typedef {import("./types.js").StageFields} StageFields */

export async function pipelinesSection() {
  const holder = section("pipelines", t("settings:pipelines.heading"), el("p", { class: "muted" }, t("settings:loading")));
  await fill(holder);
  return holder;
}

/** @param {HTMLElement} holder @param {string} [notice] */
async function fill(holder, notice) {
  let pipelines;
  try {
    pipelines = (await listPipelines()).items;
  } catch (error) {
    holder.replaceChildren(el("h2", {}, t("settings:pipelines.heading")), el("p", { class: "problem-inline" }, why(error)));
    return;
  }
  const again = (/** @type {string} */ done) => fill(holder, done);
  holder.replaceChildren(el("h2", {}, t("settings:pipelines.heading")),
    notice ? el("p", { class: "notice", id: "pipelines-notice" }, notice) : "",
    ...pipelines.map((p, i) => editor(p, `pipeline-${i}`, again)),
    el("h3", {}, t("settings:pipelines.new")),
    editor(null, "pipeline-new", again));
}

/**
 * One pipeline's form; `null`: a new one.
 * @param {PipelineView | null} pipeline @param {string} prefix ids of its inputs
 * @param {(notice: string) => void} again the list shown afresh
 */
function editor(pipeline, prefix, again) {
  /** @type {StageFields[]} */
  let stages = pipeline
    ? pipeline.stages.map((s) => ({ id: s.id, name: s.name, on_full_payment: s.on_full_payment, on_cancel: s.on_cancel }))
    : [{ name: t("settings:pipelines.newStage") }];
  const writable = canWrite();
  // A new pipeline's key is made with its form: a second click or a retry adds one pipeline.
  const key = newKey();
  const name = textInput(`${prefix}-name`, pipeline?.name ?? "", { maxlength: "200" });
  const nameField = field(name, t("settings:pipelines.name"));
  const isDefault = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", id: `${prefix}-default` }));
  isDefault.checked = pipeline?.is_default ?? false;
  // The API sets a default and never unsets one: another pipeline becoming it is how that changes.
  if (pipeline?.is_default) isDefault.disabled = true;
  const rows = el("ol", { class: "stages", id: `${prefix}-stages` });
  /** @type {Record<string, FieldSlot>} */
  let slots = {};
  const row = saveRow(prefix);

  const draw = () => {
    slots = { name: nameField.slot };
    rows.replaceChildren(...stages.map((stage, i) => {
      const stageName = textInput(`${prefix}-stage-${i}-name`, stage.name, { maxlength: "200", "aria-label": t("settings:pipelines.stage", { number: i + 1 }) });
      stageName.addEventListener("input", () => { stage.name = stageName.value; });
      const paid = /** @type {HTMLInputElement} */ (el("input", { type: "radio", name: `${prefix}-paid`, id: `${prefix}-stage-${i}-paid` }));
      paid.checked = Boolean(stage.on_full_payment);
      paid.addEventListener("change", () => { stages.forEach((s) => { s.on_full_payment = s === stage; }); });
      const cancel = /** @type {HTMLInputElement} */ (el("input", { type: "radio", name: `${prefix}-cancel`, id: `${prefix}-stage-${i}-cancel` }));
      cancel.checked = Boolean(stage.on_cancel);
      cancel.addEventListener("change", () => { stages.forEach((s) => { s.on_cancel = s === stage; }); });
      const up = el("button", { type: "button", class: "stage-up", id: `${prefix}-stage-${i}-up`, disabled: i === 0, "aria-label": t("settings:pipelines.moveUp") }, "↑");
      const down = el("button", { type: "button", class: "stage-down", id: `${prefix}-stage-${i}-down`,
        disabled: i === stages.length - 1, "aria-label": t("settings:pipelines.moveDown") }, "↓");
      const remove = el("button", { type: "button", class: "stage-remove", id: `${prefix}-stage-${i}-remove`,
        disabled: stages.length === 1 }, t("settings:remove"));
      const swap = (/** @type {number} */ j) => {
        [stages[i], stages[j]] = [stages[j], stages[i]];
        draw();
      };
      up.addEventListener("click", () => swap(i - 1));
      down.addEventListener("click", () => swap(i + 1));
      remove.addEventListener("click", () => {
        stages = stages.filter((s) => s !== stage);
        draw();
      });
      const error = el("p", { class: "field-error", id: `${prefix}-stage-${i}-name-error`, hidden: true });
      slots[`stages.${i}`] = { input: stageName, error };
      const controls = [stageName, paid, cancel, up, down, remove];
      lockUnless(writable, controls);
      return el("li", { class: "stage", "data-stage": stage.id ?? "" }, el("div", { class: "inline-fields" }, stageName,
        el("label", {}, paid, t("settings:pipelines.paid")), el("label", {}, cancel, t("settings:pipelines.cancelled")), up, down, remove), error);
    }));
  };
  draw();

  const addStage = el("button", { type: "button", id: `${prefix}-add-stage` }, t("settings:pipelines.addStage"));
  addStage.addEventListener("click", () => {
    stages.push({ name: "" });
    draw();
  });
  const remove = pipeline ? el("button", { type: "button", id: `${prefix}-delete`, class: "danger" }, t("settings:pipelines.delete")) : null;
  const form = el("form", { id: `${prefix}-form`, class: "pipeline-form", novalidate: true, "data-pipeline": pipeline?.id ?? "" },
    nameField.node, el("p", { class: "muted" }, t("settings:pipelines.stagesNote")),
    rows, addStage, el("label", {}, isDefault, t("settings:pipelines.isDefault")),
    el("div", { class: "actions" }, row.save, remove, row.notice), row.formError);
  if (!pipeline) row.save.textContent = t("settings:pipelines.addSave");
  lockUnless(writable, [name, isDefault, addStage, row.save, ...(remove ? [remove] : [])]);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, row.formError);
    row.save.disabled = true;
    const body = { name: name.value.trim(), stages: stages.map((s) => ({ ...s, name: s.name.trim() })) };
    try {
      if (pipeline) await patchPipeline(pipeline.id, { ...body, ...(isDefault.checked && !pipeline.is_default ? { is_default: true } : {}) });
      else await createPipeline({ ...body, is_default: isDefault.checked }, key);
      again(t(pipeline ? "settings:pipelines.saved" : "settings:pipelines.added", { name: body.name }));
    } catch (error) {
      showFieldErrors(error, slots, row.formError);
      row.save.disabled = false;
    }
  });
  remove?.addEventListener("click", async () => {
    if (!pipeline) return;
    clearFieldErrors(slots, row.formError);
    try {
      await deletePipeline(pipeline.id);
      again(t("settings:pipelines.deleted", { name: pipeline.name }));
    } catch (error) {
      // A pipeline that holds orders: the API's 409 says so, in its own words.
      showFieldErrors(error, {}, row.formError);
    }
  });
  return form;
}
