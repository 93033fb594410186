// Builds elements from data without ever parsing markup: text goes in as text, so nothing an
// order holds (a name, a comment) can become script.

/**
 * @param {string} tag
 * @param {Record<string, string | boolean | undefined | null>} [attributes] `class`, `data-*`, … (false or null: left out)
 * @param {...(Node | string | number | null | undefined)} children
 * @returns {HTMLElement}
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "number" ? String(child) : child);
  }
  return node;
}

/**
 * The element with this id; a page without it is a mistake in index.html, so it throws.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} kind
 * @returns {T}
 */
export function byId(id, kind) {
  const found = document.getElementById(id);
  if (!(found instanceof kind)) throw new Error(`the page has no ${kind.name} #${id}`);
  return found;
}

/** Text a screen reader reads and the screen does not show (a name for a column of buttons). @param {string} text */
export function spoken(text) {
  return el("span", { class: "visually-hidden" }, text);
}

/** @param {Element} node @param {...(Node | string)} children */
export function replace(node, ...children) {
  node.replaceChildren(...children);
}
