// The signed-in user: the token in sessionStorage only, its claims read for display.
import { canWrite, claims, demoOffered, isOwner, signIn, signInAsDemoOwner, signOut, token } from "../../src/gateway/console/session.js";
import { json, jwt, stubFetch } from "./stubs.js";

afterEach(() => {
  sessionStorage.clear();
  localStorage.clear();
});

test("the token is kept in sessionStorage, trimmed, and nowhere else", () => {
  expect(token()).toBeNull();
  signIn("  abc.def.ghi \n");
  expect(token()).toBe("abc.def.ghi");
  expect(localStorage.length).toBe(0);
  signOut();
  expect(token()).toBeNull();
  expect(sessionStorage.length).toBe(0);
});

test("the claims name the school, the user, the role and the expiry", () => {
  signIn(jwt({ account_id: "acc-7", sub: "u-3", role: "manager", exp: 1_800_000_000 }));
  expect(claims()).toEqual({ account: "acc-7", user: "u-3", role: "manager", expires: new Date(1_800_000_000_000) });
});

test("claims in UTF-8 and base64url (- and _) are read", () => {
  // "ї" and "?>" make the payload's base64 hold the characters base64url replaces.
  signIn(jwt({ account_id: "школа-ї", sub: "??>>", role: "owner" }));
  expect(claims()).toMatchObject({ account: "школа-ї", user: "??>>", role: "owner", expires: null });
});

test("a token that is not a JWT has no claims, and may not write", () => {
  signIn("not-a-jwt");
  expect(claims()).toBeNull();
  expect(canWrite()).toBe(false);
  signIn("a.!!!.c");
  expect(claims()).toBeNull();
  signOut();
  expect(claims()).toBeNull();
  expect(canWrite()).toBe(false);
});

test("a viewer may not write; a manager may; only the owner is the owner", () => {
  signIn(jwt({ role: "viewer" }));
  expect([canWrite(), isOwner()]).toEqual([false, false]);
  signIn(jwt({ role: "manager" }));
  expect([canWrite(), isOwner()]).toEqual([true, false]);
  signIn(jwt({ role: "owner" }));
  expect([canWrite(), isOwner()]).toEqual([true, true]);
});

test("the demo owner's token, minted by the local gateway, is kept as the session's", async () => {
  const { sent } = stubFetch(() => json({ token: "demo.token.here" }));
  await signInAsDemoOwner();
  expect(sent).toMatchObject([{ url: "/console/demo/token", method: "POST" }]);
  expect(token()).toBe("demo.token.here");
});

test("a refused demo sign-in keeps no token", async () => {
  stubFetch(() => new Response("", { status: 404 }));
  await expect(signInAsDemoOwner()).rejects.toThrow();
  expect(token()).toBeNull();
});

test("the demo is offered only where the gateway answers for it", async () => {
  stubFetch(() => new Response("", { status: 200 }));
  expect(await demoOffered()).toBe(true);
  stubFetch(() => new Response("", { status: 404 }));
  expect(await demoOffered()).toBe(false);
  stubFetch(() => { throw new TypeError("offline"); });
  expect(await demoOffered()).toBe(false);
});
