// The orders list's columns: chosen per user and school, remembered in localStorage.
import { chooseColumns, chosenColumns, COLUMNS } from "../../src/gateway/console/columns.js";

const ANNA = { account: "school-a", user: "anna" };
const ids = (/** @type {{ id: string }[]} */ columns) => columns.map((column) => column.id);
const DEFAULT = ["number", "created_at", "contact", "stage", "payment_status", "total", "paid"];

afterEach(() => localStorage.clear());

test("nothing chosen yet is the default columns, in the list's order", () => {
  expect(ids(chosenColumns(ANNA))).toEqual(DEFAULT);
  expect(ids(chosenColumns(null))).toEqual(DEFAULT);
});

test("a choice is remembered and shown in the list's order, not the order chosen", () => {
  chooseColumns(ANNA, ["tags", "number", "due"]);
  expect(ids(chosenColumns(ANNA))).toEqual(["number", "due", "tags"]);
});

test("a choice is one user's of one school", () => {
  chooseColumns(ANNA, ["email"]);
  expect(ids(chosenColumns({ account: "school-a", user: "boris" }))).toEqual(DEFAULT);
  expect(ids(chosenColumns({ account: "school-b", user: "anna" }))).toEqual(DEFAULT);
  expect(ids(chosenColumns(ANNA))).toEqual(["email"]);
});

test("a column the console no longer has is dropped from a saved choice", () => {
  chooseColumns(ANNA, ["number", "gone_column", "phone"]);
  expect(ids(chosenColumns(ANNA))).toEqual(["number", "phone"]);
});

test("a choice of nothing the console knows is the default", () => {
  chooseColumns(ANNA, ["gone_column"]);
  expect(ids(chosenColumns(ANNA))).toEqual(DEFAULT);
  chooseColumns(ANNA, []);
  expect(ids(chosenColumns(ANNA))).toEqual(DEFAULT);
});

test("an unreadable saved choice is the default", () => {
  chooseColumns(ANNA, ["email"]);
  expect(localStorage.length).toBe(1);
  const saved = /** @type {string} */ (localStorage.key(0));
  for (const junk of ["{not json", '"email"', "[1, 2]", '{"ids": ["email"]}']) {
    localStorage.setItem(saved, junk);
    expect(ids(chosenColumns(ANNA))).toEqual(DEFAULT);
  }
});

test("every column has its own id and draws a cell from an order", () => {
  expect(new Set(ids(COLUMNS)).size).toBe(COLUMNS.length);
  const order = /** @type {any} */ ({
    number: 42, created_at: "2026-12-01T10:00:00Z", contact: { name: "Ann", email: "a@x.test", phone: null },
    pipeline: { name: "Sales" }, stage: { name: "New" }, payment_status: "paid", status: "active", type: "regular",
    source: "page", total: "10.00", paid: "10.00", due: "0.00", currency: "UAH", paid_at: null, managers: [], tags: ["vip"],
  });
  for (const column of COLUMNS) expect(column.cell(order)).toBeTruthy();
  const link = /** @type {HTMLAnchorElement} */ (COLUMNS.find((c) => c.id === "number")?.cell(order));
  expect(link.getAttribute("href")).toBe("#/orders/42");
});
