// Catalog: the school's products (each a link to its editor, and "+ Product") and its offers
// with their totals (each a link to its editor, and "+ Offer"), as the API lists them.

import { listOffers, listProducts } from "./api.js";
import { el } from "./dom.js";
import { money, words } from "./format.js";
import { language, t } from "./i18n.js";
import { clearProblem, showProblem } from "./problem.js";
import { canWrite } from "./session.js";

/** A count in the console's language. @param {number} n */
const count = (n) => new Intl.NumberFormat(language()).format(n);

/** @param {HTMLElement} view */
export async function renderCatalog(view) {
  view.replaceChildren(el("h1", {}, t("catalog:heading")), el("p", { class: "muted" }, t("catalog:loading")));
  let products, offers;
  try {
    [products, offers] = await Promise.all([listProducts(), listOffers()]);
  } catch (error) {
    showProblem(error);
    return;
  }
  clearProblem();
  const add = canWrite()
    ? el("a", { href: "#/catalog/products/new", id: "new-product", class: "button" }, t("catalog:products.add"))
    : el("button", { type: "button", id: "new-product", disabled: true }, t("catalog:products.add"));
  const addOffer = canWrite()
    ? el("a", { href: "#/catalog/offers/new", id: "new-offer", class: "button" }, t("catalog:offers.add"))
    : el("button", { type: "button", id: "new-offer", disabled: true }, t("catalog:offers.add"));
  view.replaceChildren(
    el("h1", {}, t("catalog:heading")),
    el("section", { class: "block", id: "products" },
      el("div", { class: "toolbar" }, el("h2", {}, t("catalog:products.heading")), add),
      el("table", {}, el("thead", {}, el("tr", {}, ...["title", "kind", "modules", "lessons"].map((h) => el("th", {}, t(`catalog:products.${h}`))))),
        el("tbody", { id: "products-rows" }, ...products.items.map((p) => el("tr", { "data-product": p.id },
          el("td", {}, el("a", { href: `#/catalog/products/${p.id}` }, p.title)),
          el("td", {}, words(p.kind)),
          el("td", {}, count(p.modules.length)),
          el("td", {}, count(p.modules.reduce((n, m) => n + (m.lessons ?? []).length, 0)))))))),
    el("section", { class: "block", id: "offers" }, el("div", { class: "toolbar" }, el("h2", {}, t("catalog:offers.heading")), addOffer),
      el("table", {}, el("thead", {}, el("tr", {}, ...["title", "status", "products", "total"].map((h) => el("th", {}, t(`catalog:offers.${h}`))))),
        el("tbody", { id: "offers-rows" }, ...offers.items.map((o) => el("tr", { "data-offer": o.id },
          el("td", {}, el("a", { href: `#/catalog/offers/${o.id}` }, o.title)),
          el("td", {}, words(o.status)),
          el("td", {}, o.items.map((line) => line.product_title).join(", ")),
          el("td", { class: "amount" }, money(o.total, o.currency))))))));
}
