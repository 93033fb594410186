// A product of the catalog, new or edited: its title and kind, and its course structure, modules
// in their order each with its lessons. A module or lesson keeps its id when it is renamed or
// moved, so the access already granted to it stays; a new one goes without an id. A new product
// makes its Idempotency-Key once per form, so a double click makes one product. The API's
// problems go on the input their field names (`modules.0.lessons.1.title`).

import { createProduct, getProduct, patchProduct } from "./api.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { field, lockUnless, textInput } from "./fields.js";
import { words } from "./format.js";
import { t } from "./i18n.js";
import { newKey } from "./keys.js";
import { clearProblem, showProblem } from "./problem.js";
import { saveRow } from "./school-settings.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").ProductCard} ProductCard */
/** @typedef {import("./types.js").ModuleIn} ModuleIn */
/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */

/** @type {ProductCard["kind"][]} */
const KINDS = ["course", "group", "consultation", "other"];

/** @param {HTMLElement} view @param {string | null} id null: a new product @param {{ notice?: string }} [shown] */
export async function renderProduct(view, id, { notice } = {}) {
  const back = el("p", {}, el("a", { href: "#/catalog" }, t("catalog:back")));
  /** @type {ProductCard | null} */
  let product = null;
  if (id) {
    view.replaceChildren(back, el("p", { class: "muted" }, t("catalog:loading")));
    try {
      product = await getProduct(id);
    } catch (error) {
      view.replaceChildren(back);
      showProblem(error);
      return;
    }
  }
  clearProblem();
  const key = newKey();
  const writable = canWrite();
  /** @type {ModuleIn[]} */
  let modules = (product?.modules ?? []).map((m) => ({ id: m.id, title: m.title,
    lessons: (m.lessons ?? []).map((l) => ({ id: l.id, title: l.title })) }));
  const title = textInput("product-title", product?.title ?? "", { maxlength: "300" });
  const kind = /** @type {HTMLSelectElement} */ (el("select", { id: "product-kind" }, ...KINDS.map((k) => el("option", { value: k }, words(k)))));
  kind.value = product?.kind ?? "course";
  const made = { title: field(title, t("catalog:product.title")), kind: field(kind, t("catalog:product.kind")) };
  const list = el("ol", { id: "product-modules", class: "modules" });
  /** @type {Record<string, FieldSlot>} */
  let slots = {};
  const row = saveRow("product");
  if (notice) row.said(notice);

  /** A title input and the place for its error, registered under the API's path. @param {string} path @param {string} domId @param {{ title: string }} item @param {string} label */
  const titled = (path, domId, item, label) => {
    const input = textInput(domId, item.title, { maxlength: "300", "aria-label": label });
    input.addEventListener("input", () => { item.title = input.value; });
    const error = el("p", { class: "field-error", id: `${domId}-error`, hidden: true });
    slots[path] = { input, error };
    return { input, error };
  };
  /** @param {HTMLElement} node @param {...HTMLElement} controls */
  const locked = (node, ...controls) => {
    lockUnless(writable, controls);
    return node;
  };
  const draw = () => {
    slots = { title: made.title.slot, kind: made.kind.slot };
    list.replaceChildren(...modules.map((module, i) => {
      const { input, error } = titled(`modules.${i}.title`, `module-${i}-title`, module, t("catalog:product.module", { number: i + 1 }));
      const remove = el("button", { type: "button", id: `module-${i}-remove` }, t("catalog:product.removeModule"));
      remove.addEventListener("click", () => {
        modules = modules.filter((m) => m !== module);
        draw();
      });
      const addLesson = el("button", { type: "button", id: `module-${i}-add-lesson` }, t("catalog:product.addLesson"));
      addLesson.addEventListener("click", () => {
        (module.lessons ??= []).push({ title: "" });
        draw();
      });
      const lessons = el("ol", { class: "lessons", id: `module-${i}-lessons` }, ...(module.lessons ?? []).map((lesson, j) => {
        const made = titled(`modules.${i}.lessons.${j}.title`, `module-${i}-lesson-${j}-title`, lesson, t("catalog:product.lesson", { number: j + 1 }));
        const drop = el("button", { type: "button", id: `module-${i}-lesson-${j}-remove` }, t("catalog:remove"));
        drop.addEventListener("click", () => {
          module.lessons = (module.lessons ?? []).filter((l) => l !== lesson);
          draw();
        });
        return locked(el("li", { "data-lesson": lesson.id ?? "" }, el("div", { class: "inline-fields" }, made.input, drop), made.error),
          made.input, drop);
      }));
      return locked(el("li", { class: "module", "data-module": module.id ?? "" },
        el("div", { class: "inline-fields" }, input, remove), error, lessons, addLesson), input, remove, addLesson);
    }));
  };
  draw();
  const addModule = el("button", { type: "button", id: "add-module" }, t("catalog:product.addModule"));
  addModule.addEventListener("click", () => {
    modules.push({ title: "", lessons: [] });
    draw();
  });
  if (!product) row.save.textContent = t("catalog:product.addSave");
  const form = el("form", { id: "product-form", class: "product-form", novalidate: true },
    made.title.node, made.kind.node, el("h2", {}, t("catalog:product.structure")), list, addModule, row.node, row.formError);
  lockUnless(writable, [title, kind, addModule, row.save]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, row.formError);
    row.save.disabled = true;
    const body = { title: title.value.trim(), kind: /** @type {ProductCard["kind"]} */ (kind.value),
      modules: modules.map((m) => ({ ...m, title: m.title.trim(), lessons: (m.lessons ?? []).map((l) => ({ ...l, title: l.title.trim() })) })) };
    try {
      const saved = product ? await patchProduct(product.id, body) : await createProduct(body, key);
      if (product) renderProduct(view, saved.id, { notice: t("catalog:saved") });
      else location.hash = `#/catalog/products/${saved.id}`;
    } catch (error) {
      showFieldErrors(error, slots, row.formError);
      row.save.disabled = false;
    }
  });
  view.replaceChildren(back, el("h1", { id: "product-heading" }, product ? product.title : t("catalog:product.new")),
    el("section", { class: "block" }, form));
}
