// Figures in the console's language: money formatted from the API's decimal string, exactly.

async function formatIn(/** @type {string} */ tag) {
  localStorage.setItem("console-language", tag);
  vi.resetModules();
  const format = await import("../../src/gateway/console/format.js");
  localStorage.clear();
  return format;
}

test("money is the API's decimal, formatted for English", async () => {
  const { money: formatted } = await formatIn("en");
  // Intl puts a no-break space between a code and the figure: compared as a plain space.
  const money = (/** @type {string | null} */ amount, /** @type {string} */ currency) =>
    formatted(amount, currency).replace(/\s/g, " ");
  expect(money("1500.00", "UAH")).toBe("UAH 1,500.00");
  expect(money("0.10", "USD")).toBe("$0.10");
  // More digits than a float holds exactly: not one is lost or rounded.
  expect(money("12345678901234567.89", "EUR")).toBe("€12,345,678,901,234,567.89");
  expect(money("1500", "JPY")).toBe("¥1,500");
  expect(money(null, "UAH")).toBe("—");
});

test("money is formatted for Ukrainian", async () => {
  const { money } = await formatIn("uk");
  expect(money("1500.00", "UAH").replace(/\s/g, " ")).toBe("1 500,00 ₴");
});

test("a currency Intl does not know is shown as the API gives it", async () => {
  const { money } = await formatIn("en");
  expect(money("1.00", "X1")).toBe("1.00 X1");
});

test("an API name without words is spaced; one with words is translated", async () => {
  const { words } = await formatIn("uk");
  expect(words("some_new_state")).toBe("some new state");
  expect(words("partially_paid")).toBe("частково оплачено");
  expect(words(null)).toBe("—");
});
