// The languages the school's emails and pages are written in (the API's own list), offered
// wherever a language is chosen: a contact's, the school's default. Each is named in the
// console's language by the browser's Intl ("Ukrainian" in English, "українська" → "Українська"
// in Ukrainian); a code Intl cannot name is shown as it is.

import { language } from "./i18n.js";

export const LANGUAGES = ["en", "uk", "ru", "pl", "de", "it", "fr"];

/** @type {Intl.DisplayNames | null} */
let names = null;
try {
  names = new Intl.DisplayNames([language()], { type: "language", fallback: "none" });
} catch {
  // a browser without Intl.DisplayNames: the codes are shown
}

/** "uk" → "Ukrainian" (in English), "Українська" (in Ukrainian); a code without a name as it is. @param {string} code */
export function languageName(code) {
  let name;
  try {
    name = names?.of(code);
  } catch {
    name = undefined;  // not a language tag at all
  }
  return name ? name.charAt(0).toLocaleUpperCase(language()) + name.slice(1) : code;
}
