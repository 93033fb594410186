// An email on the card: opened as rendered; resent under one Idempotency-Key per delivery until
// it has been resent; a delivery refused for good sent again only when the user confirms.
import { json, problem, settle, signedInAs, stubFetch } from "./stubs.js";

const SENT = { id: "n-new", recipient: "ann@example.com", subject: "Your order", text_body: "Hello <b>Ann</b>", html_body: null };

/** The module fresh, as on a page load (the keys it keeps are the page's). */
async function load() {
  vi.resetModules();
  return import("../../src/gateway/console/email-actions.js");
}

/** The email's actions in the page. @param {(id: string, resent: any) => HTMLElement} emailActions */
function shown(emailActions, id = "n1", resent = vi.fn()) {
  const node = emailActions(id, resent);
  document.body.append(node);
  const button = (/** @type {string} */ name) => /** @type {HTMLButtonElement} */ (node.querySelector(`button.${name}`));
  return { node, resent, button };
}

const resends = (/** @type {import("./stubs.js").Sent[]} */ sent) => sent.filter((r) => r.method === "POST");
const keyOf = (/** @type {import("./stubs.js").Sent} */ request) => request.headers["Idempotency-Key"];

beforeEach(() => {
  document.body.replaceChildren();
  signedInAs("manager");
});
afterEach(() => sessionStorage.clear());

test("a resend posts the delivery's resend with a key, and hands the new delivery on", async () => {
  const { emailActions } = await load();
  const { sent } = stubFetch(() => json(SENT, 201));
  const { button, resent } = shown(emailActions);
  button("email-resend").click();
  await settle();
  expect(resends(sent)).toHaveLength(1);
  expect(resends(sent)[0].url).toBe("/api/v1/notifications/n1/resend");
  expect(keyOf(resends(sent)[0])).toMatch(/^[0-9a-f-]{32,36}$/);
  expect(resent).toHaveBeenCalledWith(SENT);
  expect(button("email-resend").disabled).toBe(true);  // until the card is drawn again
});

test("a resend that failed goes again under the same key, from any of the delivery's buttons or a redraw", async () => {
  const { emailActions } = await load();
  const answers = [problem(503, { title: "Unavailable" }), problem(503, { title: "Unavailable" }), problem(503, { title: "Unavailable" }), json(SENT, 201)];
  const { sent } = stubFetch(() => /** @type {Response} */ (answers.shift()));
  const inHistory = shown(emailActions);
  const inTable = shown(emailActions);
  inHistory.button("email-resend").click();
  await settle();
  expect(inHistory.button("email-resend").disabled).toBe(false);
  expect(inHistory.node.querySelector(".problem-inline")).not.toBeNull();
  inTable.button("email-resend").click();
  await settle();
  const redrawn = shown(emailActions);
  redrawn.button("email-resend").click();
  await settle();
  redrawn.button("email-resend").click();
  await settle();
  const keys = resends(sent).map(keyOf);
  expect(keys).toHaveLength(4);
  expect(new Set(keys).size).toBe(1);
  expect(redrawn.resent).toHaveBeenCalledTimes(1);
});

test("once resent, a later resend is another delivery, under a new key", async () => {
  const { emailActions } = await load();
  const { sent } = stubFetch(() => json(SENT, 201));
  shown(emailActions).button("email-resend").click();
  await settle();
  shown(emailActions).button("email-resend").click();
  await settle();
  const [first, second] = resends(sent).map(keyOf);
  expect(second).not.toBe(first);
});

test("each delivery has its own key", async () => {
  const { emailActions } = await load();
  const { sent } = stubFetch(() => problem(503, { title: "Unavailable" }));
  shown(emailActions, "n1").button("email-resend").click();
  shown(emailActions, "n2").button("email-resend").click();
  await settle();
  const [a, b] = resends(sent);
  expect([a.url, b.url]).toEqual(["/api/v1/notifications/n1/resend", "/api/v1/notifications/n2/resend"]);
  expect(keyOf(a)).not.toBe(keyOf(b));
});

