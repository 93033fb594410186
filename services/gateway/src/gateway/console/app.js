// The console's entry: which screen the address names (#/orders, #/orders/new,
// #/orders/<number>, #/contacts, #/contacts/<id>, #/settings, #/settings/templates and
// #/settings/templates/<template>/<language>, #/catalog, #/catalog/products/new and
// #/catalog/products/<id>, #/catalog/offers/new and #/catalog/offers/<id>), behind the sign-in, and who is signed in and
// the sections, in the bar.

import { renderCatalog } from "./catalog.js";
import { renderContact } from "./contact-card.js";
import { renderContacts } from "./contacts-list.js";
import { byId, el } from "./dom.js";
import { renderNewOrder } from "./new-order.js";
import { refreshAfterWrite, renderCard } from "./order-card.js";
import { renderOrders } from "./orders-list.js";
import { renderOffer } from "./offer-editor.js";
import { renderProduct } from "./product-editor.js";
import { clearProblem } from "./problem.js";
import { renderSettings } from "./settings.js";
import { renderSignIn } from "./sign-in.js";
import { renderTemplate } from "./template-editor.js";
import { renderTemplates } from "./templates-list.js";
import { claims, signOut, token } from "./session.js";
import { CONSOLE_LANGUAGES, chooseLanguage, language, t } from "./i18n.js";

const view = byId("view", HTMLElement);
const who = byId("who", HTMLElement);
const signOutButton = byId("sign-out", HTMLButtonElement);
const nav = byId("nav", HTMLElement);
const languages = byId("language", HTMLSelectElement);

// The page's fixed words (the bar) in the chosen language, and the chooser of languages.
for (const fixed of document.querySelectorAll("[data-words]")) {
  if (fixed instanceof HTMLElement && fixed.dataset.words) fixed.textContent = t(`common:${fixed.dataset.words}`);
}
document.title = t("common:bar.brand");
languages.setAttribute("aria-label", t("common:bar.language"));
languages.replaceChildren(...Object.entries(CONSOLE_LANGUAGES).map(([tag, name]) =>
  el("option", { value: tag, lang: tag, selected: tag === language() }, name)));
languages.addEventListener("change", () => chooseLanguage(languages.value));

signOutButton.addEventListener("click", () => {
  signOut();
  location.hash = "#/orders";
  route();
});

function showWho() {
  const signedIn = claims();
  who.hidden = signOutButton.hidden = !token();
  who.replaceChildren(...(signedIn
    ? [signedIn.user, " ", el("span", { class: `role ${signedIn.role}`, id: "role" }, roleName(signedIn.role))]
    : [t("common:bar.notJwt")]));
}

/** @param {string} role */
function roleName(role) {
  return ["viewer", "manager", "owner"].includes(role) ? t(`common:role.${role}`) : role;
}

function route() {
  clearProblem();
  if (!token()) {
    who.hidden = signOutButton.hidden = nav.hidden = true;
    renderSignIn(view, route);
    return;
  }
  showWho();
  const [path, query = ""] = (location.hash.slice(1) || "/orders").split("?");
  nav.hidden = false;
  const section = path.split("/")[1];
  for (const link of nav.querySelectorAll("a")) link.classList.toggle("current", link.dataset.section === section);
  const card = /^\/orders\/([0-9]+|[0-9a-fA-F-]{36})$/.exec(path);
  const contact = /^\/contacts\/([0-9a-fA-F-]{36})$/.exec(path);
  const product = /^\/catalog\/products\/([0-9a-fA-F-]{36}|new)$/.exec(path);
  const offer = /^\/catalog\/offers\/([0-9a-fA-F-]{36}|new)$/.exec(path);
  const template = /^\/settings\/templates\/([a-z_]+)\/([A-Za-z0-9_-]+)$/.exec(path);
  if (path === "/orders/new") renderNewOrder(view, new URLSearchParams(query).get("contact"));
  else if (path === "/contacts") renderContacts(view, new URLSearchParams(query));
  else if (contact) renderContact(view, contact[1]);
  else if (path === "/settings") renderSettings(view);
  else if (path === "/settings/templates") renderTemplates(view);
  else if (template) renderTemplate(view, template[1], template[2]);
  else if (path === "/catalog") renderCatalog(view);
  else if (offer) renderOffer(view, offer[1] === "new" ? null : offer[1]);
  else if (product) renderProduct(view, product[1] === "new" ? null : product[1]);
  else if (card) {
    // `after=<version>`: a new order with paid payments, whose figures follow through events.
    const after = Number(new URLSearchParams(query).get("after"));
    if (Number.isInteger(after) && after > 0) refreshAfterWrite(view, card[1], after);
    else renderCard(view, card[1]);
  }
  else renderOrders(view, new URLSearchParams(query));
}

window.addEventListener("hashchange", route);
route();
