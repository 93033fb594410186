"""The console stays current without a reload, in a real browser against the running stack.

The order card, the board and the list ask again every few seconds with the ETag they were drawn
from: a payment marked paid by someone else, the receipt email it sends, a stage move and a new
order made through the API show up within seconds, the page never reloaded; an unchanged answer
is a 304. A card whose form is being typed into is not redrawn: it says the order changed.
"""

import time
from typing import Any

import httpx
import pytest
from localstack.browser import sign_in_as_demo_owner, token_for

pytestmark = pytest.mark.e2e

# A few poll intervals (live.js: 3 s), and the services' events behind a payment or an email.
LIVE = 15_000


def mark_loaded(page: Any) -> None:
    """A flag in the page's window: still there later means the page was never loaded again."""
    page.evaluate("window.liveTestMark = 'not reloaded'")


def still_same_page(page: Any) -> bool:
    return page.evaluate("window.liveTestMark") == "not reloaded"


def answers(page: Any) -> list[tuple[int, str]]:
    """Every API answer the page gets from now on: (status, path)."""
    seen: list[tuple[int, str]] = []
    page.on("response", lambda response: seen.append(
        (response.status, httpx.URL(response.url).path)) if "/api/v1/" in response.url else None)
    return seen


def waited(page: Any, check: Any, seen: list[tuple[int, str]]) -> None:
    """Until `check()` holds, the page going on (its network events are heard only while it does)."""
    deadline = time.monotonic() + LIVE / 1000
    while not check():
        assert time.monotonic() < deadline, f"not true after {LIVE} ms: {check.__doc__}; answers: {seen}"
        page.wait_for_timeout(200)


def another_manager(stack: dict[str, Any]) -> httpx.Client:
    return httpx.Client(base_url=f"{stack['gateway']}/api/v1", timeout=10,
                        headers={"Authorization": f"Bearer {token_for(stack['account_id'], 'manager')}"})


def test_a_payment_marked_paid_elsewhere_and_its_receipt_show_on_the_open_card(page, stack, order):
    from playwright.sync_api import expect

    number = order["number"]
    seen = answers(page)
    sign_in_as_demo_owner(page, f"#/orders/{number}")
    expect(page.locator("#card-payment-status")).to_have_text("not paid")
    unpaid = page.locator("#payments tr[data-status='unpaid']")
    expect(unpaid).to_have_count(1)
    mark_loaded(page)

    # Unchanged, every block's poll is answered 304, with no body.
    polled = [f"/api/v1/orders/{number}", f"/api/v1/orders/{number}/payments",
              f"/api/v1/orders/{number}/history", f"/api/v1/orders/{number}/notifications"]

    def all_not_modified() -> bool:
        """each of the card's calls was answered 304 at least once"""
        return all((304, path) in seen for path in polled)

    waited(page, all_not_modified, seen)
    receipts = page.locator("#history li[data-kind='email_sent']", has_text='"template":"receipt"')
    expect(receipts).to_have_count(0)

    with another_manager(stack) as someone:
        [payment] = someone.get(f"/orders/{number}/payments").json()["items"]
        paid = someone.post(f"/payments/{payment['id']}/mark-paid", json={"comment": "paid at the desk"})
        assert paid.status_code == 200, paid.text

    expect(page.locator("#card-payment-status")).to_have_text("paid", timeout=LIVE)
    expect(page.locator("#payments tr[data-status='paid'] .payment-comment")).to_have_text("paid at the desk")
    expect(unpaid).to_have_count(0)
    # Once notifications sent the receipt, the history has it.
    expect(receipts).to_have_count(1, timeout=LIVE)
    expect(page.locator("#emails tr[data-template='receipt'] .delivery")).to_have_text("sent", timeout=LIVE)
    assert still_same_page(page)
    assert (200, f"/api/v1/orders/{number}") in seen[seen.index((304, f"/api/v1/orders/{number}")):]


def test_a_stage_move_made_elsewhere_moves_the_board_card(page, api, order):
    from playwright.sync_api import expect

    stages = next(p for p in api.get("/pipelines").json()["items"] if p["id"] == order["pipeline"]["id"])["stages"]
    first, second = stages[0]["id"], stages[1]["id"]
    sign_in_as_demo_owner(page, f"#/orders?view=board&q={order['contact']['name'].split()[1]}")
    card = page.locator(f".board-card[data-number='{order['number']}']")
    expect(page.locator(f".board-column[data-stage='{first}']").locator(card)).to_be_visible()
    mark_loaded(page)
    moved = api.patch(f"/orders/{order['number']}", headers={"If-Match": f'"{order["version"]}"'},
                      json={"stage_id": second})
    assert moved.status_code == 200, moved.text
    expect(page.locator(f".board-column[data-stage='{second}'] .board-card[data-number='{order['number']}']")
           ).to_be_visible(timeout=LIVE)
    expect(page.locator(f".board-column[data-stage='{first}'] .board-card[data-number='{order['number']}']")
           ).to_have_count(0)
    assert still_same_page(page) and "view=board" in page.url


def test_a_new_order_made_elsewhere_appears_in_the_list_its_search_and_sort_kept(page, api, product):
    from playwright.sync_api import expect

    run = time.time_ns()
    name = f"Liv{run}"
    seen = answers(page)
    sign_in_as_demo_owner(page, f"#/orders?q={name}&sort=number")
    expect(page.locator("#orders-count")).to_have_text("No orders match.")
    mark_loaded(page)

    def polled_unchanged() -> bool:
        """the list's first page was asked for again and was unchanged"""
        return (304, "/api/v1/orders") in seen

    waited(page, polled_unchanged, seen)
    made = api.post("/orders", headers={"Idempotency-Key": f"live-{run}"}, json={
        "contact": {"name": f"Lena {name}", "email": f"lena-{run}@example.com"},
        "currency": product["currency"], "lines": [{"product_id": product["id"], "price": product["price"]}]})
    assert made.status_code == 201, made.text
    row = page.locator(f"#orders-rows tr[data-number='{made.json()['number']}']")
    expect(row).to_be_visible(timeout=LIVE)
    expect(page.locator("#orders-count")).to_have_text("1 shown")
    expect(page.locator("#search")).to_have_value(name)
    expect(page.locator("#sort")).to_have_value("number")
    assert still_same_page(page)


def test_a_card_being_typed_into_is_not_redrawn_but_says_the_order_changed(page, api, order):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/orders/{order['number']}")
    page.fill("#edit-comment", "a note I am still typing")
    page.locator("#card-line-0-edit summary").click()
    page.fill("#card-line-0-title", "A title being typed")
    changed = api.patch(f"/orders/{order['number']}", headers={"If-Match": f'"{order["version"]}"'},
                        json={"tags": ["changed-elsewhere"]})
    assert changed.status_code == 200, changed.text

    notice = page.locator("#live-notice .conflict-text")
    expect(notice).to_have_text("Someone changed this order; reload", timeout=LIVE)
    # Nothing typed was lost: the card was not drawn again.
    expect(page.locator("#edit-comment")).to_have_value("a note I am still typing")
    expect(page.locator("#card-line-0-title")).to_have_value("A title being typed")
    expect(page.locator("#card-header")).not_to_contain_text("changed-elsewhere")
    expect(page.locator(".conflict")).to_have_count(1)
    page.click("#live-notice .reload")
    expect(page.locator("#card-header")).to_contain_text("changed-elsewhere")
    expect(page.locator("#live-notice .conflict")).to_have_count(0)
