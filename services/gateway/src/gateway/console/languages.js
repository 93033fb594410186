// The languages the school's emails and pages are written in (the API's own list), offered
// wherever a language is chosen: a contact's, the school's default.

export const LANGUAGES = ["en", "uk", "ru", "pl", "de", "it", "fr"];
