// The signed-in user: the CRM token, kept in sessionStorage only (gone with the tab, never in a
// URL or localStorage), and what its claims say, read here for display alone: the API checks
// the token on every call and refuses what the role may not do.

import { t } from "./i18n.js";

const KEY = "orders-crm-console.token";

/** @typedef {{ account: string, user: string, role: string, expires: Date | null }} Claims */

/** @returns {string | null} */
export function token() {
  return sessionStorage.getItem(KEY);
}

/** @param {string} value */
export function signIn(value) {
  sessionStorage.setItem(KEY, value.trim());
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

/** What the token's payload names; null when it cannot be read as a JWT. @returns {Claims | null} */
export function claims() {
  const value = token();
  const payload = value?.split(".")[1];
  if (!payload) return null;
  try {
    const text = atob(payload.replaceAll("-", "+").replaceAll("_", "/").padEnd(Math.ceil(payload.length / 4) * 4, "="));
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    const data = JSON.parse(new TextDecoder().decode(bytes));
    return {
      account: String(data.account_id ?? ""),
      user: String(data.sub ?? ""),
      role: String(data.role ?? ""),
      expires: typeof data.exp === "number" ? new Date(data.exp * 1000) : null,
    };
  } catch {
    return null;
  }
}

/** A viewer sees everything and changes nothing: the console disables every write control. */
export function canWrite() {
  const role = claims()?.role;
  return role !== undefined && role !== "viewer";
}

/** Whether this gateway offers the demo school's owner (the local stack only). */
export async function demoOffered() {
  try {
    return (await fetch("/console/demo", { credentials: "omit", cache: "no-store" })).ok;
  } catch {
    return false;
  }
}

/** Signs in as the demo school's owner with a short-lived token the local gateway mints. */
export async function signInAsDemoOwner() {
  const response = await fetch("/console/demo/token", { method: "POST", credentials: "omit", cache: "no-store" });
  if (!response.ok) throw new Error(t("common:signIn.demoRefused", { status: response.status }));
  const answer = /** @type {{ token: string }} */ (await response.json());
  signIn(answer.token);
}

/** Only the owner sets the payment providers' credentials (the API refuses anyone else). */
export function isOwner() {
  return claims()?.role === "owner";
}
