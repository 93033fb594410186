// What the console's unit tests share: a stubbed fetch that records each request and answers it,
// the API's answers (JSON, problem details, 304), and a signed-in user's token.

/** @typedef {{ url: string, method: string, headers: Record<string, string>, body: any }} Sent */

/**
 * `fetch` stubbed for the test: every request recorded in `sent` (its body parsed from JSON),
 * each answered by `answer(request)` (a Response, or a promise of one; a throw is a network failure).
 * @param {(request: Sent) => Response | Promise<Response>} answer
 */
export function stubFetch(answer) {
  /** @type {Sent[]} */
  const sent = [];
  const fetch = vi.fn(async (/** @type {string} */ url, /** @type {RequestInit} */ init = {}) => {
    const request = {
      url: String(url),
      method: init.method ?? "GET",
      headers: /** @type {Record<string, string>} */ ({ ...(init.headers ?? {}) }),
      body: typeof init.body === "string" ? JSON.parse(init.body) : init.body,
    };
    sent.push(request);
    return answer(request);
  });
  vi.stubGlobal("fetch", fetch);
  return { sent, fetch };
}

/** A JSON answer. @param {unknown} body @param {number} [status] @param {Record<string, string>} [headers] */
export function json(body, status = 200, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** A refusal with problem details (RFC 9457). @param {number} status @param {Record<string, unknown>} problem */
export function problem(status, problem) {
  return new Response(JSON.stringify({ type: "about:blank", status, ...problem }),
    { status, headers: { "content-type": "application/problem+json" } });
}

/** The answer to a conditional GET whose ETag still names the resource. */
export function notModified() {
  return new Response(null, { status: 304 });
}

/** A token whose payload holds `claims` (the console reads it, never checks it). @param {Record<string, unknown>} claims */
export function jwt(claims) {
  const part = (/** @type {unknown} */ value) => btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(value))))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}.signature`;
}

/** Signs the page in with a token of this role. @param {string} role */
export function signedInAs(role, account = "acc-1", user = "user-1") {
  sessionStorage.setItem("orders-crm-console.token", jwt({ account_id: account, sub: user, role, exp: 4102444800 }));
}

/** Lets every pending promise and microtask settle (answers of a stubbed fetch, their handlers). */
export async function settle() {
  for (let n = 0; n < 10; n += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}
