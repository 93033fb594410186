// A problem's field errors shown on the inputs they name; the rest under the form.
import { ApiError } from "../../src/gateway/console/api.js";
import { clearFieldErrors, showFieldErrors } from "../../src/gateway/console/field-errors.js";

function form() {
  const slot = (/** @type {string} */ name) => ({ input: document.createElement("input"),
    error: Object.assign(document.createElement("p"), { hidden: true }), name });
  const slots = { amount: slot("amount"), "lines.0.price": slot("price"), contact: slot("contact") };
  const formError = Object.assign(document.createElement("p"), { hidden: true });
  return { slots, formError };
}

/** @param {{ field: string, message: string }[]} errors */
const refused = (errors) => new ApiError({ title: "Unprocessable", status: 422, detail: "The request has errors", errors });

test("an error is shown on the input it names, marked invalid", () => {
  const { slots, formError } = form();
  showFieldErrors(refused([{ field: "amount", message: "must be positive" }]), slots, formError);
  expect(slots.amount.error.hidden).toBe(false);
  expect(slots.amount.error.textContent).toBe("must be positive");
  expect(slots.amount.input.getAttribute("aria-invalid")).toBe("true");
  expect(slots.contact.input.hasAttribute("aria-invalid")).toBe(false);
  expect(slots.contact.error.hidden).toBe(true);
  expect(formError.hidden).toBe(true);
});

test("a deeper path goes to the longest part of it a form knows", () => {
  const { slots, formError } = form();
  showFieldErrors(refused([
    { field: "lines.0.price", message: "too many decimals" },
    { field: "contact.email", message: "not an email" },
    { field: "contact.phone.number", message: "not a phone" },
  ]), slots, formError);
  expect(slots["lines.0.price"].error.textContent).toBe("too many decimals");
  expect(slots.contact.error.textContent).toBe("not an email; not a phone");
  expect(formError.hidden).toBe(true);
});

test("what names no input goes under the form with its field, so nothing is hidden", () => {
  const { slots, formError } = form();
  showFieldErrors(refused([{ field: "lines.1.price", message: "bad" }, { field: "currency", message: "unknown" }]), slots, formError);
  expect(formError.hidden).toBe(false);
  expect(formError.textContent).toBe("lines.1.price: bad; currency: unknown");
  expect(Object.values(slots).some((slot) => !slot.error.hidden)).toBe(false);
});

test("a problem without field errors is said under the form", () => {
  const { slots, formError } = form();
  showFieldErrors(new ApiError({ title: "Forbidden", status: 403, detail: "A viewer changes nothing" }), slots, formError);
  expect(formError.hidden).toBe(false);
  expect(formError.textContent).toBe("A viewer changes nothing");
  showFieldErrors(new TypeError("offline"), slots, formError);
  expect(formError.textContent).toBe("offline");
});

test("clearing takes every error away", () => {
  const { slots, formError } = form();
  showFieldErrors(refused([{ field: "amount", message: "x" }, { field: "other", message: "y" }]), slots, formError);
  clearFieldErrors(slots, formError);
  for (const slot of Object.values(slots)) {
    expect(slot.error.hidden).toBe(true);
    expect(slot.error.textContent).toBe("");
    expect(slot.input.hasAttribute("aria-invalid")).toBe(false);
  }
  expect(formError.hidden).toBe(true);
  expect(formError.textContent).toBe("");
});
