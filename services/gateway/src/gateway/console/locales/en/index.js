// The console's words in English, one namespace per area (see i18n.js).

import card from "./card.js";
import catalog from "./catalog.js";
import common from "./common.js";
import contacts from "./contacts.js";
import orders from "./orders.js";
import settings from "./settings.js";

export default { card, catalog, common, contacts, orders, settings };
