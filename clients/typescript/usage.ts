// What a front end writes against the generated types: if the document loses a type, this stops
// compiling (`npm run check`). Nothing here runs; it is checked by the TypeScript compiler only.
import type { components, paths } from "./generated/gateway";

type OrderPage = paths["/api/v1/orders"]["get"]["responses"][200]["content"]["application/json"];
type OrderFilters = NonNullable<paths["/api/v1/orders"]["get"]["parameters"]["query"]>;
type NewOrder = paths["/api/v1/orders"]["post"]["requestBody"]["content"]["application/json"];
type OrderCard = components["schemas"]["OrderCard"];
type Problem = components["schemas"]["Problem"];
type PaymentCard = components["schemas"]["PaymentCard"];

export function firstTotal(page: OrderPage): string | undefined {
  // Money is a string at the currency's precision, never a float.
  return page.items[0]?.total;
}

export const unpaidThisMonth: OrderFilters = { payment_status: "not_paid", created_from: "2026-12-01", limit: 50 };

// The enumerated filters are unions of their values: a value the API would refuse does not compile.
// @ts-expect-error "unpaid" is not a payment status (not_paid is)
export const notAStatus: OrderFilters = { payment_status: "unpaid" };
export const biggestGiftsFirst: OrderFilters = { type: "gift", status: "active", source: "page", sort: "-total" };

export const newOrder: NewOrder = {
  currency: "UAH",
  contact: { name: "Anna", email: "anna@example.com" },
  lines: [{ product_id: "0b5c7f1e-2a4d-4c61-9a57-3f0e8e1d2c4b", price: "1500.00" }],
};

export function paidSoFar(card: OrderCard): string {
  return `${card.paid} of ${card.total} ${card.currency}`;
}

export function fieldsToFix(problem: Problem): string[] {
  return (problem.errors ?? []).map((error) => `${error.field}: ${error.message}`);
}

export function isPaid(payment: PaymentCard): boolean {
  return payment.status === "paid";
}
