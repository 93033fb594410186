"""The order card's product lines, its emails and the providers form, in a real browser.

A line's title, price and access terms are changed on the card and saved on its version; an
order that came from the demo offer then names the offer's copy made for it ("(Copy system)");
a line is added from the catalog and removed. An email of the history is opened and sent again
once on a double click. A viewer sees all of it with every control disabled. The providers form
changes a setting that is not a secret without the secrets typed again.
"""

import time
import uuid
from typing import Any

import httpx
import pytest
from localstack.browser import live_updates_held, sign_in_as_demo_owner, sign_in_with, token_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def bought(stack, api, eventually) -> dict[str, Any]:
    """An order made by a visitor opening the demo offer, once its payment link was emailed."""
    run = time.time_ns()
    opened = httpx.post(f"{stack['gateway']}/public/v1/offers/{stack['offer_id']}/checkouts", timeout=10,
                        json={"name": f"Vera Card{run}", "email": f"vera-{run}@example.com", "locale": "en"})
    assert opened.status_code == 202, opened.text

    def ready() -> dict[str, Any] | None:
        """the checkout has its order"""
        status = httpx.get(opened.json()["status_url"], timeout=10).json()
        return status if status["status"] == "ready" else None

    number = eventually(ready)["order_number"]

    def emailed() -> list[dict[str, Any]] | None:
        """the payment link's email went out and the order's history has it"""
        history = api.get(f"/orders/{number}/history").json().get("items", [])
        sent = [e for e in history if e["kind"] == "email_sent" and e["details"].get("delivery_id")]
        return sent or None

    sent = eventually(emailed)
    offer = api.get(f"/offers/{stack['offer_id']}").raise_for_status().json()
    return {"number": number, "delivery_id": sent[0]["details"]["delivery_id"], "offer_title": offer["title"],
            "card": api.get(f"/orders/{number}").raise_for_status().json()}


def test_a_lines_terms_are_changed_on_the_card_with_problems_on_their_fields(page, api, order):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/orders/{order['number']}")
    page.click("#card-line-0-edit summary")
    page.fill("#card-line-0-price", "not money")
    page.click("#card-line-0-save")
    expect(page.locator("#card-line-0-price-error")).to_be_visible()
    assert api.get(f"/orders/{order['number']}").json()["version"] == order["version"]

    page.fill("#card-line-0-title", "Evening group")
    page.fill("#card-line-0-price", "777.50")
    page.select_option("#card-line-0-end", "after_period")
    page.fill("#card-line-0-end-count", "6")
    page.uncheck("#card-line-0-comments")
    page.click("#card-line-0-save")
    line = page.locator("#lines article.line").first
    expect(line.locator(".line-title")).to_have_text("Evening group")
    expect(line).to_contain_text("6 months after the start")
    saved = api.get(f"/orders/{order['number']}").json()
    [changed] = saved["lines"]
    assert (changed["product_title"], changed["price"]) == ("Evening group", "777.50")
    assert changed["access"]["end"]["kind"] == "after_period" and changed["access"]["end"]["period"]["count"] == 6
    assert changed["access"]["comments"] is False and changed["access"]["checkpoints"] is True
    assert changed["access"]["start"]["kind"] == order["lines"][0]["access"]["start"]["kind"]
    assert saved["total"] == "777.50"


def test_a_line_changed_meanwhile_says_so_and_saves_nothing(page, api, order):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/orders/{order['number']}")
    page.click("#card-line-0-edit summary")
    with live_updates_held(page):
        changed = api.patch(f"/orders/{order['number']}", headers={"If-Match": f'"{order["version"]}"'},
                            json={"tags": ["changed-elsewhere"]})
        assert changed.status_code == 200, changed.text
        page.fill("#card-line-0-price", "12.00")
        page.click("#card-line-0-save")
        expect(page.locator("#lines .conflict-text")).to_have_text("Someone changed this order; reload")
    assert api.get(f"/orders/{order['number']}").json()["lines"][0]["price"] == order["lines"][0]["price"]
    page.click("#lines .conflict .reload")
    expect(page.locator("#card-header")).to_contain_text("changed-elsewhere")


