"""The order card, the settings, the catalog's editors and a template's editor in Ukrainian, in a
real browser whose own language is Ukrainian (the console's first language then, with nothing
chosen): their words, money as Ukrainian writes it ("1 500,00 грн", or "₴" where the browser's Intl
signs the hryvnia so) and dates with Ukrainian months; and a payment marked paid with a comment
from the Ukrainian card, as from the English one.
"""

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from localstack.browser import console_page

pytestmark = pytest.mark.e2e

# Intl's Ukrainian months, as a medium date abbreviates them and a long one spells them.
UK_MONTH = re.compile(r"\b(січ|лют|бер|квіт|трав|черв|лип|серп|вер|жовт|лист|груд)[а-яіїє]*\.? \d{4} р\.")


# 1500.00 UAH as Ukrainian writes it: spaces between thousands, a decimal comma, the hryvnia after.
HRYVNIAS_1500 = re.compile(r"1 500,00 (грн\.?|₴)")


def plain(text: str) -> str:
    """Intl's no-break spaces (between thousands, before the currency sign) as plain spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


@pytest.fixture
def uk_page(browser, stack) -> Iterator[Any]:
    with console_page(browser, stack["gateway"], locale="uk-UA") as opened:
        yield opened


def sign_in_in_ukrainian(page: Any, where: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"/console/{where}")
    page.click("#demo-sign-in")
    expect(page.locator("#role")).to_have_text("власник")


@pytest.fixture
def hryvnia_order(api, product, eventually) -> dict[str, Any]:
    """An order of 1500.00 UAH with one unpaid payment of it, which payments already holds."""
    run = time.time_ns()
    due = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    made = api.post("/orders", headers={"Idempotency-Key": f"uk-card-{run}"}, json={
        "contact": {"name": f"Оксана Мова{run}", "email": f"oksana-{run}@example.com"},
        "currency": "UAH", "lines": [{"product_id": product["id"], "price": "1500.00"}],
        "payments": [{"amount": "1500.00", "due_at": due}]})
    assert made.status_code == 201, made.text
    card = made.json()

    def payment_known() -> bool:
        """payments holds the order's unpaid payment"""
        got = api.get(f"/orders/{card['number']}/payments")
        return got.status_code == 200 and any(p["status"] == "unpaid" for p in got.json()["items"])

    eventually(payment_known)
    return card


def test_the_card_speaks_ukrainian_and_marks_a_payment_paid(uk_page, api, hryvnia_order, eventually):
    from playwright.sync_api import expect

    page = uk_page
    number = hryvnia_order["number"]
    sign_in_in_ukrainian(page, f"#/orders/{number}")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("#card-number")).to_have_text(f"Замовлення №{number}")
    expect(page.locator("#card-header")).to_contain_text("Воронка")
    expect(page.locator("#card-header")).to_contain_text("Внутрішній коментар")
    # Money as Ukrainian writes it, dates with Ukrainian months.
    assert HRYVNIAS_1500.fullmatch(plain(page.locator("#card-total").inner_text()))
    assert HRYVNIAS_1500.fullmatch(plain(page.locator("#card-due").inner_text()))
    assert UK_MONTH.search(page.locator("#card-header").inner_text())

    payments = page.locator("#payments")
    expect(payments.locator("h2")).to_have_text("Оплати")
    expect(payments.locator("thead")).to_contain_text("Дата й час")
    row = payments.locator("tr[data-status='unpaid']")
    assert HRYVNIAS_1500.fullmatch(plain(row.locator(".amount").inner_text()))
    assert UK_MONTH.search(row.inner_text())
    expect(row.locator(".mark-paid")).to_have_text("Позначити оплаченим")
    expect(row.locator(".send-link")).to_have_text("Надіслати посилання ще раз")
    expect(row.locator(".send-reminder")).to_have_text("Надіслати нагадування")
    expect(row.locator(".change-date")).to_have_text("Змінити дату")
    expect(row.locator(".cancel-payment")).to_have_text("Скасувати оплату")
    expect(payments.locator("#add-payment-panel summary")).to_have_text("Додати оплату")

    # The line's access terms, as the card lists them and as its editor offers them.
    line = page.locator("#lines .line").first
    expect(line).to_contain_text("Доступ")
    expect(line).to_contain_text("Після першої оплати")
    expect(line).to_contain_text("Чекпоінти")
    expect(line).to_contain_text("як у курсі")
    page.click("#card-line-0-edit summary")
    expect(page.locator("#card-line-0-edit summary")).to_have_text("Змінити умови цього продукту")
    terms = page.locator("#card-line-0-terms")
    expect(terms.locator("legend")).to_have_text("Доступ")
    expect(terms).to_contain_text("Початок доступу")
    expect(terms).to_contain_text("Кінець доступу")
    expect(terms).to_contain_text("Затримки відкриття уроків")
    expect(page.locator("#card-line-0-end option[value='never']")).to_have_text("безстроково")
    expect(page.locator("#card-line-0-remove")).to_have_text("Видалити цей продукт")

    history = page.locator("#history")
    expect(history.locator("h2")).to_have_text("Історія")
    expect(history.locator("li").first).to_contain_text(" — ")
    assert UK_MONTH.search(history.locator("li time").first.inner_text())
    expect(page.locator("#edit h2")).to_have_text("Редагування")
    expect(page.locator("#edit-save")).to_have_text("Зберегти")
    expect(page.locator("#cancel-order")).to_have_text("Скасувати замовлення")

    # A write from the Ukrainian card: the payment marked paid with a comment.
    row.locator(".mark-paid").click()
    form = page.locator(".mark-paid-form:visible")
    expect(form.locator("label").first).to_contain_text("Коментар до оплати №")
    form.locator("textarea").fill("Оплата готівкою в офісі")
    form.locator("button[type=submit]").click()
    expect(page.locator("#payments tr[data-status='paid']")).to_have_count(1)
    expect(page.locator("#payments .payment-comment").first).to_have_text("Оплата готівкою в офісі")
    eventually(lambda: HRYVNIAS_1500.fullmatch(plain(page.locator("#card-paid").inner_text())))
    paid = [p for p in api.get(f"/orders/{number}/payments").json()["items"] if p["status"] == "paid"]
    assert [p["comment"] for p in paid] == ["Оплата готівкою в офісі"]


