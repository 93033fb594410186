// Settings → payment providers: one form per provider, each built from the API document. The
// body of PUT /providers/{provider} is one settings model per provider the API knows, each naming
// its provider (`x-provider`) and its own name as its title; a model's properties are the form's
// fields (which are required, their patterns and lengths), and those `writeOnly` are its secrets.
// So a provider added to payments needs nothing here: its form comes with its settings model.
// The API names which secrets are stored and never returns one, so a secret's input is always
// empty and says whether one is set; a secret goes out only when one is typed. A provider set up
// before is changed in part (PATCH): only the settings that changed go, so the merchant domain
// changes without the secrets typed again; the first set-up (PUT) needs them all. Only the
// owner sets them (the API refuses anyone else): for the rest the form is read-only.

import { ApiError, apiDocument, getProvider, patchProvider, putProvider } from "./api.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { field, lockUnless, textInput, wholeNumber } from "./fields.js";
import { known, t } from "./i18n.js";
import { saveRow, section, why } from "./school-settings.js";
import { isOwner } from "./session.js";

/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */
/** @typedef {import("./types.js").ProviderSettingsView} ProviderSettingsView */
/** @typedef {import("./api.js").ApiDocument} ApiDocument */
/** @typedef {import("./api.js").JsonSchema} JsonSchema */

/**
 * A setting as the API document has it: `secret` (writeOnly) is never shown back.
 * @typedef {{ name: string, label: string, secret: boolean, required: boolean, type: string,
 *   pattern?: string, maxLength?: number }} ProviderField
 */
/** @typedef {{ name: string, title: string, fields: ProviderField[] }} ProviderForm */

const SETTINGS_PATH = "/api/v1/providers/{provider}";

/** A setting's label: the catalogs' words for its name, else its title in the document. @param {string} name @param {string} [title] */
function labelOf(name, title) {
  const key = `settings:providers.fields.${name}`;
  return known(key) ? t(key) : title || name;
}

/**
 * Every provider whose settings the API takes, with its fields, from the API document.
 * @param {ApiDocument} document @returns {ProviderForm[]}
 */
export function providersOf(document) {
  const schemas = document.components?.schemas ?? {};
  /** A schema with its reference followed (its own words, a title, kept over the referred one's). @param {JsonSchema} [schema] @returns {JsonSchema} */
  const resolved = (schema) => {
    let found = schema ?? {};
    for (let hops = 0; found.$ref && hops < 10; hops += 1) {
      const { $ref, ...own } = found;
      found = { ...(schemas[$ref.split("/").pop() ?? ""] ?? {}), ...own };
    }
    return found;
  };
  const body = document.paths?.[SETTINGS_PATH]?.put?.requestBody?.content?.["application/json"]?.schema;
  return (body?.oneOf ?? []).map(resolved).flatMap((model) => {
    const name = model["x-provider"];
    if (typeof name !== "string") return [];
    const required = new Set(model.required ?? []);
    const fields = Object.entries(model.properties ?? {}).map(([setting, property]) => {
      const prop = resolved(property);
      // An optional setting is its kind or null: the kind holds its rules.
      const kind = resolved((prop.anyOf ?? [prop]).find((option) => resolved(option).type !== "null") ?? prop);
      return { name: setting, label: labelOf(setting, prop.title), secret: prop.writeOnly === true || kind.writeOnly === true,
        required: required.has(setting), type: kind.type ?? "string", pattern: kind.pattern, maxLength: kind.maxLength };
    });
    return [{ name, title: model.title || name, fields }];
  });
}

export async function providersSection() {
  const holder = section("providers", t("settings:providers.heading"),
    isOwner() ? null : el("p", { class: "muted", id: "providers-owner-only" }, t("settings:providers.ownerOnly")));
  let providers;
  try {
    providers = providersOf(await apiDocument());
  } catch (error) {
    holder.append(el("p", { class: "problem-inline", id: "providers-problem" }, why(error)));
    return holder;
  }
  for (const provider of providers) {
    const block = el("div", { class: "provider", id: `provider-${provider.name}` }, el("p", { class: "muted" }, t("settings:loading")));
    holder.append(block);
    show(block, provider);
  }
  return holder;
}

