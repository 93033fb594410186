// Settings → payment providers (Stripe, WayForPay): the settings shown, the secrets write-only.
// The API names which secrets are stored and never returns one, so a secret's input is always
// empty and says whether one is set; a secret goes out only when one is typed. A provider set up
// before is changed in part (PATCH): only the settings that changed go, so the merchant domain
// changes without the secrets typed again; the first set-up (PUT) needs them all. Only the
// owner sets them (the API refuses anyone else): for the rest the form is read-only.

import { getProvider, patchProvider, putProvider } from "./api.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { field, lockUnless, textInput } from "./fields.js";
import { t } from "./i18n.js";
import { saveRow, section, why } from "./school-settings.js";
import { isOwner } from "./session.js";

/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */
/** @typedef {import("./types.js").ProviderSettingsView} ProviderSettingsView */

/** @typedef {{ name: string, label: string, secret?: boolean }} ProviderField */

/** Each provider's fields, as its settings model in the API document has them. @type {Record<string, { title: string, fields: ProviderField[] }>} */
const PROVIDERS = {
  stripe: { title: "Stripe", fields: [
    { name: "secret_key", label: t("settings:providers.secretKey"), secret: true },
    { name: "webhook_secret", label: t("settings:providers.webhookSecret"), secret: true },
    { name: "success_url", label: t("settings:providers.successUrl") },
    { name: "cancel_url", label: t("settings:providers.cancelUrl") }] },
  wayforpay: { title: "WayForPay", fields: [
    { name: "merchant_account", label: t("settings:providers.merchantAccount") },
    { name: "secret_key", label: t("settings:providers.secretKey"), secret: true },
    { name: "merchant_domain_name", label: t("settings:providers.merchantDomain") },
    { name: "return_url", label: t("settings:providers.returnUrl") }] },
};

export async function providersSection() {
  const holder = section("providers", t("settings:providers.heading"),
    isOwner() ? null : el("p", { class: "muted", id: "providers-owner-only" }, t("settings:providers.ownerOnly")));
  for (const provider of Object.keys(PROVIDERS)) {
    const block = el("div", { class: "provider", id: `provider-${provider}` }, el("p", { class: "muted" }, t("settings:loading")));
    holder.append(block);
    show(block, provider);
  }
  return holder;
}

/** @param {HTMLElement} block @param {string} provider @param {string} [notice] */
async function show(block, provider, notice) {
  try {
    block.replaceChildren(form(await getProvider(provider), block, notice));
  } catch (error) {
    block.replaceChildren(el("h3", {}, PROVIDERS[provider].title), el("p", { class: "problem-inline" }, why(error)));
  }
}

/** @param {ProviderSettingsView} view @param {HTMLElement} block @param {string} [notice] */
function form(view, block, notice) {
  const { title, fields } = PROVIDERS[view.provider];
  const prefix = `provider-${view.provider}`;
  /** @type {Record<string, FieldSlot>} */
  const slots = {};
  /** @type {Record<string, HTMLInputElement>} */
  const inputs = {};
  const nodes = fields.map((f) => {
    const set = view.secrets_set.includes(f.name);
    // A secret's input never holds the stored one: it only says whether one is set.
    const input = f.secret
      ? textInput(`${prefix}-${f.name}`, "", { type: "password", autocomplete: "new-password",
        placeholder: set ? t("settings:providers.replaceSecret") : t("settings:providers.notSet") })
      : textInput(`${prefix}-${f.name}`, view.settings[f.name]);
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

  /** The first set-up: every setting typed, a setting left empty left out (the API's default). */
  function whole() {
    /** @type {Record<string, string>} */
    const body = {};
    for (const f of fields) {
      const value = f.secret ? inputs[f.name].value : inputs[f.name].value.trim();
      if (value) body[f.name] = value;
    }
    return body;
  }

  /** What differs from the stored settings: a secret only when typed, a setting emptied as null. */
  function changes() {
    /** @type {Record<string, string | null>} */
    const body = {};
    for (const f of fields) {
      const value = f.secret ? inputs[f.name].value : inputs[f.name].value.trim();
      if (f.secret) {
        if (value) body[f.name] = value;
      } else if (value !== String(view.settings[f.name] ?? "")) body[f.name] = value || null;
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
      show(block, view.provider, t("settings:saved"));
    } catch (error) {
      showFieldErrors(error, slots, row.formError);
      row.save.disabled = false;
    }
  });
  return node;
}
