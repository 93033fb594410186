"""The console's offers in a real browser: an offer made with its lines and its plan, its lines'
access terms edited and a line removed on its version, all of it read-only for a viewer; and
"+ Order" with a line's whole access terms and a discount. Every result is checked through the API.
"""

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from localstack.browser import shown_money, sign_in_as_demo_owner, sign_in_with, token_for

pytestmark = pytest.mark.e2e


def _course(api: httpx.Client, title: str) -> dict[str, Any]:
    made = api.post("/products", headers={"Idempotency-Key": f"product-{title}"}, json={
        "title": title, "kind": "course", "modules": [
            {"title": "Basics", "lessons": [{"title": "First steps"}, {"title": "Variables"}]},
            {"title": "Practice", "lessons": [{"title": "Drill"}]}]})
    assert made.status_code == 201, made.text
    return made.json()


@pytest.fixture(scope="module")
def courses(api) -> list[dict[str, Any]]:
    """Two products with modules and lessons, for offers of their own."""
    run = time.time_ns()
    return [_course(api, f"Offers course A {run}"), _course(api, f"Offers course B {run}")]


def _lessons(product: dict[str, Any]) -> list[str]:
    return [lesson["id"] for module in product["modules"] for lesson in module["lessons"]]


def test_an_offer_is_made_with_two_lines_and_a_plan_and_a_double_click_makes_one(page, api, product, courses):
    from playwright.sync_api import expect

    run = time.time_ns()
    sign_in_as_demo_owner(page, "#/catalog")
    page.click("#new-offer")
    expect(page.locator("#offer-heading")).to_have_text("New offer")
    page.fill("#offer-title", f"Two courses {run}")
    page.fill("#offer-currency", product["currency"])
    page.select_option("#offer-line-0-product", courses[0]["id"])
    page.fill("#offer-line-0-price", "300.00")
    page.select_option("#offer-line-0-end", "after_period")
    page.fill("#offer-line-0-end-count", "6")
    page.click("#offer-add-line")
    page.select_option("#offer-line-1-product", courses[1]["id"])
    page.fill("#offer-line-1-price", "200.00")
    page.select_option("#offer-line-1-certificate", "on_completion")
    page.select_option("#offer-discount-kind", "amount")
    page.fill("#offer-discount", "50")
    # Two payments: the first becomes the prepayment, the second a surcharge due later.
    page.click("#offer-add-payment")
    page.click("#offer-add-payment")
    expect(page.locator("#offer-plan-0-type")).to_have_value("prepayment")
    expect(page.locator("#offer-plan-1-type")).to_have_value("surcharge")
    page.fill("#offer-plan-0-amount", "150.00")
    page.fill("#offer-plan-1-amount", "300.00")
    page.fill("#offer-plan-1-due", "2027-03-01")
    page.check("#offer-plan-1-closes")
    page.fill("#offer-curators", "anna, bob")
    page.dblclick("#offer-save")
    expect(page.locator("#offer-heading")).to_have_text(f"Two courses {run}")
    expect(page.locator("#offer-total")).to_have_text(shown_money('450.00', product['currency']))

    made = [o for o in api.get("/offers").json()["items"] if o["title"] == f"Two courses {run}"]
    assert len(made) == 1  # the double click made one offer
    offer = made[0]
    assert [(i["product_id"], i["price"]) for i in offer["items"]] == [(courses[0]["id"], "300.00"), (courses[1]["id"], "200.00")]
    assert offer["items"][0]["access"]["end"] == {"kind": "after_period", "at": None, "period": {"unit": "months", "count": 6}}
    assert offer["items"][1]["access"]["certificate"] == "on_completion"
    assert offer["discount_rule"] == {"kind": "amount", "value": "50.00"}
    assert [(p["type"], p["amount"], p["closes_access"]) for p in offer["payment_plan"]] == [
        ("prepayment", "150.00", False), ("surcharge", "300.00", True)]
    assert offer["payment_plan"][0]["due_at"] is None and offer["payment_plan"][1]["due_at"].startswith("2027-0")
    assert offer["curators"] == ["anna", "bob"]
    # What the page shows now is the offer the API holds.
    expect(page.locator("#offer-line-1-certificate")).to_have_value("on_completion")
    expect(page.locator("#offer-plan-1-due")).to_have_value("2027-03-01")


