// The banner a refused request is shown in: the API's title and detail, as text.
import { ApiError } from "../../src/gateway/console/api.js";
import { clearProblem, showProblem } from "../../src/gateway/console/problem.js";

let banner = /** @type {HTMLElement} */ (/** @type {unknown} */ (null));
beforeEach(() => {
  document.body.replaceChildren();
  banner = Object.assign(document.createElement("div"), { id: "problem", hidden: true });
  document.body.append(banner);
});

test("the API's title and detail are shown", () => {
  showProblem(new ApiError({ title: "Order not found", status: 404, detail: "No order 7" }));
  expect(banner.hidden).toBe(false);
  expect(banner.querySelector("strong")?.textContent).toBe("Order not found");
  expect(banner.textContent).toBe("Order not found No order 7");
});

test("a problem without detail shows its title alone", () => {
  showProblem(new ApiError({ title: "Forbidden", status: 403, detail: null }));
  expect(banner.textContent).toBe("Forbidden");
});

test("markup in the API's words stays text", () => {
  showProblem(new ApiError({ title: "<img src=x onerror=alert(1)>", status: 422, detail: "<b>bold</b>" }));
  expect(banner.querySelector("img, b")).toBeNull();
  expect(banner.textContent).toContain("<b>bold</b>");
});

test("an error that is not the API's is shown as its own words under a title", () => {
  showProblem(new TypeError("boom"));
  expect(banner.hidden).toBe(false);
  expect(banner.querySelector("strong")?.textContent).toBeTruthy();
  expect(banner.textContent).toContain("TypeError: boom");
});

test("a second problem replaces the first; clearing hides and empties the banner", () => {
  showProblem(new ApiError({ title: "First", status: 400 }));
  showProblem(new ApiError({ title: "Second", status: 400 }));
  expect(banner.textContent).toBe("Second");
  clearProblem();
  expect(banner.hidden).toBe(true);
  expect(banner.childNodes.length).toBe(0);
});

test("a page without the banner is a mistake that throws", () => {
  document.body.replaceChildren();
  expect(() => showProblem(new Error("x"))).toThrow();
});
