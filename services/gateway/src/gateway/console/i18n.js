// The console's own words, in the language its user chose (English or Ukrainian), through
// i18next (vendor/i18next.js, the locked npm package's browser module, kept as it ships). The
// words live in locales/<language>/<area>.js, one namespace per area of the console
// (`t("common:bar.orders")`); plurals follow the language's own rules (Ukrainian has one,
// few and many), and figures are formatted by the browser's Intl for that language (format.js).
// The choice is kept in localStorage (a preference, not a secret); the first time, the browser's
// own languages decide. A change reloads the page, so every screen is drawn in one language.

import i18next from "./vendor/i18next.js";
import en from "./locales/en/index.js";
import uk from "./locales/uk/index.js";

/** The languages the console speaks, each named in itself (for the chooser). */
export const CONSOLE_LANGUAGES = /** @type {const} */ ({ en: "English", uk: "Українська" });
const KEY = "console-language";

/** @returns {keyof typeof CONSOLE_LANGUAGES} */
function chosen() {
  const saved = localStorage.getItem(KEY);
  if (saved && saved in CONSOLE_LANGUAGES) return /** @type {keyof typeof CONSOLE_LANGUAGES} */ (saved);
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split("-")[0];
    if (base in CONSOLE_LANGUAGES) return /** @type {keyof typeof CONSOLE_LANGUAGES} */ (base);
  }
  return "en";
}

await i18next.init({
  lng: chosen(),
  fallbackLng: "en",
  supportedLngs: Object.keys(CONSOLE_LANGUAGES),
  ns: Object.keys(en),
  defaultNS: "common",
  resources: { en, uk },
  // Elements are built with textContent, never from markup, so nothing needs escaping here.
  interpolation: { escapeValue: false },
  returnNull: false,
});
document.documentElement.lang = i18next.language;

/**
 * The words for a key in the chosen language (English where a word is missing).
 * @param {string} key
 * @param {Record<string, unknown>} [values] what the words name ({{name}}), `count` for plurals
 * @returns {string}
 */
export function t(key, values = {}) {
  return /** @type {string} */ (i18next.t(key, values));
}

/** Whether the catalogs have words for a key (an API name the console may not know). @param {string} key */
export function known(key) {
  return i18next.exists(key);
}

/** The chosen language's tag, for Intl. */
export function language() {
  return i18next.language;
}

/** Keeps another language and draws the console again in it. @param {string} tag */
export function chooseLanguage(tag) {
  if (!(tag in CONSOLE_LANGUAGES) || tag === i18next.language) return;
  localStorage.setItem(KEY, tag);
  location.reload();
}