def test_an_order_from_the_offer_names_the_offer_then_its_copy_system(page, api, bought):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/orders/{bought['number']}")
    applied = page.locator("#lines article.line").first.locator(".offer")
    expect(applied).to_have_text(f"Applied offer: {bought['offer_title']}")
    page.click("#card-line-0-edit summary")
    page.fill("#card-line-0-price", "1.00")
    page.click("#card-line-0-save")
    copy_title = f"{bought['offer_title']} (Copy system)"
    copy = page.locator("#lines article.line").first.locator(".offer a.offer-copy")
    expect(copy).to_have_text(copy_title, timeout=20_000)
    expect(applied).to_contain_text(f"made from {bought['offer_title']}")
    line = api.get(f"/orders/{bought['number']}").json()["lines"][0]
    assert line["offer"]["system_copy"] is True and line["offer"]["title"] == copy_title
    copies = api.get("/offers", params={"include_system_copies": "true"}).json()["items"]
    [made] = [o for o in copies if o["id"] == line["offer"]["id"]]
    assert made["is_system_copy"] and made["title"] == copy_title and made["items"][0]["price"] == "1.00"
    assert copy.get_attribute("href") == f"#/catalog/offers/{made['id']}"


def test_a_line_is_added_from_the_catalog_and_removed(page, api, order, product):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/orders/{order['number']}")
    page.click("#card-new-line-panel summary")
    expect(page.locator(f"#card-new-line-product option[value='{product['id']}']")).to_be_attached()
    page.click("#card-new-line-save")  # no product chosen: the API names the field
    expect(page.locator("#card-new-line-product-error")).to_be_visible()
    page.select_option("#card-new-line-product", product["id"])
    page.fill("#card-new-line-title", "Extra consultation")
    page.fill("#card-new-line-price", "250.00")
    page.click("#card-new-line-save")
    lines = page.locator("#lines article.line")
    expect(lines).to_have_count(2)
    expect(lines.nth(1).locator(".line-title")).to_have_text("Extra consultation")
    saved = api.get(f"/orders/{order['number']}").json()
    assert [(n["product_title"], n["price"]) for n in saved["lines"]][1] == ("Extra consultation", "250.00")

    page.click("#card-line-1-edit summary")
    page.click("#card-line-1-remove")
    expect(lines).to_have_count(1)
    assert [n["id"] for n in api.get(f"/orders/{order['number']}").json()["lines"]] == [order["lines"][0]["id"]]
    # The last line stays: the API's refusal is shown under the line.
    page.click("#card-line-0-edit summary")
    page.click("#card-line-0-remove")
    expect(page.locator("#card-line-0-form-error")).to_contain_text("at least one line")
    expect(lines).to_have_count(1)


def test_an_email_of_the_history_is_opened_and_resent_once_on_a_double_click(page, api, bought, eventually):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/orders/{bought['number']}")
    entry = page.locator(f"#history li[data-kind='email_sent'][data-delivery='{bought['delivery_id']}']")
    entry.locator(".email-open").click()
    original = api.get(f"/notifications/{bought['delivery_id']}").json()
    expect(entry.locator(".email-subject")).to_have_text(original["subject"])
    expect(entry.locator(".email-body")).to_contain_text(original["text_body"].strip().splitlines()[0])
    # The HTML as the contact saw it: styled, in a sandboxed frame, never parsed into the card.
    letter = page.frame_locator(f"#email-letter-{bought['delivery_id']}")
    expect(letter.locator("body")).to_have_css("background-color", "rgb(244, 244, 246)")
    expect(letter.locator("a").first).to_be_visible()

    entry.locator(".email-resend").dblclick()
    expect(page.locator("#history li[data-kind='email_sent']")).to_have_count(2, timeout=20_000)

    def resends() -> list[dict[str, Any]]:
        items = api.get(f"/orders/{bought['number']}/notifications").json()["items"]
        return [m for m in items if m["resend_of"] == bought["delivery_id"]]

    [again] = eventually(resends)
    assert again["status"] == "sent" and again["subject"] == original["subject"]
    time.sleep(1.0)  # a second delivery, had the double click made one, would be there by now
    assert len(resends()) == 1
    expect(page.locator(f"#history li[data-delivery='{again['id']}']")).to_have_count(1)


