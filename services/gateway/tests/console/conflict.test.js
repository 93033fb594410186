// A 409 on a versioned write: the console says the order changed and offers a reload.
import { ApiError } from "../../src/gateway/console/api.js";
import { conflictNotice, isConflict } from "../../src/gateway/console/conflict.js";

test("only the API's 409 is a conflict", () => {
  expect(isConflict(new ApiError({ title: "Conflict", status: 409 }))).toBe(true);
  expect(isConflict(new ApiError({ title: "Unprocessable", status: 422 }))).toBe(false);
  expect(isConflict(Object.assign(new Error("x"), { status: 409 }))).toBe(false);
  expect(isConflict(null)).toBe(false);
});

test("the notice is an alert whose button reloads, and never anything on its own", () => {
  const reload = vi.fn();
  const notice = conflictNotice(reload, new ApiError({ title: "Conflict", status: 409, detail: null }));
  expect(notice.getAttribute("role")).toBe("alert");
  expect(notice.querySelector(".conflict-text")?.textContent?.trim()).toBeTruthy();
  expect(reload).not.toHaveBeenCalled();
  const button = /** @type {HTMLButtonElement} */ (notice.querySelector("button.reload"));
  expect(button.type).toBe("button");  // never submits the form it is shown in
  button.click();
  expect(reload).toHaveBeenCalledTimes(1);
});

test("the API's own words are shown under the notice, as text", () => {
  const notice = conflictNotice(() => {}, new ApiError({ title: "Conflict", status: 409, detail: "The order is not <i>cancelled</i>" }));
  expect(notice.querySelector(".conflict-detail")?.textContent).toBe("The order is not <i>cancelled</i>");
  expect(notice.querySelector("i")).toBeNull();
});

test("without the API's words there is no detail line", () => {
  expect(conflictNotice(() => {}).querySelector(".conflict-detail")).toBeNull();
  expect(conflictNotice(() => {}, new Error("x")).querySelector(".conflict-detail")).toBeNull();
});
