// A letter shown as its reader sees it, styled, without the console ever parsing its markup:
// the markup is posted into a sandboxed frame and the gateway answers it back as a document of
// its own (/console/letter), under a policy that lets the letter's inline styles and images load
// and nothing else run. An iframe's `srcdoc` would carry the console's own policy into the frame,
// which refuses those styles.

import { el } from "./dom.js";

let frames = 0;

/**
 * A frame that shows `html`, and the hidden form that fills it; the frame loads once the
 * returned node is in the page.
 * @param {string} id @param {string} html @param {string} title what the frame shows, for screen readers
 * @returns {HTMLElement}
 */
export function letterFrame(id, html, title) {
  frames += 1;
  const name = `letter-${frames}`;
  const frame = el("iframe", { id, name, class: "letter-frame", title, sandbox: true, referrerpolicy: "no-referrer" });
  const markup = /** @type {HTMLTextAreaElement} */ (el("textarea", { name: "html" }));
  markup.value = html;
  const form = /** @type {HTMLFormElement} */ (el("form", { method: "post", action: "/console/letter", target: name, hidden: true }, markup));
  const holder = el("div", { class: "letter" }, frame, form);
  // Submitted once the holder is in the document: a form outside it submits nothing.
  queueMicrotask(() => {
    if (form.isConnected) form.submit();
    else new MutationObserver((_, watching) => {
      if (!form.isConnected) return;
      watching.disconnect();
      form.submit();
    }).observe(document, { childList: true, subtree: true });
  });
  return holder;
}
