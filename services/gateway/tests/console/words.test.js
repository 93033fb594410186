// The words of the API's names and of the languages, in the console's language; every name the
// API document gives a state, a type, a method or an email has words in both languages.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import en from "../../src/gateway/console/locales/en/index.js";
import uk from "../../src/gateway/console/locales/uk/index.js";

async function modulesIn(/** @type {string} */ tag) {
  localStorage.setItem("console-language", tag);
  vi.resetModules();
  const format = await import("../../src/gateway/console/format.js");
  const languages = await import("../../src/gateway/console/languages.js");
  const i18n = await import("../../src/gateway/console/i18n.js");
  localStorage.clear();
  return { ...format, ...languages, ...i18n };
}

/** Every enum of the API document's schemas, as strings. @returns {Set<string>} */
function apiNames() {
  const document = JSON.parse(readFileSync(join(import.meta.dirname, "../../src/gateway/openapi.json"), "utf8"));
  const found = new Set();
  const walk = (/** @type {unknown} */ node) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      const { enum: names } = /** @type {{ enum?: unknown[] }} */ (node);
      if (Array.isArray(names)) for (const name of names) if (typeof name === "string") found.add(name);
      Object.values(node).forEach(walk);
    }
  };
  walk(document.components.schemas);
  return found;
}

// The API's languages (named by languages.js, not as states) and a schema's own plumbing.
const NOT_STATES = new Set(["en", "uk", "ru", "pl", "de", "it", "fr", "ready"]);

test("every name the API document gives a state or a kind has words in English and Ukrainian", () => {
  const missing = [...apiNames()].filter((name) => !NOT_STATES.has(name))
    .filter((name) => !(name in en.common.state) || !(name in uk.common.state));
  expect(missing).toEqual([]);
});

test("English shows an API name as it is spelt, spaced; Ukrainian in words of its own", async () => {
  const english = await modulesIn("en");
  for (const [name, shown] of Object.entries(en.common.state)) expect(shown).toBe(name.replaceAll("_", " "));
  expect(english.words("partially_paid")).toBe("partially paid");
  const ukrainian = await modulesIn("uk");
  expect(ukrainian.words("partially_paid")).toBe("частково оплачено");
  expect(ukrainian.words("paid")).toBe("оплачено");
  expect(ukrainian.words("bank_transfer")).toBe("банківський переказ");
  expect(ukrainian.words("a_name_not_known_yet")).toBe("a name not known yet");
});

test("the languages are named in the console's language", async () => {
  const english = await modulesIn("en");
  expect(english.languageName("uk")).toBe("Ukrainian");
  expect(english.languageName("de")).toBe("German");
  const ukrainian = await modulesIn("uk");
  expect(ukrainian.languageName("uk")).toBe("Українська");
  expect(ukrainian.languageName("en")).toBe("Англійська");
  expect(ukrainian.languageName("pl")).toBe("Польська");
  // Every language the API offers has a name, and a code Intl cannot name is shown as it is.
  for (const code of ukrainian.LANGUAGES) expect(ukrainian.languageName(code)).not.toBe(code);
  expect(ukrainian.languageName("not a tag")).toBe("not a tag");
});

test("a count of orders has the Ukrainian form its number takes", async () => {
  const { t } = await modulesIn("uk");
  expect(t("orders:list.shown", { count: 1, number: "1" })).toBe("Показано 1 замовлення");
  expect(t("orders:list.shown", { count: 3, number: "3" })).toBe("Показано 3 замовлення");
  expect(t("orders:list.shown", { count: 5, number: "5" })).toBe("Показано 5 замовлень");
  expect(t("orders:list.shown", { count: 21, number: "21" })).toBe("Показано 21 замовлення");
  const english = await modulesIn("en");
  expect(english.t("orders:list.shown", { count: 3, number: "3" })).toBe("3 shown");
});
