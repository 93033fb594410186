"""The CRM console in a real browser, on the stack started as `make run` starts it.

Chromium (the machine's own, never one Playwright downloads) opens the console the gateway
serves, signs in with the demo button or a pasted token, and works the orders list and the order
card of a few purchases made through the public API here, as a school's team would; then its
writes, each on an order of its own made through the CRM API.
"""

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from localstack.browser import live_updates_held, shown_money, sign_in_as_demo_owner, sign_in_with, token_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def purchases(stack, eventually) -> dict[str, Any]:
    """Four visitors open the demo offer; the second one pays on the sandbox page."""
    gateway = httpx.Client(base_url=stack["gateway"], timeout=10)
    crm = {"Authorization": f"Bearer {stack['token']}"}
    run = f"console{time.time_ns()}"
    bought: dict[str, dict[str, Any]] = {}
    # Dan's order is marked paid by a test: a name of its own keeps it out of the run's list.
    names = {"ann": f"Ann {run}", "bob": f"Bob {run}", "cat": f"Cat {run}", "dan": f"Dan Desk{time.time_ns()}"}
    for who, name in names.items():
        email = f"{name.split()[1].lower()}-{who}@example.com"
        opened = gateway.post(f"/public/v1/offers/{stack['offer_id']}/checkouts",
                              json={"name": name, "email": email, "locale": "en"})
        assert opened.status_code == 202, opened.text

        def ready(url: str = opened.json()["status_url"]) -> dict[str, Any] | None:
            """the checkout has its order and payment link"""
            status = httpx.get(url, timeout=10).json()
            return status if status["status"] == "ready" else None

        status = eventually(ready)
        bought[who] = {"email": email, "number": status["order_number"], "payment_url": status["payment_url"]}
    form = {"event_id": f"{run}-bob", "amount": stack["offer_total"], "currency": stack["offer_currency"]}
    paid = httpx.post(f"{bought['bob']['payment_url']}/succeed", data=form, timeout=10)
    assert paid.status_code == 200, paid.text

    def counted() -> bool:
        """every order of the run is listed, the paid one as paid"""
        items = gateway.get("/api/v1/orders", params={"q": run}, headers=crm).json()["items"]
        return len(items) == 3 and {o["number"]: o["payment_status"] for o in items}[bought["bob"]["number"]] == "paid"

    eventually(counted)

    def payment_known() -> bool:
        """payments has each unpaid order's payment, with its link"""
        return all(any(p["status"] == "unpaid" and p.get("link_url") for p in gateway.get(
            f"/api/v1/orders/{bought[who]['number']}/payments", headers=crm).json().get("items", []))
            for who in ("ann", "cat", "dan"))

    eventually(payment_known)

    def link_sent() -> bool:
        """the email with Ann's payment link went out"""
        emails = gateway.get(f"/api/v1/orders/{bought['ann']['number']}/notifications", headers=crm).json()
        return any(m["template"] == "payment_link" and m["status"] == "sent" for m in emails.get("items", []))

    eventually(link_sent)
    return {"run": run, **bought}


def numbers(page: Any) -> list[int]:
    return [int(n) for n in page.locator("#orders-rows tr").evaluate_all("rows => rows.map(r => r.dataset.number)")]


def test_signing_in_with_the_demo_button_opens_the_orders(page, stack):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page)
    expect(page.locator("h1")).to_have_text("Orders")
    expect(page.locator("#who")).to_contain_text("demo-owner")
    # The token stays in this tab's sessionStorage, never in the address or localStorage.
    assert "eyJ" not in page.url
    assert page.evaluate("Object.values(localStorage).join()").find("eyJ") == -1
    assert page.evaluate("Object.values(sessionStorage).join()").startswith("eyJ")
    page.click("#sign-out")
    expect(page.locator("#token")).to_be_visible()


def test_signing_in_with_a_pasted_token(page, stack, purchases):
    from playwright.sync_api import expect

    sign_in_with(page, stack["token"], f"#/orders?q={purchases['run']}")
    expect(page.locator("#role")).to_have_text("owner")
    expect(page.locator("#orders-rows tr")).to_have_count(3)


def test_the_list_shows_the_orders_and_a_filter_a_search_and_the_sort_change_it(page, purchases):
    from playwright.sync_api import expect

    run = purchases["run"]
    sign_in_as_demo_owner(page, f"#/orders?q={run}")
    rows = page.locator("#orders-rows tr")
    expect(rows).to_have_count(3)
    mine = sorted(purchases[w]["number"] for w in ("ann", "bob", "cat"))
    assert numbers(page) == mine[::-1]  # newest first
    expect(page.locator(f"#orders-rows tr[data-number='{purchases['bob']['number']}'] td[data-column='payment_status']")
           ).to_have_text("paid")

    page.select_option("#sort", "number")
    expect(rows.first).to_have_attribute("data-number", str(mine[0]))
    assert numbers(page) == mine
    page.select_option("#sort", "-total")
    expect(page.locator("#sort")).to_have_value("-total")

    page.click(".filter-panel summary")
    page.select_option("#filter-payment_status", "paid")
    page.click("#filters button[type=submit]")
    expect(rows).to_have_count(1)
    assert numbers(page) == [purchases["bob"]["number"]]
    assert "payment_status=paid" in page.url

    page.click("#clear-filters")
    expect(rows).to_have_count(3)
    page.fill("#search", purchases["cat"]["email"])
    page.click("#search-form button")
    expect(rows).to_have_count(1)
    assert numbers(page) == [purchases["cat"]["number"]]


