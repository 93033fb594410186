// Idempotency keys: each one new, and in the form the API takes.
import { newKey } from "../../src/gateway/console/keys.js";

test("every key is a new one", () => {
  const keys = new Set(Array.from({ length: 200 }, () => newKey()));
  expect(keys.size).toBe(200);
});

test("a key is a UUID where the browser makes them", () => {
  expect(newKey()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("without randomUUID (a page not served securely) a key is 16 random bytes in hex", () => {
  vi.stubGlobal("crypto", { getRandomValues: crypto.getRandomValues.bind(crypto) });
  const a = newKey();
  const b = newKey();
  expect(a).toMatch(/^[0-9a-f]{32}$/);
  expect(b).not.toBe(a);
});