test("an address refused for good asks first; Send anyway goes once with to_refused_address under a key of its own", async () => {
  const { emailActions } = await load();
  const answers = [
    problem(409, { title: "Address refused", detail: "The mail server refused ann@example.com", refusal: { code: 550 } }),
    problem(503, { title: "Unavailable" }),
    problem(409, { title: "Address refused", detail: "The mail server refused ann@example.com", refusal: { code: 550 } }),
    json(SENT, 201),
  ];
  const { sent } = stubFetch(() => /** @type {Response} */ (answers.shift()));
  const { node, button, resent } = shown(emailActions);
  button("email-resend").click();
  await settle();
  expect(resends(sent)).toHaveLength(1);
  expect(resent).not.toHaveBeenCalled();
  const ask = node.querySelector(".email-refused");
  expect(ask?.getAttribute("role")).toBe("alert");
  expect(ask?.textContent).toContain("The mail server refused ann@example.com");
  button("email-resend-anyway").click();
  await settle();
  // It failed (its answer lost, say): resent and confirmed again, it is the same send.
  expect(node.querySelector(".problem-inline")).not.toBeNull();
  button("email-resend").click();
  await settle();
  button("email-resend-anyway").click();
  await settle();
  const [plain, anyway, plainAgain, again] = resends(sent);
  expect(keyOf(plainAgain)).toBe(keyOf(plain));
  expect(plain.url).toBe("/api/v1/notifications/n1/resend");
  expect(anyway.url).toBe("/api/v1/notifications/n1/resend?to_refused_address=true");
  expect(keyOf(anyway)).not.toBe(keyOf(plain));
  expect(keyOf(again)).toBe(keyOf(anyway));
  expect(resent).toHaveBeenCalledTimes(1);
});

test("Don't send sends nothing and takes the question away", async () => {
  const { emailActions } = await load();
  const { sent } = stubFetch(() => problem(409, { title: "Address refused", refusal: { code: 550 } }));
  const { node, button } = shown(emailActions);
  button("email-resend").click();
  await settle();
  button("email-resend-keep").click();
  await settle();
  expect(node.querySelector(".email-refused")).toBeNull();
  expect(resends(sent)).toHaveLength(1);
});

test("a 409 that is not a refusal is said, with nothing to confirm", async () => {
  const { emailActions } = await load();
  stubFetch(() => problem(409, { title: "Conflict", detail: "Still being sent" }));
  const { node, button } = shown(emailActions);
  button("email-resend").click();
  await settle();
  expect(node.querySelector(".email-refused")).toBeNull();
  expect(node.querySelector(".problem-inline")?.textContent).toBe("Still being sent");
});

test("a viewer cannot resend", async () => {
  signedInAs("viewer");
  const { emailActions } = await load();
  expect(shown(emailActions).button("email-resend").disabled).toBe(true);
});

test("opened, the email is shown as it was rendered, as text; opened again, it closes", async () => {
  const { emailActions } = await load();
  const { sent } = stubFetch(() => json(SENT));
  const { node, button } = shown(emailActions);
  const message = /** @type {HTMLElement} */ (node.querySelector(".email-message"));
  expect(message.hidden).toBe(true);
  button("email-open").click();
  await settle();
  expect(sent).toMatchObject([{ method: "GET", url: "/api/v1/notifications/n1" }]);
  expect(message.hidden).toBe(false);
  expect(message.querySelector(".email-subject")?.textContent).toBe("Your order");
  expect(message.querySelector(".email-body")?.textContent).toBe("Hello <b>Ann</b>");
  expect(message.querySelector("b")).toBeNull();
  button("email-open").click();
  await settle();
  expect(message.hidden).toBe(true);
  expect(sent).toHaveLength(1);
});

test("an email that cannot be opened says why and stays closed", async () => {
  const { emailActions } = await load();
  stubFetch(() => problem(404, { title: "Not found", detail: "No such delivery" }));
  const { node, button } = shown(emailActions);
  button("email-open").click();
  await settle();
  expect(/** @type {HTMLElement} */ (node.querySelector(".email-message")).hidden).toBe(true);
  expect(node.querySelector(".problem-inline")?.textContent).toBe("No such delivery");
  expect(button("email-open").disabled).toBe(false);
});