def test_a_chosen_column_stays_chosen_after_a_reload(page, purchases):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/orders?q={purchases['run']}")
    email_header = page.locator("#orders thead th[data-column='email']")
    expect(email_header).to_have_count(0)
    page.click("#columns summary")
    page.check("#column-email")
    expect(email_header).to_have_text("Email")
    expect(page.locator("#orders-rows td[data-column='email']").first).to_contain_text(purchases["run"])
    page.reload()
    expect(page.locator("#orders-rows tr")).to_have_count(3)
    expect(email_header).to_have_text("Email")


def test_load_more_fetches_the_next_page(page, purchases):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/orders?q={purchases['run']}&limit=2")
    rows = page.locator("#orders-rows tr")
    expect(rows).to_have_count(2)
    page.click("#load-more")
    expect(rows).to_have_count(3)
    expect(page.locator("#load-more")).to_be_hidden()
    assert len(set(numbers(page))) == 3


def test_the_csv_download_holds_the_filtered_rows(page, purchases):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/orders?q={purchases['run']}&payment_status=not_paid")
    expect(page.locator(f"#orders-rows tr[data-number='{purchases['ann']['number']}']")).to_be_visible()
    with page.expect_download() as downloading:
        page.click("#export")
    download = downloading.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert purchases["ann"]["email"] in text and purchases["cat"]["email"] in text
    assert purchases["bob"]["email"] not in text


def test_the_order_card_shows_its_blocks_with_the_right_figures(page, stack, purchases):
    from playwright.sync_api import expect

    ann = purchases["ann"]
    sign_in_as_demo_owner(page, f"#/orders?q={purchases['run']}")
    page.click(f"#orders-rows tr[data-number='{ann['number']}'] a")
    expect(page.locator("#card-number")).to_have_text(f"Order №{ann['number']}")
    total = shown_money(stack['offer_total'], stack['offer_currency'])
    expect(page.locator("#card-header")).to_contain_text("Sales")
    expect(page.locator("#card-header")).to_contain_text("New")
    expect(page.locator("#card-payment-status")).to_have_text("not paid")
    expect(page.locator("#contact")).to_contain_text(ann["email"])
    expect(page.locator("#card-total")).to_have_text(total)
    expect(page.locator("#card-paid")).to_have_text(shown_money('0.00', stack['offer_currency']))
    expect(page.locator("#card-due")).to_have_text(total)
    line = page.locator("#lines .line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Python from scratch")
    expect(line.locator(".offer")).to_contain_text("Python from scratch: Standard")
    expect(line).to_contain_text("After the first payment")
    payment = page.locator("#payments tr[data-status='unpaid']")
    expect(payment.locator(".amount")).to_have_text(total)
    expect(payment.locator(".payment-link")).to_have_text(ann["payment_url"])
    expect(page.locator("#history li").first).to_be_visible()
    expect(page.locator("#emails tr[data-template='payment_link'] .delivery")).to_have_text("sent")


def test_mark_paid_with_a_comment_changes_the_payment_and_the_card(page, stack, purchases):
    from playwright.sync_api import expect

    dan = purchases["dan"]
    sign_in_as_demo_owner(page, f"#/orders/{dan['number']}")
    payment = page.locator("#payments tr[data-status='unpaid']")
    payment.locator(".mark-paid").click()
    form = page.locator(".mark-paid-form")
    # The API's own limit, and its words on the field it names.
    form.locator("textarea").fill("x" * 2001)
    form.locator("button[type=submit]").click()
    expect(form.locator(".field-error").first).to_be_visible()
    expect(form.locator(".field-error").first).to_contain_text("2000")
    form.locator("textarea").fill("paid in cash at the front desk")
    form.locator("button[type=submit]").click()
    expect(page.locator("#card-payment-status")).to_have_text("paid")
    expect(page.locator("#card-paid")).to_have_text(shown_money(stack['offer_total'], stack['offer_currency']))
    paid = page.locator("#payments tr[data-status='paid']")
    expect(paid.locator(".payment-comment")).to_have_text("paid in cash at the front desk")
    expect(page.locator("#payments .mark-paid")).to_have_count(0)


def test_a_viewer_sees_the_same_card_with_mark_paid_disabled(page, stack, purchases):
    from playwright.sync_api import expect

    cat = purchases["cat"]
    viewer = viewer_token(stack)
    sign_in_with(page, viewer, f"#/orders/{cat['number']}")
    expect(page.locator("#role")).to_have_text("viewer")
    expect(page.locator("#card-number")).to_have_text(f"Order №{cat['number']}")
    expect(page.locator("#card-total")).to_have_text(shown_money(stack['offer_total'], stack['offer_currency']))
    expect(page.locator("#contact")).to_contain_text(cat["email"])
    expect(page.locator("#payments .mark-paid")).to_be_disabled()


def test_a_request_the_api_refuses_shows_its_problem(page, purchases):
    from playwright.sync_api import expect

    sign_in_with(page, "not-a-crm-token", f"#/orders?q={purchases['run']}")
    expect(page.locator("#problem")).to_be_visible()
    expect(page.locator("#problem")).to_contain_text("Unauthorized")
    expect(page.locator("#problem")).to_contain_text("the bearer token is not valid")


# The console's writes, each on an order of its own (conftest's `order`), so no test depends on
# what another changed.

def viewer_token(stack) -> str:
    return token_for(stack["account_id"], "viewer")


