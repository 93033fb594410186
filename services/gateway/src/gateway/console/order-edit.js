// Editing the order on its card: stage (within its pipeline), type, managers, tags and the
// team's comment in one form, and cancel / reopen, each saved with PATCH on the version the card
// showed. A 409 keeps what was typed: the fresh card comes back with those inputs still filled in,
// so nothing is lost without the user seeing it.

import { ApiError, patchOrder } from "./api.js";
import { conflictNotice, isConflict } from "./conflict.js";
import { el } from "./dom.js";
import { words } from "./format.js";
import { t } from "./i18n.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").OrderCard} OrderCard */
/** @typedef {import("./types.js").OrderChanges} OrderChanges */
/** @typedef {import("./types.js").PipelineView} PipelineView */
/** @typedef {{ stage_id?: string, type?: string, managers?: string, tags?: string, comment?: string }} Draft */

const VIEWER_NOTE = t("card:viewerNote");
/** @type {NonNullable<OrderChanges["type"]>[]} */
const TYPES = ["regular", "renewal", "upsell", "gift"];

/** "a, b ,, c" → ["a", "b", "c"]: how managers and tags are typed. @param {string} text */
const items = (text) => text.split(",").map((item) => item.trim()).filter(Boolean);

/**
 * @param {OrderCard} card
 * @param {PipelineView | undefined} pipeline the card's pipeline with its stages (undefined: not loaded)
 * @param {{ saved: () => void, reload: (draft: Draft) => void, draft?: Draft }} then
 */
export function editBlock(card, pipeline, then) {
  const writable = canWrite();
  const draft = then.draft ?? {};
  const stages = pipeline?.stages ?? [{ id: card.stage.id, name: card.stage.name }];
  const stage = /** @type {HTMLSelectElement} */ (el("select", { id: "edit-stage", name: "stage_id" },
    ...stages.map((s) => el("option", { value: s.id }, s.name))));
  stage.value = draft.stage_id ?? card.stage.id;
  const type = /** @type {HTMLSelectElement} */ (el("select", { id: "edit-type", name: "type" },
    ...TYPES.map((name) => el("option", { value: name }, words(name)))));
  type.value = draft.type ?? card.type;
  const managers = /** @type {HTMLInputElement} */ (el("input", { id: "edit-managers", name: "managers",
    value: draft.managers ?? card.managers.join(", "), placeholder: t("card:commaSeparated") }));
  const tags = /** @type {HTMLInputElement} */ (el("input", { id: "edit-tags", name: "tags",
    value: draft.tags ?? card.tags.join(", "), placeholder: t("card:commaSeparated") }));
  const comment = /** @type {HTMLTextAreaElement} */ (el("textarea", { id: "edit-comment", name: "comment", rows: "3" }));
  comment.value = draft.comment ?? card.comment ?? "";
  const inputs = { stage_id: stage, type, managers, tags, comment };

  /** @type {Record<string, HTMLElement>} */
  const errors = {};
  const field = (/** @type {keyof typeof inputs} */ name, /** @type {string} */ label) => {
    errors[name] = el("p", { class: "field-error", id: `edit-${name}-error`, hidden: true });
    return el("div", { class: "field" }, el("label", { for: inputs[name].id }, label), inputs[name], errors[name]);
  };
  const save = /** @type {HTMLButtonElement} */ (el("button", { type: "submit", id: "edit-save" }, t("card:save")));
  const cancelled = card.status === "cancelled";
  const status = /** @type {HTMLButtonElement} */ (el("button", { type: "button", id: cancelled ? "reopen-order" : "cancel-order" },
    cancelled ? t("card:edit.reopen") : t("card:edit.cancelOrder")));
  const notice = el("div", { id: "edit-notice" });
  if (Object.keys(draft).length) {
    notice.append(el("p", { class: "muted", id: "draft-kept" }, t("card:edit.draftKept")));
  }
  const form = /** @type {HTMLFormElement} */ (el("form", { id: "order-edit", class: "edit-form" },
    field("stage_id", t("card:edit.stage")), field("type", t("card:edit.type")), field("managers", t("card:edit.managers")),
    field("tags", t("card:edit.tags")), field("comment", t("card:edit.comment")),
    el("div", { class: "actions" }, save, status), notice));
  if (!writable) {
    for (const control of [...Object.values(inputs), save, status]) {
      control.disabled = true;
      control.title = VIEWER_NOTE;
    }
  }

  /** What differs from the card, as the API takes it. */
  function changes() {
    /** @type {OrderChanges} */
    const changed = {};
    if (stage.value !== card.stage.id) changed.stage_id = stage.value;
    const chosen = TYPES.find((name) => name === type.value);
    if (chosen && chosen !== card.type) changed.type = chosen;
    if (items(managers.value).join("\n") !== card.managers.join("\n")) changed.managers = items(managers.value);
    if (items(tags.value).join("\n") !== card.tags.join("\n")) changed.tags = items(tags.value);
    if (comment.value !== (card.comment ?? "")) changed.comment = comment.value;
    return changed;
  }

  /** @returns {Draft} */
  function typed() {
    /** @type {Draft} */
    const kept = {};
    const changed = changes();
    for (const name of /** @type {(keyof typeof inputs)[]} */ (Object.keys(inputs))) {
      if (name in changed) kept[name] = inputs[name].value;
    }
    return kept;
  }

  /** @param {OrderChanges} body @param {HTMLButtonElement} button */
  async function submit(body, button) {
    for (const [name, error] of Object.entries(errors)) {
      error.hidden = true;
      inputs[/** @type {keyof typeof inputs} */ (name)].removeAttribute("aria-invalid");
    }
    notice.replaceChildren();
    button.disabled = true;
    try {
      await patchOrder(card.id, card.version, body);
      then.saved();
    } catch (error) {
      button.disabled = false;
      if (isConflict(error)) {
        notice.replaceChildren(conflictNotice(() => then.reload(typed()), error));
        return;
      }
      showOn(error);
    }
  }

  /** The API's words on the input it names, the rest under the form. @param {unknown} error */
  function showOn(error) {
    const problem = error instanceof ApiError ? error.problem : undefined;
    let placed = false;
    for (const item of problem?.errors ?? []) {
      const name = item.field.split(".")[0];
      const target = errors[name];
      if (target && name in inputs) {
        target.textContent = item.message;
        target.hidden = false;
        inputs[/** @type {keyof typeof inputs} */ (name)].setAttribute("aria-invalid", "true");
        placed = true;
      }
    }
    if (!placed) notice.replaceChildren(el("p", { class: "field-error form-error" }, error instanceof Error ? error.message : String(error)));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = changes();
    if (!Object.keys(body).length) {
      notice.replaceChildren(el("p", { class: "muted" }, t("card:nothingToSave")));
      return;
    }
    submit(body, save);
  });
  status.addEventListener("click", () => submit({ status: cancelled ? "active" : "cancelled" }, status));
  return el("section", { class: "block", id: "edit" }, el("h2", {}, t("card:block.edit")), form);
}
