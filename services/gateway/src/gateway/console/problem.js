// The one place a refused request is shown: the API's problem title and its detail, as given.

import { byId } from "./dom.js";
import { t } from "./i18n.js";

/** @param {unknown} error */
export function showProblem(error) {
  const banner = byId("problem", HTMLElement);
  const problem = /** @type {{ problem?: { title?: string, detail?: string | null } }} */ (error).problem;
  const title = problem?.title ?? t("common:problem.unknown");
  const detail = problem ? problem.detail : String(error);
  banner.replaceChildren(Object.assign(document.createElement("strong"), { textContent: title }),
    ...(detail ? [" ", detail] : []));
  banner.hidden = false;
}

export function clearProblem() {
  const banner = byId("problem", HTMLElement);
  banner.hidden = true;
  banner.replaceChildren();
}