def test_the_card_saves_stage_type_managers_tags_and_comment(page, api, order):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/orders/{order['number']}")
    expect(page.locator("#card-number")).to_have_text(f"Order №{order['number']}")
    stages = page.locator("#edit-stage option")
    expect(stages.first).to_be_attached()
    second = stages.nth(1)
    stage_name = second.text_content()
    page.select_option("#edit-stage", second.get_attribute("value"))
    page.select_option("#edit-type", "upsell")
    page.fill("#edit-managers", "anna, boris")
    page.fill("#edit-tags", "vip,  spring ")
    page.fill("#edit-comment", "called twice, wants the evening group")
    page.click("#edit-save")
    expect(page.locator("#card-header")).to_contain_text("anna, boris")
    header = page.locator("#card-header")
    expect(header).to_contain_text(stage_name)
    expect(header).to_contain_text("upsell")
    expect(header).to_contain_text("vip, spring")
    expect(page.locator("#card-comment")).to_have_text("called twice, wants the evening group")
    saved = api.get(f"/orders/{order['number']}").json()
    assert saved["managers"] == ["anna", "boris"] and saved["tags"] == ["vip", "spring"]
    assert saved["type"] == "upsell" and saved["version"] > order["version"]

    page.click("#cancel-order")
    expect(page.locator("#reopen-order")).to_be_visible()
    assert api.get(f"/orders/{order['number']}").json()["status"] == "cancelled"
    page.click("#reopen-order")
    expect(page.locator("#cancel-order")).to_be_visible()
    assert api.get(f"/orders/{order['number']}").json()["status"] == "active"


def test_an_order_changed_meanwhile_says_so_and_keeps_what_was_typed(page, api, order):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/orders/{order['number']}")
    expect(page.locator("#edit-comment")).to_be_editable()
    with live_updates_held(page):
        # Someone else changes the order between the card's loading and this save.
        changed = api.patch(f"/orders/{order['number']}", headers={"If-Match": f'"{order["version"]}"'},
                            json={"tags": ["changed-elsewhere"]})
        assert changed.status_code == 200, changed.text
        page.fill("#edit-comment", "my note")
        page.click("#edit-save")
        expect(page.locator(".conflict-text")).to_have_text("Someone changed this order; reload")
    expect(page.locator("#edit-comment")).to_have_value("my note")
    assert api.get(f"/orders/{order['number']}").json()["comment"] in (None, "")
    page.click(".conflict .reload")
    expect(page.locator("#card-header")).to_contain_text("changed-elsewhere")
    expect(page.locator("#draft-kept")).to_be_visible()
    expect(page.locator("#edit-comment")).to_have_value("my note")
    page.click("#edit-save")
    expect(page.locator("#card-comment")).to_have_text("my note")
    assert api.get(f"/orders/{order['number']}").json()["tags"] == ["changed-elsewhere"]


def test_a_viewer_cannot_edit_the_card(page, stack, order):
    from playwright.sync_api import expect

    sign_in_with(page, viewer_token(stack), f"#/orders/{order['number']}")
    expect(page.locator("#role")).to_have_text("viewer")
    for control in ("#edit-stage", "#edit-type", "#edit-managers", "#edit-tags", "#edit-comment",
                    "#edit-save", "#cancel-order"):
        expect(page.locator(control)).to_be_disabled()


def test_the_payments_block_sends_reminds_replans_adds_and_cancels(page, api, order, product):
    from playwright.sync_api import expect

    sign_in_as_demo_owner(page, f"#/orders/{order['number']}")
    unpaid = page.locator("#payments tr[data-status='unpaid']")
    expect(unpaid).to_have_count(1)
    payment_id = unpaid.get_attribute("data-payment")
    notice = page.locator("#payments-notice")

    unpaid.locator(".send-link").click()
    expect(notice).to_contain_text("is on its way again")
    page.locator("#payments tr[data-status='unpaid'] .send-reminder").click()
    expect(notice).to_contain_text("A reminder of payment")
    expect(page.locator("#problem")).to_be_hidden()

    page.locator("#payments tr[data-status='unpaid'] .change-date").click()
    page.locator(".due-date-form input[type=date]").fill("2027-03-15")
    page.locator(".due-date-form button[type=submit]").click()
    expect(notice).to_contain_text("now planned for 2027-03-15")
    assert api.get(f"/payments/{payment_id}").json()["due_at"][:7] in ("2027-03", "2027-02")

    # The API's problem on the field it names, then a paid payment that the card follows.
    page.click("#add-payment-panel summary")
    page.fill("#new-payment-amount", "-5")
    page.click("#new-payment-save")
    expect(page.locator("#new-payment-amount-error")).to_be_visible()
    page.fill("#new-payment-amount", "100.00")
    page.select_option("#new-payment-status", "paid")
    page.select_option("#new-payment-method", "cash")
    page.click("#new-payment-save")
    expect(notice).to_contain_text("is added")
    expect(page.locator("#card-paid")).to_have_text(shown_money('100.00', product['currency']))
    expect(page.locator("#payments tr[data-status='paid'] .amount")).to_have_text(
        shown_money('100.00', product['currency']))

    page.locator(f"#payments tr[data-payment='{payment_id}'] .cancel-payment").click()
    expect(page.locator(f"#payments tr[data-payment='{payment_id}']")).to_have_attribute("data-status", "cancelled")
    expect(notice).to_contain_text("is cancelled")


