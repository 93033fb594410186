// An offer edited: its title and status, each line's price (its access terms kept as they are),
// the discount (an amount or a percent) and the payment plan, saved on the version the page
// showed (If-Match). A change someone made meanwhile is the API's 409: the page says so and
// offers the fresh offer, never retrying (that would overwrite the other change). Amounts go as
// the text typed, never through a float.

import { ApiError, getOffer, patchOffer } from "./api.js";
import { el } from "./dom.js";
import { clearFieldErrors, showFieldErrors } from "./field-errors.js";
import { field, lockUnless, textInput } from "./fields.js";
import { money, words } from "./format.js";
import { clearProblem, showProblem } from "./problem.js";
import { saveRow } from "./school-settings.js";
import { canWrite } from "./session.js";

/** @typedef {import("./types.js").OfferCard} OfferCard */
/** @typedef {import("./types.js").PlanPaymentIn} PlanPaymentIn */
/** @typedef {import("./field-errors.js").FieldSlot} FieldSlot */

export const OFFER_CONFLICT_TEXT = "Someone changed this offer; reload";

/** @param {HTMLElement} view @param {string} id @param {{ notice?: string }} [shown] */
export async function renderOffer(view, id, { notice } = {}) {
  const back = el("p", {}, el("a", { href: "#/catalog" }, "← Catalog"));
  view.replaceChildren(back, el("p", { class: "muted" }, "Loading…"));
  let offer;
  try {
    offer = await getOffer(id);
  } catch (error) {
    view.replaceChildren(back);
    showProblem(error);
    return;
  }
  clearProblem();
  const found = offer;
  const writable = canWrite();
  const title = textInput("offer-title", found.title, { maxlength: "300" });
  const status = /** @type {HTMLSelectElement} */ (el("select", { id: "offer-status" },
    ...["active", "archived"].map((s) => el("option", { value: s }, words(s)))));
  status.value = found.status;
  const prices = found.items.map((line, i) => textInput(`offer-line-${i}-price`, line.price, { inputmode: "decimal" }));
  const discountKind = /** @type {HTMLSelectElement} */ (el("select", { id: "offer-discount-kind" },
    el("option", { value: "amount" }, "amount off"), el("option", { value: "percent" }, "percent")));
  discountKind.value = found.discount_rule.kind;
  const discountValue = textInput("offer-discount", found.discount_rule.value, { inputmode: "decimal" });
  const plan = found.payment_plan.map((p, i) => ({ p, amount: textInput(`offer-plan-${i}-amount`, p.amount, { inputmode: "decimal" }) }));
  /** @type {Record<string, FieldSlot>} */
  const slots = {};
  /** @type {Record<string, ReturnType<typeof field>>} */
  const made = {
    title: field(title, "Title"), status: field(status, "Status"),
    ...Object.fromEntries(prices.map((input, i) => [`items.${i}`, field(input, `${found.items[i].product_title}: price (${found.currency})`)])),
    discount: field(discountValue, "Discount"),
    ...Object.fromEntries(plan.map(({ p, amount }, i) => [`payment_plan.${i}`,
      field(amount, `Payment ${i + 1} (${words(p.type)}${p.due_at ? `, due ${new Date(p.due_at).toLocaleDateString()}` : ", at once"})`)])),
  };
  for (const [path, m] of Object.entries(made)) slots[path] = m.slot;
  const row = saveRow("offer");
  if (notice) row.said(notice);
  const conflict = el("div", { id: "offer-conflict", hidden: true });
  const form = el("form", { id: "offer-form", class: "edit-form", novalidate: true },
    made.title.node, made.status.node, ...prices.map((_, i) => made[`items.${i}`].node),
    el("div", { class: "inline-fields" }, discountKind, made.discount.node),
    ...plan.map((_, i) => made[`payment_plan.${i}`].node),
    row.node, row.formError, conflict);
  lockUnless(writable, [title, status, ...prices, discountKind, discountValue, ...plan.map((x) => x.amount), row.save]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(slots, row.formError);
    conflict.hidden = true;
    row.save.disabled = true;
    try {
      await patchOffer(found.id, found.version, {
        title: title.value.trim(), status: /** @type {OfferCard["status"]} */ (status.value),
        items: found.items.map((line, i) => ({ product_id: line.product_id, price: prices[i].value.trim(), access: line.access })),
        discount: { kind: /** @type {"amount" | "percent"} */ (discountKind.value), value: discountValue.value.trim() || "0" },
        ...(plan.length > 1 ? { payment_plan: plan.map(({ p, amount }) => /** @type {PlanPaymentIn} */ ({
          type: p.type, amount: amount.value.trim(), due_at: p.due_at, closes_access: p.closes_access })) } : {}),
      });
      renderOffer(view, found.id, { notice: "Saved." });
    } catch (error) {
      row.save.disabled = false;
      if (error instanceof ApiError && error.status === 409) {
        const reload = el("button", { type: "button", id: "offer-reload" }, "Reload");
        reload.addEventListener("click", () => renderOffer(view, found.id));
        conflict.replaceChildren(el("div", { class: "conflict", role: "alert" },
          el("span", { class: "conflict-text" }, OFFER_CONFLICT_TEXT), " ", reload,
          error.problem.detail ? el("div", { class: "muted conflict-detail" }, error.problem.detail) : null));
        conflict.hidden = false;
      } else showFieldErrors(error, slots, row.formError);
    }
  });
  view.replaceChildren(back, el("h1", { id: "offer-heading" }, found.title),
    el("p", { class: "muted" }, `Version ${found.version} · subtotal ${money(found.subtotal, found.currency)} · discount `,
      money(found.discount, found.currency), " · total ", el("strong", { id: "offer-total" }, money(found.total, found.currency))),
    el("section", { class: "block" }, form));
}
