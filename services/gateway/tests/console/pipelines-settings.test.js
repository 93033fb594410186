// Settings → pipelines: a new pipeline is sent under its form's Idempotency-Key.
import { pipelinesSection } from "../../src/gateway/console/pipelines-settings.js";
import { json, problem, settle, signedInAs, stubFetch } from "./stubs.js";

beforeEach(() => signedInAs("owner"));
afterEach(() => {
  sessionStorage.clear();
  document.body.replaceChildren();
});

const at = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

async function submitNew() {
  at("pipeline-new-form").dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  await settle();
}

test("a new pipeline's form sends one Idempotency-Key, the same on a second submit; the next form another", async () => {
  const posts = [problem(503, { title: "Unavailable" })];
  const { sent } = stubFetch((request) => (request.method === "GET" ? json({ items: [] })
    : /** @type {Response} */ (posts.shift() ?? json({ id: "p1", name: "B2B", is_default: false, stages: [] }, 201))));
  document.body.append(await pipelinesSection());
  at("pipeline-new-name").value = "B2B";
  await submitNew();
  await submitNew();  // the retry after the failure; this one is made, and the list drawn again
  at("pipeline-new-name").value = "B2C";
  await submitNew();
  const keys = sent.filter((r) => r.method === "POST").map((r) => r.headers["Idempotency-Key"]);
  expect(keys).toHaveLength(3);
  expect(keys[0]).toBeTruthy();
  expect(keys[1]).toBe(keys[0]);
  expect(keys[2]).not.toBe(keys[0]);
});