def test_a_viewer_cannot_use_the_payments_actions(page, stack, order):
    from playwright.sync_api import expect

    sign_in_with(page, viewer_token(stack), f"#/orders/{order['number']}")
    unpaid = page.locator("#payments tr[data-status='unpaid']")
    for action in (".mark-paid", ".send-link", ".send-reminder", ".change-date", ".cancel-payment"):
        expect(unpaid.locator(action)).to_be_disabled()
    expect(page.locator("#new-payment-save")).to_be_disabled()
    expect(page.locator("#new-payment-amount")).to_be_disabled()


def board_card(page: Any, stage_id: str, number: int) -> Any:
    return page.locator(f".board-column[data-stage='{stage_id}'] .board-card[data-number='{number}']")


def test_the_board_moves_an_order_by_its_menu_and_by_drag_and_drop(page, api, order):
    from playwright.sync_api import expect

    stages = next(p for p in api.get("/pipelines").json()["items"] if p["id"] == order["pipeline"]["id"])["stages"]
    first, second, third = (s["id"] for s in stages[:3])
    name = order["contact"]["name"].split()[1]
    sign_in_as_demo_owner(page, f"#/orders?q={name}")
    page.click("#view-board")
    expect(page.locator(".board-column")).to_have_count(len(stages))
    expect(board_card(page, first, order["number"])).to_be_visible()
    assert "view=board" in page.url

    board_card(page, first, order["number"]).locator(".move-to").select_option(second)
    expect(board_card(page, second, order["number"])).to_be_visible()
    expect(page.locator(f".board-column[data-stage='{second}'] .board-card[data-number='{order['number']}'] .move-to")
           ).to_be_enabled()
    assert api.get(f"/orders/{order['number']}").json()["stage"]["id"] == second

    board_card(page, second, order["number"]).drag_to(page.locator(f".board-column[data-stage='{third}']"))
    expect(board_card(page, third, order["number"])).to_be_visible()
    expect(board_card(page, third, order["number"]).locator(".move-to")).to_be_enabled()
    assert api.get(f"/orders/{order['number']}").json()["stage"]["id"] == third

    page.click("#view-list")
    expect(page.locator("#orders-rows tr")).to_have_count(1)


def test_a_board_move_of_an_order_changed_meanwhile_puts_the_card_back(page, api, order):
    from playwright.sync_api import expect

    stages = next(p for p in api.get("/pipelines").json()["items"] if p["id"] == order["pipeline"]["id"])["stages"]
    first, second = stages[0]["id"], stages[1]["id"]
    sign_in_as_demo_owner(page, f"#/orders?view=board&q={order['contact']['name'].split()[1]}")
    expect(board_card(page, first, order["number"])).to_be_visible()
    with live_updates_held(page):
        changed = api.patch(f"/orders/{order['number']}", headers={"If-Match": f'"{order["version"]}"'},
                            json={"tags": ["moved-elsewhere"]})
        assert changed.status_code == 200, changed.text
        board_card(page, first, order["number"]).locator(".move-to").select_option(second)
        expect(page.locator("#board-notice .conflict-text")).to_have_text("Someone changed this order; reload")
    expect(board_card(page, first, order["number"])).to_be_visible()
    expect(board_card(page, second, order["number"])).to_have_count(0)
    assert api.get(f"/orders/{order['number']}").json()["stage"]["id"] == first
    page.click("#board-notice .reload")
    expect(page.locator("#board-notice .conflict")).to_have_count(0)
    board_card(page, first, order["number"]).locator(".move-to").select_option(second)
    expect(board_card(page, second, order["number"])).to_be_visible()
    expect(board_card(page, second, order["number"]).locator(".move-to")).to_be_enabled()
    assert api.get(f"/orders/{order['number']}").json()["stage"]["id"] == second


def test_a_viewer_cannot_move_board_cards(page, stack, order):
    from playwright.sync_api import expect

    sign_in_with(page, viewer_token(stack), f"#/orders?view=board&q={order['contact']['name'].split()[1]}")
    card = page.locator(f".board-card[data-number='{order['number']}']")
    expect(card.locator(".move-to")).to_be_disabled()
    expect(card).to_have_attribute("draggable", "false")


def test_a_new_order_with_a_found_contact_shows_problems_on_their_fields_and_a_double_click_makes_one(
        page, api, product):
    from playwright.sync_api import expect

    run = time.time_ns()
    contact = api.post("/contacts", json={"name": f"Fay Found{run}", "email": f"fay-{run}@example.com"})
    assert contact.status_code == 201, contact.text
    sign_in_as_demo_owner(page, "#/orders")
    page.click("#new-order")
    default = next(p for p in api.get("/pipelines").json()["items"] if p["is_default"])
    expect(page.locator("#order-pipeline")).to_have_value(default["id"])
    expect(page.locator("#order-stage")).to_have_value(default["stages"][0]["id"])
    page.fill("#contact-search", f"Found{run}")
    page.click("#contact-find")
    page.click(f".choose-contact[data-contact='{contact.json()['id']}']")
    expect(page.locator("#contact-chosen")).to_contain_text(f"Fay Found{run}")
    page.select_option("#order-type", "renewal")
    page.fill("#order-managers", "anna")
    page.fill("#order-comment", "by phone")
    page.select_option("#line-0-product", product["id"])
    expect(page.locator("#line-0-price")).to_have_value(product["price"])
    page.fill("#line-0-price", "not a price")
    page.select_option("#line-0-end", "after_period")
    page.fill("#line-0-end-count", "6")
    page.click("#add-order-payment")
    page.fill("#payment-0-amount", product["price"])
    page.fill("#payment-0-due", "2027-01-20")
    page.click("#order-save")
    # The API names `lines.0.price`: the message is on the first line's price.
    expect(page.locator("#line-0-price-error")).to_be_visible()
    expect(page.locator("#line-0-price")).to_have_attribute("aria-invalid", "true")
    page.fill("#line-0-price", product["price"])
    page.dblclick("#order-save")
    expect(page.locator("#card-number")).to_be_visible()
    expect(page.locator("#contact")).to_contain_text(f"fay-{run}@example.com")
    expect(page.locator("#card-header")).to_contain_text("renewal")
    expect(page.locator("#card-comment")).to_have_text("by phone")
    expect(page.locator("#lines .line")).to_contain_text("6 months after the start")
    orders = api.get(f"/contacts/{contact.json()['id']}/orders").json()["items"]
    assert len(orders) == 1