/** @param {HTMLElement} block @param {ProviderForm} provider @param {string} [notice] */
async function show(block, provider, notice) {
  try {
    block.replaceChildren(form(await getProvider(provider.name), provider, block, notice));
  } catch (error) {
    // A provider this deployment does not run (the API knows it, this payments does not): no form.
    if (error instanceof ApiError && error.status === 404) block.remove();
    else block.replaceChildren(el("h3", {}, provider.title), el("p", { class: "problem-inline" }, why(error)));
  }
}

/** @param {ProviderSettingsView} view @param {ProviderForm} provider @param {HTMLElement} block @param {string} [notice] */
function form(view, provider, block, notice) {
  const { title, fields } = provider;
  const prefix = `provider-${provider.name}`;
  /** @type {Record<string, FieldSlot>} */
  const slots = {};
  /** @type {Record<string, HTMLInputElement>} */
  const inputs = {};
  const nodes = fields.map((f) => {
    const set = view.secrets_set.includes(f.name);
    /** @type {Record<string, string>} */
    const rules = {};
    if (f.maxLength !== undefined) rules.maxlength = String(f.maxLength);
    if (f.pattern !== undefined) rules.pattern = f.pattern;
    if (f.type === "integer" || f.type === "number") rules.inputmode = f.type === "integer" ? "numeric" : "decimal";
    // Required until it is stored: a secret set before is kept when its input is left empty.
    if (f.required && !set) {
      rules.required = "";
      rules["aria-required"] = "true";
    }
    // A secret's input never holds the stored one: it only says whether one is set.
    const input = f.secret
      ? textInput(`${prefix}-${f.name}`, "", { ...rules, type: "password", autocomplete: "new-password",
        placeholder: set ? t("settings:providers.replaceSecret") : t("settings:providers.notSet") })
      : textInput(`${prefix}-${f.name}`, view.settings[f.name], rules);
    inputs[f.name] = input;
    const made = field(input, f.label);
    slots[f.name] = made.slot;
    if (f.secret) made.node.append(el("span", { class: "muted secret-state", id: `${prefix}-${f.name}-state` }, set ? t("settings:providers.set") : t("settings:providers.notSet")));
    return made.node;
  });
  const row = saveRow(prefix);
  if (notice) row.said(notice);
  const node = el("form", { id: `${prefix}-form`, class: "edit-form", novalidate: true, autocomplete: "off" },
    el("h3", {}, title, " ", el("span", { class: "muted", id: `${prefix}-configured` }, view.configured ? t("settings:providers.configured") : t("settings:providers.notConfigured"))),
    ...nodes,
    el("p", { class: "muted" }, t("settings:providers.webhookUrl"), el("code", { id: `${prefix}-webhook` }, view.webhook_url)),
    row.node, row.formError);
  lockUnless(isOwner(), [...Object.values(inputs), row.save]);

  /** What is typed in a setting's input: a secret as it is, the rest trimmed. @param {ProviderField} f */
  const typed = (f) => (f.secret ? inputs[f.name].value : inputs[f.name].value.trim());
  /** A typed setting as the API takes it: a number as one (or as typed, for the API to refuse). @param {ProviderField} f @param {string} value */
  const sent = (f, value) => (f.type === "integer" || f.type === "number" ? wholeNumber(value) : value);

  /** The first set-up: every setting typed, a setting left empty left out (the API's default). */
  function whole() {
    /** @type {Record<string, string | number>} */
    const body = {};
    for (const f of fields) {
      const value = typed(f);
      if (value) body[f.name] = sent(f, value);
    }
    return body;
  }

  /** What differs from the stored settings: a secret only when typed, a setting emptied as null. */
  function changes() {
    /** @type {Record<string, string | number | null>} */
    const body = {};
    for (const f of fields) {
      const value = typed(f);
      if (f.secret) {
        if (value) body[f.name] = value;
      } else if (value !== String(view.settings[f.name] ?? "")) body[f.name] = value ? sent(f, value) : null;
    }
    return body;
  }
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, row.formError);
    row.notice.hidden = true;
    const changed = view.configured ? changes() : null;
    if (changed && !Object.keys(changed).length) {
      row.said(t("settings:nothingToSave"));
      return;
    }
    row.save.disabled = true;
    try {
      if (changed) await patchProvider(view.provider, changed);
      else await putProvider(view.provider, whole());
      show(block, provider, t("settings:saved"));
    } catch (error) {
      showFieldErrors(error, slots, row.formError);
      row.save.disabled = false;
    }
  });
  return node;
}