def test_the_same_email_resent_from_the_history_and_the_emails_table_goes_once(page, api, bought, eventually):
    """Both buttons of one email carry one Idempotency-Key until it has been resent: held until
    both were clicked, the two requests are the same request, and one delivery comes of them."""
    from playwright.sync_api import expect

    def resends() -> list[dict[str, Any]]:
        items = api.get(f"/orders/{bought['number']}/notifications").json()["items"]
        return [m for m in items if m["resend_of"] == bought["delivery_id"]]

    before = len(resends())
    held: list[Any] = []
    page.route("**/api/v1/notifications/*/resend*", lambda route: held.append(route))
    sign_in_as_demo_owner(page, f"#/orders/{bought['number']}")
    buttons = page.locator(f".email-actions[data-delivery='{bought['delivery_id']}'] .email-resend")
    expect(buttons).to_have_count(2)  # the history's entry and the emails table's row
    buttons.nth(0).click()
    buttons.nth(1).click()
    deadline = time.monotonic() + 10
    while len(held) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert len(held) == 2
    assert len({route.request.headers["idempotency-key"] for route in held}) == 1
    for route in held:
        route.continue_()
    eventually(lambda: len(resends()) > before)
    time.sleep(1.0)  # a second delivery, had the two clicks made two, would be there by now
    assert len(resends()) == before + 1


def test_an_email_refused_for_good_is_sent_again_only_once_the_user_confirms(page, api, product, eventually):
    """The local mailbox refuses every address at refused.example.com for good, as a server
    refuses a mailbox that does not exist."""
    from playwright.sync_api import expect

    run = time.time_ns()
    made = api.post("/orders", headers={"Idempotency-Key": f"refused-{run}"}, json={
        "contact": {"name": f"Rex Refused{run}", "email": f"rex-{run}@refused.example.com"},
        "currency": product["currency"], "lines": [{"product_id": product["id"], "price": product["price"]}],
        "send_confirmation": True})
    assert made.status_code == 201, made.text
    number = made.json()["number"]

    def failed() -> list[dict[str, Any]] | None:
        """the confirmation was refused and the order's history says so"""
        history = api.get(f"/orders/{number}/history").json().get("items", [])
        return [e for e in history if e["kind"] == "email_failed" and e["details"].get("delivery_id")] or None

    delivery = eventually(failed)[0]["details"]["delivery_id"]

    def resends() -> list[dict[str, Any]]:
        items = api.get(f"/orders/{number}/notifications").json()["items"]
        return [m for m in items if m["resend_of"] == delivery]

    sign_in_as_demo_owner(page, f"#/orders/{number}")
    entry = page.locator(f"#history li[data-kind='email_failed'][data-delivery='{delivery}']")
    entry.locator(".email-resend").click()
    # The API's 409: the address was refused for good; nothing goes until the user says so.
    expect(entry.locator(".email-refused")).to_be_visible()
    assert resends() == []
    entry.locator(".email-resend-keep").click()
    expect(entry.locator(".email-refused")).to_have_count(0)
    assert resends() == []
    entry.locator(".email-resend").click()
    with page.expect_request(lambda r: r.method == "POST" and "/resend" in r.url) as sent:
        entry.locator(".email-resend-anyway").click()
    assert "to_refused_address=true" in sent.value.url
    expect(entry.locator(".email-resent")).to_be_visible()
    [again] = eventually(resends)
    assert again["recipient"] == f"rex-{run}@refused.example.com"