def test_a_new_order_with_a_typed_in_contact_sent_twice_is_one_order(page, api, product):
    from playwright.sync_api import expect

    run = time.time_ns()
    sign_in_as_demo_owner(page, "#/orders/new")
    page.fill("#contact-name", f"Gus Typed{run}")
    page.fill("#contact-email", "not-an-email")
    page.select_option("#line-0-product", product["id"])
    page.fill("#line-0-price", product["price"])
    page.click("#order-save")
    expect(page.locator("#contact-email-error")).to_be_visible()
    page.fill("#contact-email", f"gus-{run}@example.com")
    page.click("#add-order-payment")
    page.fill("#payment-0-amount", product["price"])
    page.check("#payment-0-paid")
    page.select_option("#payment-0-method", "cash")
    page.uncheck("#order-send-link")
    # Two submits of the same form, as a double click on a slow line would send them.
    page.evaluate("() => { const form = document.getElementById('new-order'); "
                  "form.requestSubmit(); form.requestSubmit(); }")
    expect(page.locator("#card-number")).to_be_visible()
    expect(page.locator("#card-payment-status")).to_have_text("paid")
    items = api.get("/orders", params={"q": f"gus-{run}@example.com"}).json()["items"]
    assert len(items) == 1


def test_a_viewer_cannot_make_an_order(page, stack):
    from playwright.sync_api import expect

    sign_in_with(page, viewer_token(stack), "#/orders")
    expect(page.locator("#new-order")).to_be_disabled()
    page.goto("/console/#/orders/new")
    expect(page.locator("#order-save")).to_be_disabled()
    expect(page.locator("#contact-name")).to_be_disabled()


# CRM → Contacts: the list and its search, the contact card edited, its orders and emails, and
# "+ Order" from the card.

def test_the_contacts_search_finds_them_and_load_more_fetches_the_next_page(page, api):
    from playwright.sync_api import expect

    run = time.time_ns()
    for who in ("ann", "bob", "cat"):
        made = api.post("/contacts", json={"name": f"{who.title()} Listed{run}", "email": f"{who}-{run}@example.com"})
        assert made.status_code == 201, made.text
    sign_in_as_demo_owner(page, "#/contacts")
    expect(page.locator("h1")).to_have_text("Contacts")
    expect(page.locator("#nav a.current")).to_have_text("Contacts")
    page.fill("#contact-q", f"Listed{run}")
    page.click("#contacts-search button")
    rows = page.locator("#contacts-rows tr")
    expect(rows).to_have_count(3)
    page.goto(f"/console/#/contacts?q=Listed{run}&limit=2")
    expect(rows).to_have_count(2)
    page.click("#load-more")
    expect(rows).to_have_count(3)
    expect(page.locator("#load-more")).to_be_hidden()
    page.fill("#contact-q", f"bob-{run}@example.com")
    page.click("#contacts-search button")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"Bob Listed{run}")


def test_the_contact_card_saves_an_edit_and_shows_a_field_error_where_the_api_names_it(page, api):
    from playwright.sync_api import expect

    run = time.time_ns()
    contact = api.post("/contacts", json={"name": f"Ida Edit{run}", "email": f"ida-{run}@example.com"}).json()
    sign_in_as_demo_owner(page, f"#/contacts/{contact['id']}")
    expect(page.locator("#contact-title")).to_have_text(f"Ida Edit{run}")
    page.fill("#contact-edit-email", "not-an-email")
    page.click("#contact-save")
    expect(page.locator("#contact-edit-email-error")).to_be_visible()
    expect(page.locator("#contact-edit-email")).to_have_attribute("aria-invalid", "true")
    page.fill("#contact-edit-name", f"Ida Edited{run}")
    page.fill("#contact-edit-email", f"ida2-{run}@example.com")
    page.select_option("#contact-edit-locale", "uk")
    page.click("#contact-save")
    expect(page.locator("#contact-notice")).to_have_text("Saved.")
    page.reload()
    expect(page.locator("#contact-title")).to_have_text(f"Ida Edited{run}")
    expect(page.locator("#contact-edit-email")).to_have_value(f"ida2-{run}@example.com")
    expect(page.locator("#contact-edit-locale")).to_have_value("uk")
    assert api.get(f"/contacts/{contact['id']}").json()["locale"] == "uk"


def test_the_contact_card_lists_orders_and_emails_and_makes_an_order_for_the_contact(page, api, purchases):
    from playwright.sync_api import expect

    ann = api.get(f"/orders/{purchases['ann']['number']}").json()
    sign_in_as_demo_owner(page, f"#/contacts/{ann['contact']['id']}")
    link = page.locator(f"#contact-orders-rows tr[data-number='{ann['number']}'] a")
    expect(link).to_have_text(f"#{ann['number']}")
    page.click("#tab-emails")
    expect(page.locator("#contact-emails-rows tr[data-template='payment_link']").first).to_contain_text("sent")
    page.click("#tab-orders")
    link.click()
    expect(page.locator("#card-number")).to_be_visible()
    page.go_back()
    page.click("#contact-new-order")
    expect(page.locator("#contact-chosen")).to_contain_text(ann["contact"]["name"])
    expect(page.locator("#contact-new")).to_be_hidden()


