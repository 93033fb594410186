// Days typed in a date input are days in the browser's time zone; the API takes moments, so a day
// goes out as the moment it begins there (as the list's date filters do).

/** "2026-12-24" → the ISO moment that day begins here; "" → null. @param {string} day */
export function dayStart(day) {
  if (!day) return null;
  const [year, month, date] = day.split("-").map(Number);
  return new Date(year, month - 1, date).toISOString();
}

/** An ISO moment → the day it falls on here, for a date input. @param {string | null | undefined} iso */
export function dayOf(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}
