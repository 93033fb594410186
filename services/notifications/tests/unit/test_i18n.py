"""Translations: every catalog complete against the templates, real plural forms, Babel's formats per locale."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from gettext import c2py
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from notifications.domain.letters import DEFAULT_LOCALE, SUPPORTED_LOCALES, TEMPLATES, Letter
from notifications.rendering import catalog_path, money, moment, render, sample_letters

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "notifications"
TRANSLATED = [loc for loc in SUPPORTED_LOCALES if loc != DEFAULT_LOCALE]
JINJA = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}


def extracted() -> dict[str | tuple[str, ...], object]:
    """The messages the templates and code use, as `pybabel extract -F babel.cfg` finds them."""
    found = extract_from_dir(
        str(PACKAGE),
        method_map=[("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")],
        options_map={"templates/**.html": JINJA, "templates/**.txt": JINJA},
    )
    catalog = Catalog()
    for _file, line, message, _comments, context in found:
        catalog.add(message, locations=[("", line)], context=context)
    return {m.id: m for m in catalog if m.id}


def test_the_templates_use_messages_at_all():
    ids = extracted()
    assert "Hello, %(name)s!" in ids
    assert ("Your order includes %(num)s product:", "Your order includes %(num)s products:") in ids


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated_and_nothing_is_stale(locale):
    with catalog_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale)
    wanted = extracted()
    have = {m.id: m for m in catalog if m.id}
    assert sorted(map(str, set(wanted) - set(have))) == [], "messages missing from the catalog"
    assert sorted(map(str, set(have) - set(wanted))) == [], "messages no template uses any more"
    cldr = Catalog(locale=locale)
    plurals = cldr.num_plurals
    assert catalog.num_plurals == plurals
    # The header's rule is the one gettext applies at run time: it must pick CLDR's form for every number.
    header, expected = c2py(catalog.plural_expr), c2py(cldr.plural_expr)
    assert [n for n in PLURAL_PROBES if header(n) != expected(n)] == [], "Plural-Forms differs from CLDR"
    for message in have.values():
        assert not message.fuzzy, message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(message.id, tuple):
            assert len(strings) == plurals, message.id
        assert all(s.strip() for s in strings), f"untranslated: {message.id}"
        assert all(s != message.id and s not in message.id for s in strings if len(s) > 12), (
            f"left in English: {message.id}"
        )
        # Placeholders, plural forms and format specifiers agree with the English (Babel's checkers).
        assert list(message.check(catalog)) == [], message.id


# Small numbers, the teens and hundreds where Slavic forms turn, and the millions where French and
# Italian take their "many" form.
PLURAL_PROBES = [*range(0, 230), 1000, 1_000_000, 1_000_001, 2_000_000, 21_000_000]


def letter(locale: str, template: str = "payment_link", **over) -> Letter:
    return replace(sample_letters(template, locale)[0], **over)


def test_money_follows_cldr_for_each_locale():
    amount = Decimal("1500.00")
    assert [money(amount, "UAH", locale=loc) for loc in SUPPORTED_LOCALES] == [
        "UAH\xa01,500.00",
        "1\xa0500,00\xa0₴",
        "1\xa0500,00\xa0₴",
        "1\xa0500,00\xa0UAH",
        "1.500,00\xa0UAH",
        "1.500,00\xa0UAH",
        "1\u202f500,00\xa0UAH",
    ]
    assert money(Decimal("1547.36"), "EUR", locale="de") == "1.547,36\xa0€"
    assert money(Decimal("1500"), "JPY", locale="pl") == "1\xa0500\xa0JPY"
    # CLDR's currency spacing: a code beside the digits is set apart, a symbol is not.
    assert [money(amount, code, locale="en") for code in ("PLN", "CHF", "USD", "EUR")] == [
        "PLN\xa01,500.00", "CHF\xa01,500.00", "$1,500.00", "€1,500.00"]


def test_dates_follow_babel_for_each_locale():
    when = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    assert moment(when, locale="uk") == "23 листопада 2026\u202fр., 15:30 UTC"
    assert moment(when, locale="ru") == "23 ноября 2026\u202fг., 15:30 UTC"
    assert moment(when, locale="pl") == "23 listopada 2026 15:30 UTC"
    assert moment(when, locale="fr") == "23 novembre 2026, 15:30 UTC"
    assert moment(when, locale="it") == "23 novembre 2026 15:30 UTC"


PRODUCTS = {
    # locale: {number of products: the heading that must appear}
    "uk": {1: "Ваше замовлення містить 1 продукт:", 3: "Ваше замовлення містить 3 продукти:",
           5: "Ваше замовлення містить 5 продуктів:", 21: "Ваше замовлення містить 21 продукт:",
           11: "Ваше замовлення містить 11 продуктів:"},
    "ru": {1: "Ваш заказ включает 1 продукт:", 2: "Ваш заказ включает 2 продукта:",
           5: "Ваш заказ включает 5 продуктов:", 22: "Ваш заказ включает 22 продукта:"},
    "pl": {1: "Twoje zamówienie obejmuje 1 produkt:", 4: "Twoje zamówienie obejmuje 4 produkty:",
           5: "Twoje zamówienie obejmuje 5 produktów:", 12: "Twoje zamówienie obejmuje 12 produktów:",
           22: "Twoje zamówienie obejmuje 22 produkty:"},
    "de": {1: "Ihre Bestellung umfasst 1 Produkt:", 2: "Ihre Bestellung umfasst 2 Produkte:"},
    "fr": {0: "Votre commande comprend 0 produit\xa0:", 1: "Votre commande comprend 1 produit\xa0:",
           2: "Votre commande comprend 2 produits\xa0:"},
    "it": {1: "Il tuo ordine comprende 1 prodotto:", 2: "Il tuo ordine comprende 2 prodotti:"},
    "en": {1: "Your order includes 1 product:", 2: "Your order includes 2 products:"},
}


@pytest.mark.parametrize("locale, count, heading", [(loc, n, h) for loc, hs in PRODUCTS.items() for n, h in hs.items()])
def test_number_of_products_takes_the_locales_plural_form(locale, count, heading):
    products = tuple(f"Course {i}" for i in range(count))
    rendered = render(letter(locale, products=products))
    assert heading in rendered.text
    assert heading.replace("\xa0", "&nbsp;") in rendered.html or heading in rendered.html


DAYS = {
    "uk": {1: "Термін оплати — через 1 день.", 3: "Термін оплати — через 3 дні.", 5: "Термін оплати — через 5 днів."},
    "ru": {1: "Срок оплаты — через 1 день.", 3: "Срок оплаты — через 3 дня.", 11: "Срок оплаты — через 11 дней."},
    "pl": {1: "Termin płatności upływa za 1 dzień.", 3: "Termin płatności upływa za 3 dni.",
           5: "Termin płatności upływa za 5 dni."},
    "en": {1: "The payment is due in 1 day.", 7: "The payment is due in 7 days."},
    # CLDR's "many": a round million takes "de"/"di" before the noun.
    "fr": {1: "Le paiement est dû dans 1 jour.", 2: "Le paiement est dû dans 2 jours.",
           1_000_000: "Le paiement est dû dans 1000000 de jours."},
    "it": {1: "Il pagamento scade tra 1 giorno.", 3: "Il pagamento scade tra 3 giorni.",
           1_000_000: "Il pagamento scade tra 1000000 di giorni."},
}


@pytest.mark.parametrize("locale, days, sentence", [(loc, n, s) for loc, ds in DAYS.items() for n, s in ds.items()])
def test_days_left_take_the_locales_plural_form(locale, days, sentence):
    rendered = render(letter(locale, days_left=days))
    assert sentence in rendered.text and sentence in rendered.html


def test_payment_link_in_ukrainian_russian_and_polish_word_for_word():
    uk = render(letter("uk"))
    assert uk.subject == "Оплата замовлення №1042 — School"
    assert "До вашого замовлення №1042 у школі «School» додано платіж." in uk.text
    assert "До сплати: 1\xa0500,00\xa0₴" in uk.text
    assert "Будь ласка, оплатіть до 23 листопада 2026\u202fр., 15:30 UTC." in uk.text
    ru = render(letter("ru", template="reminder", overdue=True, days_left=None))
    assert ru.subject == "Просрочена оплата заказа №1042 — School"
    assert "Срок оплаты платежа на сумму 1\xa0500,00\xa0₴ по вашему заказу №1042 в школе «School» истек" in ru.text
    pl = render(letter("pl", template="receipt"))
    assert pl.subject == "Otrzymaliśmy płatność za zamówienie nr 1042 — School"
    assert "Otrzymaliśmy Twoją płatność w wysokości 1\xa0500,00\xa0UAH" in pl.text


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_template_renders_in_every_locale_in_its_own_language(template, locale):
    for sample in sample_letters(template, locale):
        rendered = render(sample)
        assert rendered.subject and rendered.text.strip() and f'<html lang="{locale}">' in rendered.html
        english = render(replace(sample, locale="en"))
        if locale != "en":
            assert rendered.subject != english.subject and rendered.text != english.text