def test_a_viewer_sees_the_contact_card_with_its_controls_disabled(page, stack, api):
    from playwright.sync_api import expect

    run = time.time_ns()
    contact = api.post("/contacts", json={"name": f"Jon View{run}", "email": f"jon-{run}@example.com"}).json()
    sign_in_with(page, viewer_token(stack), f"#/contacts/{contact['id']}")
    expect(page.locator("#contact-title")).to_have_text(f"Jon View{run}")
    expect(page.locator("#contact-edit-name")).to_be_disabled()
    expect(page.locator("#contact-save")).to_be_disabled()
    expect(page.locator("#contact-new-order")).to_be_disabled()


# Settings: the school's profile and CRM settings, the pipelines, the payment providers and the
# reminder schedule. What the demo school's other tests rely on is put back afterwards; the
# providers and the reminders are set on a school of the test's own.

def test_the_school_and_its_crm_settings_are_saved_and_a_field_error_is_shown(page, api):
    from playwright.sync_api import expect

    school, settings = api.get("/school").json(), api.get("/settings").json()
    run = time.time_ns()
    try:
        sign_in_as_demo_owner(page, "#/settings")
        expect(page.locator("#nav a.current")).to_have_text("Settings")
        page.fill("#school-name", f"Demo School {run}")
        page.select_option("#school-locale", "pl")
        page.click("#school-save")
        expect(page.locator("#school-notice")).to_have_text("Saved.")
        page.fill("#settings-phone-region", "U1")
        page.click("#settings-save")
        expect(page.locator("#settings-phone-region-error")).to_be_visible()
        expect(page.locator("#settings-phone-region")).to_have_attribute("aria-invalid", "true")
        page.fill("#settings-phone-region", "PL")
        page.fill("#settings-expiry-days", "9")
        page.click("#settings-save")
        expect(page.locator("#settings-notice")).to_have_text("Saved.")
        page.reload()
        expect(page.locator("#school-name")).to_have_value(f"Demo School {run}")
        expect(page.locator("#school-locale")).to_have_value("pl")
        expect(page.locator("#settings-expiry-days")).to_have_value("9")
        expect(page.locator("#settings-phone-region")).to_have_value("PL")
    finally:
        api.put("/school", json=school).raise_for_status()
        api.put("/settings", json=settings).raise_for_status()


def test_a_pipeline_is_added_its_stages_edited_and_one_with_orders_is_not_deleted(page, api, order):
    from playwright.sync_api import expect

    run = time.time_ns()
    sign_in_as_demo_owner(page, "#/settings")
    new = "#pipeline-new"
    page.fill(f"{new}-name", f"Webinars {run}")
    page.fill(f"{new}-stage-0-name", "Lead")
    page.click(f"{new}-add-stage")
    page.fill(f"{new}-stage-1-name", "Won")
    page.check(f"{new}-stage-1-paid")
    page.click(f"{new}-add-stage")
    page.fill(f"{new}-stage-2-name", "Lost")
    page.check(f"{new}-stage-2-cancel")
    page.click(f"{new}-save")
    expect(page.locator("#pipelines-notice")).to_have_text(f"Added Webinars {run}.")
    made = next(p for p in api.get("/pipelines").json()["items"] if p["name"] == f"Webinars {run}")
    try:
        assert [(s["name"], s["on_full_payment"], s["on_cancel"]) for s in made["stages"]] == [
            ("Lead", False, False), ("Won", True, False), ("Lost", False, True)]
        form = page.locator(f"form[data-pipeline='{made['id']}']")
        prefix = form.get_attribute("id").removesuffix("-form")
        page.fill(f"#{prefix}-stage-0-name", "Enquiry")
        page.click(f"#{prefix}-stage-2-up")  # Lost before Won
        page.click(f"#{prefix}-add-stage")
        page.fill(f"#{prefix}-stage-3-name", "Later")
        page.click(f"#{prefix}-stage-3-up")
        page.click(f"#{prefix}-stage-1-remove")  # Lost goes
        page.click(f"#{prefix}-save")
        expect(page.locator("#pipelines-notice")).to_have_text(f"Saved Webinars {run}.")
        page.reload()
        form = page.locator(f"form[data-pipeline='{made['id']}']")
        expect(form.locator(".stage input[type=text], .stage input:not([type])")).to_have_count(3)
        names = form.locator(".stage input:not([type=radio])").evaluate_all("inputs => inputs.map(i => i.value)")
        assert names == ["Enquiry", "Later", "Won"]
        stages = next(p for p in api.get("/pipelines").json()["items"] if p["id"] == made["id"])["stages"]
        assert [s["id"] for s in stages][::2] == [made["stages"][0]["id"], made["stages"][1]["id"]]
        # The order's pipeline holds it: the API refuses, with a 409 shown in its words.
        holding = page.locator(f"form[data-pipeline='{order['pipeline']['id']}']")
        holding.locator("button[id$='-delete']").click()
        expect(holding.locator("p[id$='-form-error']")).to_be_visible()
        assert any(p["id"] == order["pipeline"]["id"] for p in api.get("/pipelines").json()["items"])
        form.locator("button[id$='-delete']").click()
        expect(page.locator("#pipelines-notice")).to_have_text(f"Deleted Webinars {run}.")
        expect(page.locator(f"form[data-pipeline='{made['id']}']")).to_have_count(0)
    finally:
        api.delete(f"/pipelines/{made['id']}")


