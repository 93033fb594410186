// The console's entry: which screen the address names (#/orders, #/orders/new,
// #/orders/<number>), behind the sign-in, and who is signed in, in the bar.

import { byId, el } from "./dom.js";
import { renderNewOrder } from "./new-order.js";
import { refreshAfterWrite, renderCard } from "./order-card.js";
import { renderOrders } from "./orders-list.js";
import { clearProblem } from "./problem.js";
import { renderSignIn } from "./sign-in.js";
import { claims, signOut, token } from "./session.js";

const view = byId("view", HTMLElement);
const who = byId("who", HTMLElement);
const signOutButton = byId("sign-out", HTMLButtonElement);

signOutButton.addEventListener("click", () => {
  signOut();
  location.hash = "#/orders";
  route();
});

function showWho() {
  const signedIn = claims();
  who.hidden = signOutButton.hidden = !token();
  who.replaceChildren(...(signedIn
    ? [signedIn.user, " ", el("span", { class: `role ${signedIn.role}`, id: "role" }, signedIn.role)]
    : ["a token that is not a JWT"]));
}

function route() {
  clearProblem();
  if (!token()) {
    who.hidden = signOutButton.hidden = true;
    renderSignIn(view, route);
    return;
  }
  showWho();
  const [path, query = ""] = (location.hash.slice(1) || "/orders").split("?");
  const card = /^\/orders\/([0-9]+|[0-9a-fA-F-]{36})$/.exec(path);
  if (path === "/orders/new") renderNewOrder(view);
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
