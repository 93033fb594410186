// The console's entry: the screens come in the next steps; for now, the shell the gateway serves.

import { byId, el } from "./dom.js";

byId("view", HTMLElement).replaceChildren(el("h1", {}, "Orders CRM"), el("p", { class: "muted" }, "The console is being set up."));
