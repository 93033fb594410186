// Idempotency keys: one per form, made when the form is, so a double click or a retry after a
// lost answer repeats the same request and the API makes one thing, not two.

export function newKey() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
