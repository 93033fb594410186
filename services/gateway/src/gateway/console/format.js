// How figures are shown. Money stays the text the API gives (at the currency's precision), with
// its currency: it is never turned into a float, so no cent is ever rounded away on screen.

/**
 * @param {string | null | undefined} amount
 * @param {string} currency
 */
export function money(amount, currency) {
  return amount === null || amount === undefined ? "—" : `${amount} ${currency}`;
}

/** A moment in the browser's own locale and time zone. @param {string | null | undefined} iso */
export function dateTime(iso) {
  return iso ? new Date(iso).toLocaleString() : "—";
}

/** The API's names for states (`partially_paid`) as words. @param {string | null | undefined} name */
export function words(name) {
  return name ? name.replaceAll("_", " ") : "—";
}

/** @param {readonly string[] | null | undefined} items */
export function list(items) {
  return items && items.length ? items.join(", ") : "—";
}
