// Catalog: the school's products (each a link to its editor, and "+ Product") and its offers
// with their totals (each a link to its editor, and "+ Offer"), as the API lists them.

import { listOffers, listProducts } from "./api.js";
import { el } from "./dom.js";
import { money, words } from "./format.js";
import { clearProblem, showProblem } from "./problem.js";
import { canWrite } from "./session.js";

/** @param {HTMLElement} view */
export async function renderCatalog(view) {
  view.replaceChildren(el("h1", {}, "Catalog"), el("p", { class: "muted" }, "Loading…"));
  let products, offers;
  try {
    [products, offers] = await Promise.all([listProducts(), listOffers()]);
  } catch (error) {
    showProblem(error);
    return;
  }
  clearProblem();
  const add = canWrite()
    ? el("a", { href: "#/catalog/products/new", id: "new-product", class: "button" }, "+ Product")
    : el("button", { type: "button", id: "new-product", disabled: true }, "+ Product");
  const addOffer = canWrite()
    ? el("a", { href: "#/catalog/offers/new", id: "new-offer", class: "button" }, "+ Offer")
    : el("button", { type: "button", id: "new-offer", disabled: true }, "+ Offer");
  view.replaceChildren(
    el("h1", {}, "Catalog"),
    el("section", { class: "block", id: "products" },
      el("div", { class: "toolbar" }, el("h2", {}, "Products"), add),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Title"), el("th", {}, "Kind"), el("th", {}, "Modules"), el("th", {}, "Lessons"))),
        el("tbody", { id: "products-rows" }, ...products.items.map((p) => el("tr", { "data-product": p.id },
          el("td", {}, el("a", { href: `#/catalog/products/${p.id}` }, p.title)),
          el("td", {}, words(p.kind)),
          el("td", {}, p.modules.length),
          el("td", {}, p.modules.reduce((n, m) => n + (m.lessons ?? []).length, 0))))))),
    el("section", { class: "block", id: "offers" }, el("div", { class: "toolbar" }, el("h2", {}, "Offers"), addOffer),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Title"), el("th", {}, "Status"), el("th", {}, "Products"), el("th", {}, "Total"))),
        el("tbody", { id: "offers-rows" }, ...offers.items.map((o) => el("tr", { "data-offer": o.id },
          el("td", {}, el("a", { href: `#/catalog/offers/${o.id}` }, o.title)),
          el("td", {}, words(o.status)),
          el("td", {}, o.items.map((line) => line.product_title).join(", ")),
          el("td", { class: "amount" }, money(o.total, o.currency))))))));
}
