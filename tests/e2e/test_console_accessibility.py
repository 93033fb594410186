"""The console's accessibility, in a real browser: axe-core (the copy the locked
axe-playwright-python package ships, nothing fetched) scans every main screen, the orders list,
the board, the order card, "+ Order", the contact card, the settings and the offer editor, for an
owner and for a viewer, and any serious or critical violation fails with its rule and the
elements it found. A small task is done with the keyboard alone: a search typed, an order
opened from the list, its comment saved, all without the mouse; the contact card's tabs switch
with Space and Enter; a control reached with Tab shows a focus ring.
"""

import time
from typing import Any

import pytest
from localstack.browser import sign_in_as_demo_owner, sign_in_with, token_for

pytestmark = pytest.mark.e2e

BLOCKING = ("serious", "critical")


def violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on what the page shows now, one readable line
    each: the rule, its impact, what it asks, and the CSS selectors of the elements that break it."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} — " + ", ".join(" ".join(n["target"]) for n in v["nodes"])
            for v in found if v["impact"] in BLOCKING]


def assert_accessible(page: Any, screen: str) -> None:
    found = violations(page)
    assert not found, f"{screen}: {len(found)} serious or critical accessibility violations:\n" + "\n".join(found)


@pytest.fixture(scope="module")
def contact(api) -> dict[str, Any]:
    run = time.time_ns()
    made = api.post("/contacts", json={"name": f"Iris Access{run}", "email": f"iris-{run}@example.com",
                                       "phone": "+380501234567"})
    assert made.status_code == 201, made.text
    return made.json()


def _screens(stack: dict[str, Any], order: dict[str, Any], contact: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, address, what shows once the screen has its data)."""
    return [
        ("orders list", "#/orders", "#orders-rows tr"),
        ("board", "#/orders?view=board", ".board-card"),
        ("order card", f"#/orders/{order['number']}", "#history li"),
        ("+ Order", "#/orders/new", "#line-0-product option >> nth=1"),
        ("contact card", f"#/contacts/{contact['id']}", "#contact-title"),
        ("settings", "#/settings", "#school-name"),
        ("offer editor", f"#/catalog/offers/{stack['offer_id']}", "#offer-line-0-product"),
    ]


def _scan_all(page: Any, stack: dict[str, Any], order: dict[str, Any], contact: dict[str, Any]) -> list[str]:
    failures = []
    for name, address, ready in _screens(stack, order, contact):
        page.goto(f"/console/{address}")
        page.locator(ready).first.wait_for(state="attached")
        page.wait_for_timeout(300)  # the screen's other requests (choices, history) answer meanwhile
        found = violations(page)
        if found:
            failures.append(f"{name} ({address}):\n  " + "\n  ".join(found))
    return failures


def test_every_main_screen_has_no_serious_accessibility_violation_for_an_owner(page, stack, order, contact):
    sign_in_as_demo_owner(page)
    failures = _scan_all(page, stack, order, contact)
    assert not failures, "serious or critical accessibility violations:\n" + "\n".join(failures)


def test_every_main_screen_has_no_serious_accessibility_violation_for_a_viewer(page, stack, order, contact):
    from playwright.sync_api import expect

    sign_in_with(page, token_for(stack["account_id"], "viewer"))
    expect(page.locator("#role")).to_have_text("viewer")
    failures = _scan_all(page, stack, order, contact)
    assert not failures, "serious or critical accessibility violations:\n" + "\n".join(failures)


def test_the_sign_in_screen_has_no_serious_accessibility_violation(page):
    from playwright.sync_api import expect

    page.goto("/console/")
    expect(page.locator("#token")).to_be_visible()
    assert_accessible(page, "sign-in")


def tab_to(page: Any, selector: str, presses: int = 80) -> None:
    """Presses Tab until the element `selector` names has the focus (fails if Tab never reaches it)."""
    for _ in range(presses):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_an_order_is_found_opened_and_its_comment_saved_with_the_keyboard_alone(page, api, order):
    from playwright.sync_api import expect

    page.goto("/console/")
    tab_to(page, "#demo-sign-in")
    page.keyboard.press("Enter")
    expect(page.locator("#role")).to_have_text("owner")

    tab_to(page, "#search")
    page.keyboard.type(order["contact"]["name"])
    page.keyboard.press("Enter")
    expect(page.locator("#orders-rows tr")).to_have_count(1)
    # The focus is on the search still; the next stops lead to the one order's link.
    tab_to(page, f"#orders-rows tr[data-number='{order['number']}'] a.order-link")
    page.keyboard.press("Enter")
    expect(page.locator("#card-number")).to_have_text(f"Order №{order['number']}")
    expect(page.locator("#card-number")).to_be_visible()

    tab_to(page, "#edit-comment")
    page.keyboard.type("called back, prefers mornings")
    tab_to(page, "#edit-save")
    page.keyboard.press("Space")
    expect(page.locator("#card-comment")).to_have_text("called back, prefers mornings")
    assert api.get(f"/orders/{order['number']}").json()["comment"] == "called back, prefers mornings"


def test_the_focused_control_shows_a_focus_ring(page):
    """A control reached with Tab is drawn with an outline, so a keyboard user sees where they are."""
    from playwright.sync_api import expect

    page.goto("/console/")
    expect(page.locator("#token")).to_be_visible()
    tab_to(page, "#token")
    ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                         "return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    assert ring[0] != "none" and ring[1] >= 2, ring


def test_the_contact_cards_tabs_switch_with_the_keyboard(page, contact):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/contacts/{contact['id']}")
    expect(page.locator("#contact-title")).to_have_text(contact["name"])
    tab_to(page, "#tab-emails")
    page.keyboard.press("Space")
    expect(page.locator("#contact-emails")).to_be_visible()
    expect(page.locator("#contact-orders")).to_be_hidden()
    expect(page.locator("#tab-emails")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#tab-orders")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#contact-orders")).to_be_visible()
    expect(page.locator("#tab-orders")).to_have_attribute("aria-selected", "true")
