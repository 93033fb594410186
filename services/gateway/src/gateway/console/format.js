// How figures are shown, in the console's language (i18n.js) by the browser's Intl. Money is the
// text the API gives (a decimal string at the currency's precision), formatted as that decimal
// string: it is never turned into a float, so no cent is ever rounded away on screen.

import { known, language, t } from "./i18n.js";

/**
 * "1500.00", "UAH" → "UAH 1,500.00" in English, "1 500,00 грн" in Ukrainian.
 * @param {string | null | undefined} amount
 * @param {string} currency
 */
export function money(amount, currency) {
  if (amount === null || amount === undefined) return t("common:none");
  const decimals = (amount.split(".")[1] ?? "").length;
  try {
    return new Intl.NumberFormat(language(), {
      style: "currency", currency, minimumFractionDigits: decimals, maximumFractionDigits: decimals,
    // Intl formats a numeric string as the exact decimal it spells (no float in between).
    }).format(/** @type {any} */ (amount));
  } catch {
    return `${amount} ${currency}`;  // a currency code Intl does not know
  }
}

/** A moment in the console's language and the browser's time zone. @param {string | null | undefined} iso */
export function dateTime(iso) {
  return iso ? new Intl.DateTimeFormat(language(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso))
    : t("common:none");
}

/**
 * The API's names for states (`partially_paid`) as words of the console's language; a name the
 * catalogs do not have yet is shown as it is, spaced.
 * @param {string | null | undefined} name
 */
export function words(name) {
  if (!name) return t("common:none");
  return known(`common:state.${name}`) ? t(`common:state.${name}`) : name.replaceAll("_", " ");
}

/** @param {readonly string[] | null | undefined} items */
export function list(items) {
  return items && items.length ? items.join(", ") : t("common:none");
}
