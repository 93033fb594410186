// The console's words: the vendored i18next is the locked package's own file, both languages
// have the same words (Ukrainian with its plural forms), and every word the code asks for exists.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import en from "../../src/gateway/console/locales/en/index.js";
import uk from "../../src/gateway/console/locales/uk/index.js";

// Paths from this file's folder (the simulated page's import.meta.url is not a file URL).
const CONSOLE = join(import.meta.dirname, "../../src/gateway/console");
const PLURAL = /_(zero|one|two|few|many|other)$/;

/** @returns {Map<string, string>} "ns:a.b" → words */
function flat(/** @type {Record<string, any>} */ tree, prefix = "") {
  const found = new Map();
  for (const [name, value] of Object.entries(tree)) {
    const key = prefix ? (prefix.includes(":") ? `${prefix}.${name}` : `${prefix}:${name}`) : name;
    if (typeof value === "string") found.set(key, value);
    else for (const [inner, words] of flat(value, key)) found.set(inner, words);
  }
  return found;
}

test("the vendored i18next is the file of the package the lock pins", () => {
  const vendored = readFileSync(join(CONSOLE, "vendor/i18next.js"));
  const locked = readFileSync(join(import.meta.dirname, "../../../../clients/typescript/node_modules/i18next/dist/esm/i18next.js"));
  expect(vendored.equals(locked)).toBe(true);
});

test("English and Ukrainian have the same words", () => {
  const english = new Set([...flat(en).keys()].map((key) => key.replace(PLURAL, "")));
  const ukrainian = new Set([...flat(uk).keys()].map((key) => key.replace(PLURAL, "")));
  expect([...english].filter((key) => !ukrainian.has(key))).toEqual([]);
  expect([...ukrainian].filter((key) => !english.has(key))).toEqual([]);
});

test("a Ukrainian word that counts has the language's one, few and many forms", () => {
  const ukrainian = flat(uk);
  const counted = new Set([...flat(en).keys()].filter((key) => PLURAL.test(key)).map((key) => key.replace(PLURAL, "")));
  const missing = [...counted].flatMap((key) => ["one", "few", "many"].map((form) => `${key}_${form}`))
    .filter((key) => !ukrainian.has(key));
  expect(missing).toEqual([]);
});

test("every word the console's code names exists in English", () => {
  const english = new Set([...flat(en).keys()].map((key) => key.replace(PLURAL, "")));
  const missing = [];
  for (const name of readdirSync(CONSOLE).filter((file) => file.endsWith(".js"))) {
    const source = readFileSync(join(CONSOLE, name), "utf8");
    for (const [, key] of source.matchAll(/\bt\(\s*"([a-z]+:[^"]+)"/g)) {
      if (!english.has(key)) missing.push(`${name}: ${key}`);
    }
  }
  expect(missing).toEqual([]);
});

test("the language comes from the saved choice, then the browser's, then English", async () => {
  localStorage.setItem("console-language", "uk");
  vi.resetModules();
  let i18n = await import("../../src/gateway/console/i18n.js");
  expect(i18n.language()).toBe("uk");
  expect(i18n.t("common:bar.orders")).toBe("Замовлення");
  expect(document.documentElement.lang).toBe("uk");

  localStorage.setItem("console-language", "xx");
  vi.resetModules();
  i18n = await import("../../src/gateway/console/i18n.js");
  expect(i18n.language()).toBe("en");  // happy-dom's browser speaks en-US
  localStorage.clear();
});