def test_a_providers_secrets_are_sent_when_typed_and_never_shown_back(page, stack):
    from playwright.sync_api import expect

    school = str(uuid.uuid4())
    secret = f"sk_test_console{time.time_ns()}"
    sign_in_with(page, token_for(school, "owner"), "#/settings")
    expect(page.locator("#provider-stripe-configured")).to_have_text("not configured")
    expect(page.locator("#provider-stripe-secret_key-state")).to_have_text("not set")
    page.fill("#provider-stripe-secret_key", secret)
    page.fill("#provider-stripe-webhook_secret", "whsec_console")
    page.fill("#provider-stripe-success_url", "https://school.example/thanks")
    page.click("#provider-stripe-save")
    expect(page.locator("#provider-stripe-notice")).to_have_text("Saved.")
    page.reload()
    expect(page.locator("#provider-stripe-configured")).to_have_text("configured")
    expect(page.locator("#provider-stripe-secret_key-state")).to_have_text("set")
    expect(page.locator("#provider-stripe-secret_key")).to_have_value("")
    expect(page.locator("#provider-stripe-success_url")).to_have_value("https://school.example/thanks")
    assert secret not in page.content()
    # A save without the secrets typed sends none, and the stored ones are kept.
    page.fill("#provider-stripe-cancel_url", "https://school.example/back")
    page.click("#provider-stripe-save")
    expect(page.locator("#provider-stripe-notice")).to_have_text("Saved.")
    expect(page.locator("#provider-stripe-secret_key-state")).to_have_text("set")
    page.fill("#reminder-offsets", "-24, 48")
    page.click("#reminders-save")
    expect(page.locator("#reminders-notice")).to_have_text("Saved.")
    page.reload()
    expect(page.locator("#reminder-offsets")).to_have_value("-24, 48")


def test_a_manager_sees_the_providers_read_only_and_a_viewer_every_setting(page, stack):
    from playwright.sync_api import expect

    sign_in_with(page, token_for(str(uuid.uuid4()), "manager"), "#/settings")
    expect(page.locator("#providers-owner-only")).to_be_visible()
    expect(page.locator("#provider-stripe-secret_key")).to_be_disabled()
    expect(page.locator("#provider-wayforpay-save")).to_be_disabled()
    expect(page.locator("#reminders-save")).to_be_enabled()
    page.click("#sign-out")
    sign_in_with(page, viewer_token(stack), "#/settings")
    expect(page.locator("#role")).to_have_text("viewer")
    for control in ("#school-save", "#settings-save", "#pipeline-0-save", "#pipeline-0-delete", "#pipeline-new-save",
                    "#pipeline-new-add-stage", "#provider-stripe-save", "#reminders-save", "#reminder-offsets"):
        expect(page.locator(control)).to_be_disabled()


# Settings → email templates, on a school of the test's own so the demo school's emails keep
# their standard wording.

def test_a_template_is_saved_previewed_as_text_and_put_back_to_the_standard_wording(page):
    from playwright.sync_api import expect

    sign_in_with(page, token_for(str(uuid.uuid4()), "owner"), "#/settings")
    page.click("#to-templates")
    page.click("#templates-rows tr[data-template='payment_link'] a[data-locale='en']")
    expect(page.locator("#template-state")).to_contain_text("standard wording")
    expect(page.locator("#template-standard")).to_be_disabled()
    page.fill("#template-subject", "Pay for {{ no_such_value }}")
    page.fill("#template-html", "<p>Hello <b>there</b></p><script>parent.document.title = 'taken'</script>")
    page.fill("#template-text", "Hello there")
    page.click("#template-save")
    # Checked when saved: the API names the subject, and the message is on it.
    expect(page.locator("#template-subject-error")).to_be_visible()
    expect(page.locator("#template-subject")).to_have_attribute("aria-invalid", "true")
    page.fill("#template-subject", "Your payment link")
    page.click("#template-save")
    expect(page.locator("#template-notice")).to_have_text("Saved.")
    page.reload()
    expect(page.locator("#template-state")).to_contain_text("own wording")
    expect(page.locator("#template-subject")).to_have_value("Your payment link")
    expect(page.locator("#template-preview-subject")).to_have_text("Your payment link")
    # The letter's markup is shown as text: nothing of it is parsed into the console's page.
    expect(page.locator("#template-preview-html")).to_contain_text("<p>Hello <b>there</b></p>")
    expect(page.locator("#template-preview-html b")).to_have_count(0)
    expect(page.locator("#template-preview-text")).to_have_text("Hello there")
    assert page.title() == "Orders CRM"  # the letter's script never ran
    page.click("#template-standard")
    expect(page.locator("#template-notice")).to_have_text("Back to the standard wording.")
    expect(page.locator("#template-state")).to_contain_text("standard wording")
    expect(page.locator("#template-subject")).to_have_value("")
    page.click("text=← Email templates")
    expect(page.locator("#templates-rows tr[data-template='payment_link'] a.overridden")).to_have_count(0)


def test_a_viewer_cannot_change_a_template(page, stack):
    from playwright.sync_api import expect

    sign_in_with(page, viewer_token(stack), "#/settings/templates/reminder/en")
    expect(page.locator("#template-title")).to_contain_text("reminder")
    for control in ("#template-subject", "#template-html", "#template-text", "#template-save", "#template-standard"):
        expect(page.locator(control)).to_be_disabled()