def test_a_viewer_sees_the_lines_and_emails_and_can_change_none_of_them(page, stack, bought):
    from playwright.sync_api import expect

    sign_in_with(page, token_for(stack["account_id"], "viewer"), f"#/orders/{bought['number']}")
    expect(page.locator("#role")).to_have_text("viewer")
    expect(page.locator("#lines .offer").first).to_contain_text(bought["offer_title"])
    page.click("#card-line-0-edit summary")
    for control in ("#card-line-0-title", "#card-line-0-price", "#card-line-0-start", "#card-line-0-end",
                    "#card-line-0-comments", "#card-line-0-certificate", "#card-line-0-save", "#card-line-0-remove"):
        expect(page.locator(control)).to_be_disabled()
    page.click("#card-new-line-panel summary")
    for control in ("#card-new-line-product", "#card-new-line-price", "#card-new-line-save"):
        expect(page.locator(control)).to_be_disabled()
    entry = page.locator(f"#history li[data-delivery='{bought['delivery_id']}']")
    expect(entry.locator(".email-resend")).to_be_disabled()
    entry.locator(".email-open").click()  # reading is a viewer's
    expect(entry.locator(".email-body")).to_be_visible()

    page.goto("/console/#/settings")
    expect(page.locator("#providers-owner-only")).to_be_visible()
    for control in ("#provider-wayforpay-merchant_domain_name", "#provider-wayforpay-secret_key",
                    "#provider-wayforpay-save"):
        expect(page.locator(control)).to_be_disabled()


def test_the_providers_form_changes_a_setting_without_the_secrets(page, stack):
    from playwright.sync_api import expect

    # A school of its own: the demo school must stay without WayForPay for the purchase tests.
    run, school = time.time_ns(), str(uuid.uuid4())
    token = token_for(school, "owner")
    api = httpx.Client(base_url=f"{stack['gateway']}/api/v1", timeout=10, headers={"Authorization": f"Bearer {token}"})
    put = api.put("/providers/wayforpay", json={"merchant_account": f"school_{run}", "secret_key": f"secret-{run}",
                                                "merchant_domain_name": "old.example.org"})
    assert put.status_code == 200, put.text
    sign_in_with(page, token, "#/settings")
    domain = page.locator("#provider-wayforpay-merchant_domain_name")
    expect(domain).to_have_value("old.example.org")
    expect(page.locator("#provider-wayforpay-secret_key")).to_have_value("")
    expect(page.locator("#provider-wayforpay-secret_key-state")).to_have_text("set")
    page.click("#provider-wayforpay-save")  # nothing changed: nothing is sent
    expect(page.locator("#provider-wayforpay-notice")).to_have_text("Nothing to save.")
    domain.fill("new.example.org")
    with page.expect_request(lambda r: r.method == "PATCH" and r.url.endswith("/api/v1/providers/wayforpay")) as sent:
        page.click("#provider-wayforpay-save")
    assert sent.value.post_data_json == {"merchant_domain_name": "new.example.org"}
    expect(page.locator("#provider-wayforpay-notice")).to_have_text("Saved.")
    expect(page.locator("#provider-wayforpay-secret_key-state")).to_have_text("set")
    shown = api.get("/providers/wayforpay").json()
    assert shown["settings"] == {"merchant_account": f"school_{run}", "merchant_domain_name": "new.example.org"}
    assert shown["secrets_set"] == ["secret_key"] and f"secret-{run}" not in str(shown)

    # A secret typed still goes, with nothing else that did not change.
    page.fill("#provider-wayforpay-secret_key", f"rotated-{run}")
    with page.expect_request(lambda r: r.method == "PATCH" and r.url.endswith("/api/v1/providers/wayforpay")) as sent:
        page.click("#provider-wayforpay-save")
    assert sent.value.post_data_json == {"secret_key": f"rotated-{run}"}
    expect(page.locator("#provider-wayforpay-notice")).to_have_text("Saved.")
    expect(page.locator("#provider-wayforpay-secret_key")).to_have_value("")
