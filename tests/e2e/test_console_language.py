"""The console in the language of its user, in a real browser: a browser that speaks Ukrainian
gets the console in Ukrainian (the bar, the sign-in, the orders list with its filters, the API's
names for states, money as Ukrainian writes it, the board, "+ Order", the contacts), English
chosen in the bar switches it and stays chosen after a reload, and the Ukrainian screens have no
serious accessibility violation.
"""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from localstack.browser import console_page

pytestmark = pytest.mark.e2e


@pytest.fixture
def uk_page(browser, stack) -> Iterator[Any]:
    """A browser whose user speaks Ukrainian, and has not chosen a language in the console yet."""
    with console_page(browser, stack["gateway"], locale="uk-UA") as opened:
        yield opened


@pytest.fixture(scope="module")
def priced(api, product) -> dict[str, Any]:
    """A manual order of 1500.00 UAH, not paid, for a contact of its own."""
    run = time.time_ns()
    made = api.post("/orders", headers={"Idempotency-Key": f"language-{run}"}, json={
        "contact": {"name": f"Olena Mova{run}", "email": f"olena-{run}@example.com"},
        "currency": "UAH", "lines": [{"product_id": product["id"], "price": "1500.00"}]})
    assert made.status_code == 201, made.text
    return made.json()


def plain(text: str | None) -> str:
    """Intl's no-break and narrow no-break spaces as plain ones."""
    return (text or "").replace("\u00a0", " ").replace("\u202f", " ")


def hryvnias(text: str | None) -> str:
    """Money as Ukrainian writes it, the sign as the browser's Intl data has it: CLDR gives the
    hryvnia "₴" or "грн" by its version, so either is read as "₴"."""
    return plain(text).replace("грн", "₴")


def sign_in_in_ukrainian(page: Any, where: str = "") -> None:
    from playwright.sync_api import expect

    page.goto(f"/console/{where}")
    page.click("#demo-sign-in")
    expect(page.locator("#role")).to_have_text("власник")


