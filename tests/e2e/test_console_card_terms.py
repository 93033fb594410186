"""A line's whole access terms changed on the order card, in the form offers and "+ Order" use.

The card lists the lessons of the line's own product; the API's word on the terms as a whole
(`access`, the body being the line itself) goes under the line's terms; a lesson's input drawn
once the product came counts as the terms touched; a start day left as shown keeps its moment and
modules named alone stay named alone. A viewer sees the lessons with every input disabled.
Every result is checked through the API.
"""

import time
from typing import Any

import httpx
import pytest
from localstack.browser import sign_in_as_demo_owner, sign_in_with, token_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def course(api) -> dict[str, Any]:
    """A product with two modules and three lessons."""
    title = f"Card terms course {time.time_ns()}"
    made = api.post("/products", headers={"Idempotency-Key": f"product-{title}"}, json={
        "title": title, "kind": "course", "modules": [
            {"title": "Basics", "lessons": [{"title": "First steps"}, {"title": "Variables"}]},
            {"title": "Practice", "lessons": [{"title": "Drill"}]}]})
    assert made.status_code == 201, made.text
    return made.json()


def _lessons(product: dict[str, Any]) -> list[str]:
    return [lesson["id"] for module in product["modules"] for lesson in module["lessons"]]


def _order(api: httpx.Client, course: dict[str, Any], currency: str, access: dict[str, Any]) -> dict[str, Any]:
    run = time.time_ns()
    # A product made a moment ago reaches orders' catalog through an event: until it has, orders
    # says so (a 422 on the line's product, "try again"), as it would to a manager.
    deadline = time.monotonic() + 30
    while True:
        made = api.post("/orders", headers={"Idempotency-Key": f"card-terms-{run}"}, json={
            "contact": {"name": f"Tia Terms{run}", "email": f"tia-{run}@example.com"}, "currency": currency,
            "lines": [{"product_id": course["id"], "price": "300.00", "access": access}]})
        arriving = made.status_code == 422 and "take a moment to arrive" in made.text
        if not arriving or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert made.status_code == 201, made.text
    return made.json()


def test_a_lines_lessons_and_certificate_are_changed_on_the_card(page, api, product, course):
    from playwright.sync_api import expect

    lessons = _lessons(course)
    order = _order(api, course, product["currency"], {"start": {"kind": "at_date", "at": "2027-03-01"}})
    given = order["lines"][0]["access"]
    sign_in_as_demo_owner(page, f"#/orders/{order['number']}")
    page.click("#card-line-0-edit summary")
    page.select_option("#card-line-0-lessons", "chosen")
    # The line's own product's lessons, fetched as the editor opened.
    expect(page.locator("#card-line-0-lesson-list li")).to_have_count(3)
    expect(page.locator("#card-line-0-lesson-list")).to_contain_text("Variables")
    page.uncheck("#card-line-0-lesson-1-included")
    page.select_option("#card-line-0-delays", "custom")
    page.fill("#card-line-0-lesson-2-delay", "4")
    page.select_option("#card-line-0-certificate", "conditional")
    page.click("#card-line-0-save")
    # A conditional certificate needs its conditions: the API's word goes under the line's terms.
    expect(page.locator("#card-line-0-terms-error")).to_contain_text("certificate_conditions")
    assert api.get(f"/orders/{order['number']}").json()["version"] == order["version"]

    page.fill("#card-line-0-certificate-conditions", "the drill done")
    page.click("#card-line-0-save")
    expect(page.locator("#lines article.line").first).to_contain_text("the drill done")
    access = api.get(f"/orders/{order['number']}").json()["lines"][0]["access"]
    assert (access["module_ids"], access["lesson_ids"]) == (None, [lessons[0], lessons[2]])
    assert access["lesson_delays"] == "custom" and access["delay_overrides"] == [{"lesson_id": lessons[2], "days": 4}]
    assert (access["certificate"], access["certificate_conditions"]) == ("conditional", "the drill done")
    # The start day left as shown went back as the moment the API gave.
    assert access["start"] == given["start"]


def test_a_lessons_delay_alone_is_saved_and_the_rest_stays_as_it_was(page, api, product, course):
    from playwright.sync_api import expect

    lessons = _lessons(course)
    basics = course["modules"][0]["id"]
    order = _order(api, course, product["currency"], {
        "start": {"kind": "at_date", "at": "2027-04-15"}, "module_ids": [basics],
        "lesson_delays": "custom", "delay_overrides": [{"lesson_id": lessons[1], "days": 2}]})
    given = order["lines"][0]["access"]
    sign_in_as_demo_owner(page, f"#/orders/{order['number']}")
    page.click("#card-line-0-edit summary")
    # The module named alone shows as its lessons chosen, the day as the start's.
    expect(page.locator("#card-line-0-lessons")).to_have_value("chosen")
    expect(page.locator("#card-line-0-start-at")).to_have_value(given["start"]["at"][:10])
    delay = page.locator("#card-line-0-lesson-1-delay")
    expect(delay).to_have_value("2")
    expect(page.locator("#card-line-0-lesson-2-included")).not_to_be_checked()
    # Only an input drawn with the product's lessons is touched: the terms go all the same.
    delay.fill("5")
    page.click("#card-line-0-save")
    # Saved, the card is drawn again, its editor folded.
    expect(page.locator("#card-line-0-edit")).not_to_have_attribute("open", "")
    access = api.get(f"/orders/{order['number']}").json()["lines"][0]["access"]
    assert access["delay_overrides"] == [{"lesson_id": lessons[1], "days": 5}]
    # Modules named alone stay so (the lessons they gain later open too); the start keeps its moment.
    assert (access["module_ids"], access["lesson_ids"]) == ([basics], None)
    assert access["start"] == given["start"]


def test_a_viewer_sees_the_lines_lessons_on_the_card_and_can_change_none(page, api, stack, product, course):
    from playwright.sync_api import expect

    order = _order(api, course, product["currency"], {"lesson_ids": _lessons(course)[:1], "practice": "custom",
                                                      "practice_lesson_ids": _lessons(course)[:1]})
    sign_in_with(page, token_for(stack["account_id"], "viewer"), f"#/orders/{order['number']}")
    expect(page.locator("#role")).to_have_text("viewer")
    page.click("#card-line-0-edit summary")
    expect(page.locator("#card-line-0-lesson-list li")).to_have_count(3)
    expect(page.locator("#card-line-0-lesson-0-included")).to_be_checked()
    expect(page.locator("#card-line-0-lesson-0-practice")).to_be_checked()
    for control in ("#card-line-0-lessons", "#card-line-0-delays", "#card-line-0-practice", "#card-line-0-checkpoints",
                    "#card-line-0-certificate-conditions", "#card-line-0-lesson-0-included",
                    "#card-line-0-lesson-0-practice", "#card-line-0-lesson-2-delay", "#card-line-0-save"):
        expect(page.locator(control)).to_be_disabled()
