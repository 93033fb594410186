"""One real purchase through the whole stack, started as the README starts it.

Real processes, the real broker, real PostgreSQL and a real SMTP mailbox: a visitor opens
the demo offer, gets the payment link and an email with it, pays on the sandbox page, and
the order shows paid and a receipt arrives. Opening the offer again makes a second order.
"""

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_a_purchase_from_offer_page_to_receipt(stack, eventually):
    gateway = httpx.Client(base_url=stack["gateway"], timeout=10)
    crm = {"Authorization": f"Bearer {stack['token']}"}
    mailbox = httpx.Client(base_url=stack["mailbox"], timeout=10)
    email = f"buyer-{time.time_ns()}@example.com"

    assert gateway.get(f"/offer/{stack['offer_id']}").status_code == 200  # the page a visitor sees
    opened = gateway.post(f"/public/v1/offers/{stack['offer_id']}/checkouts",
                          json={"name": "Taras Buyer", "email": email, "phone": "+380501234567", "locale": "en"})
    assert opened.status_code == 202, opened.text

    def link_ready() -> dict[str, Any] | None:
        """the checkout has a payment link"""
        status = httpx.get(opened.json()["status_url"], timeout=10).json()
        return status if status["status"] == "ready" else None

    status = eventually(link_ready)
    payment_url, number = status["payment_url"], status["order_number"]
    order = gateway.get(f"/api/v1/orders/{number}", headers=crm).json()
    assert order["payment_status"] == "not_paid" and order["stage"]["name"] == "New"
    assert order["pipeline"]["name"] == "Sales" and order["contact"]["email"] == email

    def mail(what: str, matches: Callable[[dict[str, Any]], bool]) -> Callable[[], dict[str, Any] | None]:
        def find() -> dict[str, Any] | None:
            for message in mailbox.get("/api/messages").json():
                if email in message["to"] and matches(message):
                    return message
            return None
        find.__doc__ = f"{what} arrived"
        return find

    link_email = eventually(mail("the email with the link", lambda m: payment_url in m["text"]))
    assert payment_url in link_email["text"] and payment_url in link_email["html"]

    page = httpx.get(payment_url, timeout=10)
    assert page.status_code == 200
    assert "1,500.00" in page.text or "1500.00" in page.text
    # What the page's "Pay" button posts: the provider's event id, amount and currency.
    form = {"event_id": f"e2e-{time.time_ns()}", "amount": "1500.00", "currency": "UAH"}
    paid = httpx.post(f"{payment_url}/succeed", data=form, timeout=10)
    assert paid.status_code == 200

    def order_paid() -> dict[str, Any] | None:
        """the order shows paid"""
        card = gateway.get(f"/api/v1/orders/{number}", headers=crm).json()
        return card if card["payment_status"] == "paid" else None

    card = eventually(order_paid)
    assert card["paid"] == "1500.00" and card["due"] == "0.00" and card["stage"]["name"] == "Paid"
    receipt = eventually(mail("the receipt", lambda m: "received" in m["subject"].lower()))
    assert "1,500.00" in receipt["text"]
    payments = gateway.get(f"/api/v1/orders/{card['id']}/payments", headers=crm).json()["items"]
    assert [p["status"] for p in payments] == ["paid"]
    assert [line["window"]["status"] for line in card["lines"]] == ["open"]

    def all_sent() -> list[dict[str, Any]] | None:
        """the payment link, the receipt and the access notice are sent"""
        log = gateway.get(f"/api/v1/orders/{card['id']}/notifications", headers=crm).json()["items"]
        done = sorted(d["template"] for d in log if d["status"] == "sent")
        return log if done == ["access_opened", "payment_link", "receipt"] else None

    assert len(eventually(all_sent)) == 3

    again = gateway.post(f"/public/v1/offers/{stack['offer_id']}/checkouts", json={"name": "Taras Buyer", "email": email})
    second = eventually(lambda: (s := httpx.get(again.json()["status_url"]).json())["status"] == "ready" and s)
    assert second["order_number"] != number
    assert gateway.get(f"/api/v1/orders/{second['order_number']}", headers=crm).json()["contact"]["id"] == card["contact"]["id"]


def test_bad_open_requests_create_nothing(stack):
    gateway = httpx.Client(base_url=stack["gateway"], timeout=10)
    crm = {"Authorization": f"Bearer {stack['token']}"}
    before = gateway.get("/api/v1/orders", params={"limit": 1}, headers=crm).json()["items"]
    unknown = gateway.post("/public/v1/offers/00000000-0000-0000-0000-000000000000/checkouts",
                           json={"name": "A", "email": "a@example.com"})
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("application/problem+json")
    malformed = gateway.post(f"/public/v1/offers/{stack['offer_id']}/checkouts", json={"name": "A"})
    assert malformed.status_code == 422
    time.sleep(1)
    assert gateway.get("/api/v1/orders", params={"limit": 1}, headers=crm).json()["items"] == before