def test_a_ukrainian_browser_gets_the_console_in_ukrainian_and_english_chosen_stays_chosen(uk_page, priced):
    from playwright.sync_api import expect

    page = uk_page
    page.goto("/console/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("#sign-in h1")).to_have_text("Вхід до CRM замовлень")
    expect(page.locator("label[for=token]")).to_have_text("Ваш токен CRM")
    expect(page.locator("#sign-in button[type=submit]")).to_have_text("Увійти")
    expect(page.locator("#demo-sign-in")).to_have_text("Увійти як власник демошколи")
    assert page.title() == "CRM замовлень"

    page.click("#demo-sign-in")
    expect(page.locator("#role")).to_have_text("власник")
    nav = page.locator("#nav a")
    expect(nav).to_have_text(["Замовлення", "Контакти", "Каталог", "Налаштування"])
    expect(page.locator("#sign-out")).to_have_text("Вийти")
    expect(page.locator("#language")).to_have_value("uk")
    expect(page.locator("#language")).to_have_attribute("aria-label", "Мова")

    name = priced["contact"]["name"]
    page.goto(f"/console/#/orders?q={name}")
    expect(page.locator("h1")).to_have_text("Замовлення")
    header = page.locator("#orders thead th")
    expect(header).to_have_text(["Номер", "Створено", "Контакт", "Етап", "Статус оплати", "Сума", "Оплачено"])
    row = page.locator(f"#orders-rows tr[data-number='{priced['number']}']")
    expect(row.locator("td[data-column='payment_status']")).to_have_text("не оплачено")
    assert hryvnias(row.locator("td[data-column='total']").text_content()) == "1 500,00 ₴"
    assert hryvnias(row.locator("td[data-column='paid']").text_content()) == "0,00 ₴"
    expect(page.locator("#orders-count")).to_have_text("Показано 1 замовлення")
    expect(page.locator("#new-order")).to_have_text("+ Замовлення")
    expect(page.locator("#export")).to_have_text("Експорт CSV")
    expect(page.locator("#search")).to_have_attribute("aria-label", "Пошук замовлень")
    expect(page.locator("#search-form button")).to_have_text("Пошук")
    expect(page.locator("#sort option[value='-created_at']")).to_have_text("Спершу нові")
    expect(page.locator("#view-list")).to_have_text("Список")
    expect(page.locator("#view-board")).to_have_text("Дошка")
    expect(page.locator("#columns summary")).to_have_text("Стовпці")

    page.click(".filter-panel summary")
    expect(page.locator(".filter-panel summary")).to_have_text("Фільтри")
    expect(page.locator("label[for='filter-payment_status'] span")).to_have_text("Статус оплати")
    expect(page.locator("label[for='filter-pipeline_id'] span")).to_have_text("Воронка")
    expect(page.locator("label[for='filter-stage_id'] span")).to_have_text("Етап")
    expect(page.locator("label[for='filter-manager'] span")).to_have_text("Менеджер")
    expect(page.locator("#filter-payment_status option[value='partially_paid']")).to_have_text("частково оплачено")
    expect(page.locator("#filter-payment_status option[value='']")).to_have_text("Усі")
    expect(page.locator("#filter-type option[value='renewal']")).to_have_text("продовження")
    expect(page.locator("#filters button[type=submit]")).to_have_text("Застосувати фільтри")
    expect(page.locator("#clear-filters")).to_have_text("Очистити")

    # English, chosen in the bar: the page is drawn again in it, and a reload keeps it.
    page.select_option("#language", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Orders")
    expect(nav).to_have_text(["Orders", "Contacts", "Catalog", "Settings"])
    expect(page.locator("#role")).to_have_text("owner")
    expect(row.locator("td[data-column='payment_status']")).to_have_text("not paid")
    assert plain(row.locator("td[data-column='total']").text_content()) == "UAH 1,500.00"
    expect(page.locator("#orders-count")).to_have_text("1 shown")
    page.reload()
    expect(page.locator("#orders thead th[data-column='payment_status']")).to_have_text("Payment status")
    expect(row.locator("td[data-column='payment_status']")).to_have_text("not paid")
    expect(page.locator("#language")).to_have_value("en")
    assert page.evaluate("localStorage.getItem('console-language')") == "en"

    # And back to Ukrainian the same way.
    page.select_option("#language", "uk")
    expect(page.locator("h1")).to_have_text("Замовлення")


def test_the_board_the_new_order_form_and_the_contacts_speak_ukrainian(uk_page, priced):
    from playwright.sync_api import expect

    page = uk_page
    name = priced["contact"]["name"]
    sign_in_in_ukrainian(page, f"#/orders?view=board&q={name}")
    card = page.locator(f".board-card[data-number='{priced['number']}']")
    expect(card).to_be_visible()
    assert hryvnias(card.locator(".muted").text_content()) == "1 500,00 ₴ · не оплачено"
    expect(card.locator(".move-to option").first).to_have_text("Перемістити до…")
    expect(card.locator(".move-to")).to_have_attribute("aria-label", f"Перемістити №{priced['number']} до…")
    expect(page.locator("#board-pipeline")).to_have_attribute("aria-label", "Воронка")
    expect(page.locator(".toolbar .muted")).to_have_text("Відфільтровано, як у списку")

    page.goto("/console/#/orders/new")
    expect(page.locator("h1")).to_have_text("Нове замовлення")
    expect(page.locator("label[for='order-pipeline']")).to_have_text("Воронка")
    expect(page.locator("label[for='order-stage']")).to_have_text("Етап")
    expect(page.locator("label[for='order-managers']")).to_have_text("Менеджери")
    expect(page.locator("label[for='order-currency']")).to_have_text("Валюта")
    expect(page.locator("label[for='order-comment']")).to_have_text("Внутрішній коментар")
    expect(page.locator("#order-type option[value='regular']")).to_have_text("звичайний")
    expect(page.locator("#contact-find")).to_have_text("Знайти")
    expect(page.locator("label[for='contact-name']")).to_have_text("Ім’я")
    expect(page.locator("#line-0-product option").first).to_have_text("Оберіть продукт")
    expect(page.locator("label[for='line-0-price']")).to_have_text("Ціна")
    expect(page.locator("#add-line")).to_have_text("+ Продукт")
    expect(page.locator("#new-order h2")).to_have_text(["Замовлення", "Контакт", "Продукти", "Платежі"])
    page.click("#add-order-payment")
    expect(page.locator("label[for='payment-0-amount']")).to_have_text("Сума")
    expect(page.locator("label[for='payment-0-due']")).to_have_text("Запланована дата")
    expect(page.locator("#payment-0-method option[value='cash']")).to_have_text("готівка")
    expect(page.locator("#payment-0-method option[value='bank_transfer']")).to_have_text("банківський переказ")
    expect(page.locator("label[for='order-send-link']")).to_have_text("Надіслати посилання на оплату")
    expect(page.locator("#order-save")).to_have_text("Створити замовлення")

    page.goto(f"/console/#/contacts?q={name}")
    expect(page.locator("h1")).to_have_text("Контакти")
    expect(page.locator("#contacts thead th")).to_have_text(["Ім’я", "Email", "Телефон", "Мова"])
    page.click(f"#contacts-rows a:has-text('{name}')")
    expect(page.locator("#contact-title")).to_have_text(name)
    expect(page.locator("#contact-details h2")).to_have_text("Контакт")
    expect(page.locator("label[for='contact-edit-name']")).to_have_text("Ім’я")
    expect(page.locator("label[for='contact-edit-locale']")).to_have_text("Мова")
    expect(page.locator("#contact-edit-locale option[value='uk']")).to_have_text("Українська")
    expect(page.locator("#contact-edit-locale option[value='en']")).to_have_text("Англійська")
    expect(page.locator("#contact-new-order")).to_have_text("+ Замовлення")
    expect(page.locator("#tab-orders")).to_have_text("Замовлення")
    expect(page.locator("#tab-emails")).to_have_text("Листи")
    order_row = page.locator(f"#contact-orders-rows tr[data-number='{priced['number']}']")
    expect(order_row).to_contain_text("не оплачено")
    assert hryvnias(order_row.locator(".amount").text_content()) == "1 500,00 ₴"
    page.click("#contact-save")
    expect(page.locator("#contact-notice")).to_have_text("Нічого не змінено.")


def violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on what the page shows now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} — " + ", ".join(" ".join(n["target"]) for n in v["nodes"])
            for v in found if v["impact"] in ("serious", "critical")]


def test_the_ukrainian_screens_have_no_serious_accessibility_violation(uk_page, priced):
    page = uk_page
    sign_in_in_ukrainian(page)
    failures = []
    for screen, address, ready in [
        ("orders list", f"#/orders?q={priced['contact']['name']}", "#orders-rows tr"),
        ("+ Order", "#/orders/new", "#line-0-product option >> nth=1"),
        ("contact card", f"#/contacts/{priced['contact']['id']}", "#contact-orders-rows tr"),
    ]:
        page.goto(f"/console/{address}")
        page.locator(ready).first.wait_for(state="attached")
        page.wait_for_timeout(300)  # the screen's other requests (choices, emails) answer meanwhile
        found = violations(page)
        if found:
            failures.append(f"{screen} ({address}):\n  " + "\n  ".join(found))
    assert not failures, "serious or critical accessibility violations:\n" + "\n".join(failures)