def test_the_settings_the_catalog_and_a_template_speak_ukrainian(uk_page, stack):
    from playwright.sync_api import expect

    page = uk_page
    sign_in_in_ukrainian(page, "#/settings")
    expect(page.locator("h1")).to_have_text("Налаштування")
    expect(page.locator("#school h2")).to_have_text("Школа")
    expect(page.locator("#crm-settings h2")).to_have_text("Налаштування CRM")
    expect(page.locator("#pipelines h2")).to_have_text("Воронки")
    expect(page.locator("#pipeline-0-add-stage")).to_have_text("+ Етап")
    expect(page.locator("#providers h2")).to_have_text("Платіжні системи")
    expect(page.locator("#provider-stripe-form")).to_contain_text("Секретний ключ")
    expect(page.locator("#reminders h2")).to_have_text("Розклад нагадувань")
    expect(page.locator("#to-templates")).to_have_text("Шаблони листів →")
    expect(page.locator("#school-save")).to_have_text("Зберегти")

    page.goto(f"/console/#/catalog/offers/{stack['offer_id']}")
    expect(page.locator("#offer-form")).to_contain_text("Рядки")
    expect(page.locator("#offer-form")).to_contain_text("План оплат")
    expect(page.locator("#offer-form")).to_contain_text("Куратори")
    expect(page.locator("#offer-form legend").filter(has_text="Доступ").first).to_be_visible()
    expect(page.locator("#offer-add-line")).to_have_text("+ Рядок")
    expect(page.locator("#offer-save")).to_have_text("Зберегти")
    total = plain(page.locator("#offer-total").inner_text())
    assert re.fullmatch(r"\d{1,3}( \d{3})*,\d{2} \S+", total), total

    page.goto("/console/#/catalog/products/new")
    expect(page.locator("#product-heading")).to_have_text("Новий продукт")
    expect(page.locator("#add-module")).to_have_text("+ Модуль")
    expect(page.locator("#product-save")).to_have_text("Додати продукт")
    page.click("#add-module")
    expect(page.locator("#module-0-title")).to_have_attribute("aria-label", "Модуль 1")
    expect(page.locator("#module-0-add-lesson")).to_have_text("+ Урок")

    page.goto("/console/#/settings/templates")
    expect(page.locator("h1")).to_have_text("Шаблони листів")
    expect(page.locator("#templates thead")).to_contain_text("Шаблон")
    page.goto("/console/#/settings/templates/payment_link/uk")
    expect(page.locator("#template-edit h2")).to_have_text("Текст листа")
    expect(page.locator("#template-preview h2")).to_have_text("Попередній перегляд")
    expect(page.locator("#template-standard")).to_have_text("Повернути стандартний текст")
    expect(page.locator("label[for='template-subject']")).to_have_text("Тема")
    expect(page.locator("#template-preview-state")).to_have_text("Текст, що використовується, на зразку листа.")