def test_a_new_offer_refused_shows_the_api_problem_on_its_field(page, api, product, courses):
    from playwright.sync_api import expect

    run = time.time_ns()
    sign_in_as_demo_owner(page, "#/catalog/offers/new")
    page.fill("#offer-title", f"Refused {run}")
    page.fill("#offer-currency", product["currency"])
    page.select_option("#offer-line-0-product", courses[0]["id"])
    page.fill("#offer-line-0-price", "100.00")
    page.click("#offer-add-line")
    page.select_option("#offer-line-1-product", courses[1]["id"])
    page.fill("#offer-line-1-price", "not a price")
    page.click("#offer-save")
    # The API names `items.1.price`: the message is on the second line's price, and only there.
    expect(page.locator("#offer-line-1-price-error")).to_be_visible()
    expect(page.locator("#offer-line-1-price")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#offer-line-0-price-error")).to_be_hidden()
    expect(page.locator("#offer-heading")).to_have_text("New offer")
    assert not [o for o in api.get("/offers").json()["items"] if o["title"] == f"Refused {run}"]


def test_a_lines_access_terms_are_edited_and_a_line_removed_on_the_offers_version(page, api, product, courses):
    from playwright.sync_api import expect

    run = time.time_ns()
    made = api.post("/offers", headers={"Idempotency-Key": f"terms-{run}"}, json={
        "title": f"Terms {run}", "currency": product["currency"],
        "items": [{"product_id": courses[0]["id"], "price": "100.00"}, {"product_id": courses[1]["id"], "price": "80.00"}]})
    assert made.status_code == 201, made.text
    offer = made.json()
    lessons = _lessons(courses[0])
    sign_in_as_demo_owner(page, f"#/catalog/offers/{offer['id']}")
    expect(page.locator("#offer-heading")).to_have_text(f"Terms {run}")
    # The first line: two lessons of three, the first a week after the start with practice,
    # no checkpoints nor comments, a certificate on conditions, access from a date.
    page.select_option("#offer-line-0-start", "at_date")
    page.fill("#offer-line-0-start-at", "2027-02-01")
    page.select_option("#offer-line-0-lessons", "chosen")
    page.uncheck("#offer-line-0-lesson-1-included")
    page.select_option("#offer-line-0-delays", "custom")
    page.fill("#offer-line-0-lesson-0-delay", "7")
    page.select_option("#offer-line-0-practice", "custom")
    page.check("#offer-line-0-lesson-0-practice")
    page.uncheck("#offer-line-0-checkpoints")
    page.uncheck("#offer-line-0-comments")
    page.select_option("#offer-line-0-certificate", "conditional")
    page.click("#offer-save")
    # A conditional certificate needs its conditions: the API says so, nothing is saved.
    expect(page.locator("#offer-line-0-terms-error")).to_contain_text("certificate_conditions")
    assert api.get(f"/offers/{offer['id']}").json()["version"] == offer["version"]
    page.fill("#offer-line-0-certificate-conditions", "every checkpoint passed")
    page.click("#offer-line-1-remove")
    expect(page.locator("#offer-line-1-price")).to_have_count(0)
    page.click("#offer-save")
    expect(page.locator("#offer-notice")).to_have_text("Saved.")

    saved = api.get(f"/offers/{offer['id']}").json()
    assert saved["version"] == offer["version"] + 1
    assert [i["product_id"] for i in saved["items"]] == [courses[0]["id"]]
    access = saved["items"][0]["access"]
    assert access["start"]["kind"] == "at_date" and access["start"]["at"] is not None
    assert access["lesson_ids"] == [lessons[0], lessons[2]]
    assert access["lesson_delays"] == "custom" and access["delay_overrides"] == [{"lesson_id": lessons[0], "days": 7}]
    assert access["practice"] == "custom" and access["practice_lesson_ids"] == [lessons[0]]
    assert access["checkpoints"] is False and access["comments"] is False
    assert (access["certificate"], access["certificate_conditions"]) == ("conditional", "every checkpoint passed")
    assert saved["total"] == "100.00"
    # The page shows the saved terms back.
    expect(page.locator("#offer-line-0-start-at")).to_have_value("2027-02-01")
    expect(page.locator("#offer-line-0-lesson-1-included")).not_to_be_checked()
    expect(page.locator("#offer-line-0-lesson-0-delay")).to_have_value("7")
    expect(page.locator("#offer-line-0-certificate-conditions")).to_have_value("every checkpoint passed")

    # Someone else changes the offer meanwhile: this page's next save is the 409, with a reload.
    api.patch(f"/offers/{offer['id']}", json={"title": f"Terms {run} other"},
              headers={"If-Match": f'"{saved["version"]}"'}).raise_for_status()
    page.check("#offer-line-0-comments")
    page.click("#offer-save")
    expect(page.locator("#offer-conflict")).to_contain_text("Someone changed this offer; reload")
    assert api.get(f"/offers/{offer['id']}").json()["items"][0]["access"]["comments"] is False


def test_terms_left_as_shown_are_saved_as_they_came(page, api, product, courses):
    from playwright.sync_api import expect

    run = time.time_ns()
    module = courses[0]["modules"][0]["id"]
    made = api.post("/offers", headers={"Idempotency-Key": f"kept-{run}"}, json={
        "title": f"Kept {run}", "currency": product["currency"],
        "items": [{"product_id": courses[0]["id"], "price": "100.00", "access": {
            "start": {"kind": "at_date", "at": "2027-02-01T10:30:00+00:00"}, "module_ids": [module]}}]})
    assert made.status_code == 201, made.text
    offer = made.json()
    sign_in_as_demo_owner(page, f"#/catalog/offers/{offer['id']}")
    # A module named alone shows as its lessons chosen.
    expect(page.locator("#offer-line-0-lessons")).to_have_value("chosen")
    expect(page.locator("#offer-line-0-lesson-0-included")).to_be_checked()
    expect(page.locator("#offer-line-0-lesson-2-included")).not_to_be_checked()
    page.fill("#offer-line-0-price", "120.00")
    page.click("#offer-save")
    expect(page.locator("#offer-notice")).to_have_text("Saved.")
    saved = api.get(f"/offers/{offer['id']}").json()
    access = saved["items"][0]["access"]
    assert saved["items"][0]["price"] == "120.00"
    # The module stays named alone (so its lessons added later open too), the start keeps its moment.
    assert (access["module_ids"], access["lesson_ids"]) == ([module], None)
    assert datetime.fromisoformat(access["start"]["at"]) == datetime(2027, 2, 1, 10, 30, tzinfo=UTC)


def test_a_viewer_sees_an_offer_and_a_new_order_read_only(page, stack, api, product, courses):
    from playwright.sync_api import expect

    run = time.time_ns()
    made = api.post("/offers", headers={"Idempotency-Key": f"viewer-{run}"}, json={
        "title": f"Seen {run}", "currency": product["currency"],
        "items": [{"product_id": courses[0]["id"], "price": "100.00",
                   "access": {"lesson_ids": _lessons(courses[0])[:1], "certificate": "on_completion"}}],
        "payment_plan": [{"type": "prepayment", "amount": "40.00"},
                         {"type": "surcharge", "amount": "60.00", "due_at": "2027-05-01T09:00:00+00:00"}]})
    assert made.status_code == 201, made.text
    sign_in_with(page, token_for(stack["account_id"], "viewer"), "#/catalog")
    expect(page.locator("#new-offer")).to_be_disabled()
    page.goto(f"/console/#/catalog/offers/{made.json()['id']}")
    expect(page.locator("#offer-heading")).to_have_text(f"Seen {run}")
    # Everything shown, nothing changeable.
    expect(page.locator("#offer-line-0-lessons")).to_have_value("chosen")
    expect(page.locator("#offer-line-0-certificate")).to_have_value("on_completion")
    expect(page.locator("#offer-plan-1-amount")).to_have_value("60.00")
    for control in ("#offer-title", "#offer-currency", "#offer-status", "#offer-curators", "#offer-line-0-price",
                    "#offer-line-0-remove", "#offer-line-0-start", "#offer-line-0-lessons", "#offer-line-0-lesson-0-included",
                    "#offer-line-0-checkpoints", "#offer-line-0-certificate", "#offer-discount", "#offer-discount-kind",
                    "#offer-plan-0-type", "#offer-plan-1-due", "#offer-plan-1-remove", "#offer-add-line",
                    "#offer-add-payment", "#offer-save"):
        expect(page.locator(control)).to_be_disabled()
    page.goto("/console/#/catalog/offers/new")
    expect(page.locator("#offer-line-0-product")).to_be_disabled()
    expect(page.locator("#offer-save")).to_be_disabled()
    page.goto("/console/#/orders/new")
    for control in ("#line-0-product", "#line-0-lessons", "#line-0-certificate", "#line-0-comments",
                    "#order-discount", "#order-discount-kind", "#order-save"):
        expect(page.locator(control)).to_be_disabled()


def test_a_new_order_with_a_lines_access_terms_and_a_discount(page, api, product, courses):
    from playwright.sync_api import expect

    run = time.time_ns()
    lessons = _lessons(courses[1])
    sign_in_as_demo_owner(page, "#/orders/new")
    page.fill("#contact-name", f"Gil Terms{run}")
    page.fill("#contact-email", f"gil-{run}@example.com")
    page.fill("#order-currency", product["currency"])
    page.select_option("#line-0-product", courses[1]["id"])
    page.fill("#line-0-price", "200.00")
    page.select_option("#line-0-lessons", "chosen")
    page.uncheck("#line-0-lesson-0-included")
    page.select_option("#line-0-delays", "none")
    page.select_option("#line-0-practice", "none")
    page.uncheck("#line-0-checkpoints")
    page.select_option("#line-0-certificate", "on_completion")
    page.select_option("#order-discount-kind", "percent")
    page.fill("#order-discount", "150")
    page.click("#order-save")
    # The API names `discount.value`: the message is on the discount.
    expect(page.locator("#order-discount-error")).to_be_visible()
    expect(page.locator("#order-discount")).to_have_attribute("aria-invalid", "true")
    page.fill("#order-discount", "10")
    page.dblclick("#order-save")
    expect(page.locator("#card-number")).to_be_visible()
    expect(page.locator("#card-total")).to_have_text(shown_money('180.00', product['currency']))

    contact = api.get("/contacts", params={"q": f"Terms{run}"}).json()["items"]
    assert len(contact) == 1
    orders = api.get(f"/contacts/{contact[0]['id']}/orders").json()["items"]
    assert len(orders) == 1  # the double click made one order
    card = api.get(f"/orders/{orders[0]['number']}").json()
    assert (card["subtotal"], card["discount"], card["discount_percent"], card["total"]) == ("200.00", "20.00", "10", "180.00")
    access = card["lines"][0]["access"]
    assert access["lesson_ids"] == lessons[1:]
    assert (access["lesson_delays"], access["practice"], access["checkpoints"], access["certificate"]) == (
        "none", "none", False, "on_completion")