# Catalog: the products and the offers listed, a product made with its modules and lessons and
# edited, an offer edited on its version.

def test_a_product_is_made_with_modules_and_lessons_and_edited(page, api, stack):
    from playwright.sync_api import expect

    run = time.time_ns()
    sign_in_as_demo_owner(page, "#/catalog")
    expect(page.locator("#nav a.current")).to_have_text("Catalog")
    expect(page.locator(f"#offers-rows tr[data-offer='{stack['offer_id']}']")).to_be_visible()
    page.click("#new-product")
    page.fill("#product-title", f"Course {run}")
    page.select_option("#product-kind", "group")
    page.click("#add-module")
    page.fill("#module-0-title", "Basics")
    page.click("#module-0-add-lesson")
    page.click("#module-0-add-lesson")
    page.fill("#module-0-lesson-1-title", "Second")
    page.click("#product-save")
    # The first lesson has no title: the API names `modules.0.lessons.0.title`, the message is on it.
    expect(page.locator("#module-0-lesson-0-title-error")).to_be_visible()
    expect(page.locator("#module-0-lesson-0-title")).to_have_attribute("aria-invalid", "true")
    page.fill("#module-0-lesson-0-title", "First")
    page.click("#add-module")
    page.fill("#module-1-title", "Practice")
    page.dblclick("#product-save")
    expect(page.locator("#product-heading")).to_have_text(f"Course {run}")
    made = [p for p in api.get("/products").json()["items"] if p["title"] == f"Course {run}"]
    assert len(made) == 1  # one product for the double click
    first = made[0]["modules"][0]["lessons"][0]["id"]
    page.fill("#module-0-lesson-0-title", "First steps")
    page.click("#module-0-lesson-1-remove")
    page.click("#module-1-add-lesson")
    page.fill("#module-1-lesson-0-title", "Drill")
    page.click("#product-save")
    expect(page.locator("#product-notice")).to_have_text("Saved.")
    page.reload()
    expect(page.locator("#module-0-lesson-0-title")).to_have_value("First steps")
    expect(page.locator("#module-0-lessons li")).to_have_count(1)
    expect(page.locator("#module-1-lesson-0-title")).to_have_value("Drill")
    expect(page.locator("#product-kind")).to_have_value("group")
    card = api.get(f"/products/{made[0]['id']}").json()
    assert card["modules"][0]["lessons"][0]["id"] == first  # renamed, the same lesson
    page.click("text=← Catalog")
    expect(page.locator(f"#products-rows tr[data-product='{made[0]['id']}']")).to_contain_text(f"Course {run}")


def test_a_viewer_cannot_change_the_catalog(page, stack, product):
    from playwright.sync_api import expect

    sign_in_with(page, viewer_token(stack), "#/catalog")
    expect(page.locator("#new-product")).to_be_disabled()
    page.goto(f"/console/#/catalog/products/{product['id']}")
    expect(page.locator("#product-title")).to_be_disabled()
    expect(page.locator("#product-save")).to_be_disabled()
    expect(page.locator("#add-module")).to_be_disabled()
    page.goto(f"/console/#/catalog/offers/{stack['offer_id']}")
    expect(page.locator("#offer-title")).to_be_disabled()
    expect(page.locator("#offer-save")).to_be_disabled()


def test_an_offer_is_edited_on_its_version_and_a_change_made_meanwhile_is_a_409_shown(page, api, product):
    from playwright.sync_api import expect

    run = time.time_ns()
    made = api.post("/offers", headers={"Idempotency-Key": f"offer-{run}"}, json={
        "title": f"Offer {run}", "currency": product["currency"],
        "items": [{"product_id": product["id"], "price": "100.00"}]})
    assert made.status_code == 201, made.text
    offer = made.json()
    sign_in_as_demo_owner(page, "#/catalog")
    page.click(f"#offers-rows tr[data-offer='{offer['id']}'] a")
    expect(page.locator("#offer-heading")).to_have_text(f"Offer {run}")
    page.fill("#offer-line-0-price", "not a price")
    page.click("#offer-save")
    expect(page.locator("#offer-line-0-price-error")).to_be_visible()
    page.fill("#offer-title", f"Offer {run} spring")
    page.fill("#offer-line-0-price", "200.00")
    page.select_option("#offer-discount-kind", "percent")
    page.fill("#offer-discount", "10")
    page.click("#offer-save")
    expect(page.locator("#offer-notice")).to_have_text("Saved.")
    page.reload()
    expect(page.locator("#offer-title")).to_have_value(f"Offer {run} spring")
    expect(page.locator("#offer-line-0-price")).to_have_value("200.00")
    expect(page.locator("#offer-total")).to_have_text(shown_money('180.00', product['currency']))
    # Someone else changes it meanwhile: the save made on the page's version is refused.
    current = api.get(f"/offers/{offer['id']}").json()
    other = api.patch(f"/offers/{offer['id']}", json={"title": f"Offer {run} other"},
                      headers={"If-Match": f'"{current["version"]}"'})
    assert other.status_code == 200, other.text
    page.fill("#offer-title", f"Offer {run} mine")
    page.click("#offer-save")
    expect(page.locator("#offer-conflict")).to_contain_text("Someone changed this offer; reload")
    assert api.get(f"/offers/{offer['id']}").json()["title"] == f"Offer {run} other"
    page.click("#offer-reload")
    expect(page.locator("#offer-title")).to_have_value(f"Offer {run} other")
