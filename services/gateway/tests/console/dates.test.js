// Days typed in a date input ↔ the moments the API takes, in the browser's time zone (the tests
// run in Europe/Kyiv, vitest.config.mjs: a zone with summer time, so some days are 23 or 25 hours).
import { dayOf, dayStart } from "../../src/gateway/console/dates.js";

test("the tests run in the zone the config pins", () => {
  expect(Intl.DateTimeFormat().resolvedOptions().timeZone).toMatch(/^Europe\/Ki(e|y)v$/);
});

test("a day goes out as the moment it begins here", () => {
  expect(dayStart("2026-12-24")).toBe("2026-12-23T22:00:00.000Z");  // winter: UTC+2
  expect(dayStart("2026-07-01")).toBe("2026-06-30T21:00:00.000Z");  // summer: UTC+3
});

test("no day is no moment", () => {
  expect(dayStart("")).toBeNull();
  expect(dayOf("")).toBe("");
  expect(dayOf(null)).toBe("");
  expect(dayOf(undefined)).toBe("");
});

test("the day clocks go forward begins at its own midnight, and is 23 hours long", () => {
  const start = dayStart("2026-03-29");
  const next = dayStart("2026-03-30");
  expect(start).toBe("2026-03-28T22:00:00.000Z");
  expect(next).toBe("2026-03-29T21:00:00.000Z");
  expect((Date.parse(next ?? "") - Date.parse(start ?? "")) / 3_600_000).toBe(23);
});

test("the day clocks go back is 25 hours long", () => {
  const start = dayStart("2026-10-25");
  const next = dayStart("2026-10-26");
  expect(start).toBe("2026-10-24T21:00:00.000Z");
  expect((Date.parse(next ?? "") - Date.parse(start ?? "")) / 3_600_000).toBe(25);
});

test("a moment is shown as the day it falls on here, not in UTC", () => {
  expect(dayOf("2026-12-23T22:00:00.000Z")).toBe("2026-12-24");
  expect(dayOf("2026-12-23T21:59:59.999Z")).toBe("2026-12-23");
  expect(dayOf("2026-03-29T20:59:59.999Z")).toBe("2026-03-29");
  expect(dayOf("2026-03-29T21:00:00.000Z")).toBe("2026-03-30");
  expect(dayOf("2026-01-05T10:00:00+05:00")).toBe("2026-01-05");
});

test("every day of a year comes back as itself", () => {
  const wrong = [];
  for (let at = Date.UTC(2026, 0, 1); at < Date.UTC(2027, 0, 1); at += 86_400_000) {
    const day = new Date(at).toISOString().slice(0, 10);
    if (dayOf(dayStart(day)) !== day) wrong.push(day);
  }
  expect(wrong).toEqual([]);
});
