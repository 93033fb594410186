// Words every screen uses: the bar, the sign-in, problems, the API's names for states, and the
// small shared pieces (api.js, problem.js, conflict.js, field-errors.js, live.js, format.js).

export default {
  bar: {
    brand: "CRM замовлень",
    orders: "Замовлення",
    contacts: "Контакти",
    catalog: "Каталог",
    settings: "Налаштування",
    signOut: "Вийти",
    language: "Мова",
    notJwt: "токен, що не є JWT",
    noScript: "Для консолі потрібен JavaScript.",
  },
  role: { viewer: "глядач", manager: "менеджер", owner: "власник" },
  // The API's names for states, statuses and kinds, as the console shows them.
  state: {
  },
  none: "—",
};
