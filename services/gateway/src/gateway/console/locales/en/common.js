// Words every screen uses: the bar, the sign-in, problems, the API's names for states, and the
// small shared pieces (api.js, problem.js, conflict.js, field-errors.js, live.js, format.js).

export default {
  bar: {
    brand: "Orders CRM",
    orders: "Orders",
    contacts: "Contacts",
    catalog: "Catalog",
    settings: "Settings",
    signOut: "Sign out",
    language: "Language",
    notJwt: "a token that is not a JWT",
    noScript: "The console needs JavaScript.",
  },
  role: { viewer: "viewer", manager: "manager", owner: "owner" },
  // The API's names for states, statuses and kinds, as the console shows them.
  state: {
  },
  none: "—",
};
