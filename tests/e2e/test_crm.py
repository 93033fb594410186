"""A manager's order through the whole stack: made by hand, part paid in cash, the rest by link.

The stack runs as `make run` runs it. The manager creates the order through the gateway with a
cash payment already taken and one left to pay; the contact gets the link in their own language
(Ukrainian), pays on the sandbox page, and the card, the access window, the history and the
emails all agree. A second manager's stale edit is refused.
"""

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_a_manual_order_part_paid_in_cash_and_the_rest_by_link(stack, eventually):
    gateway = httpx.Client(base_url=stack["gateway"], timeout=10)
    crm = {"Authorization": f"Bearer {stack['token']}"}
    mailbox = httpx.Client(base_url=stack["mailbox"], timeout=10)
    email = f"student-{time.time_ns()}@example.com"
    offer = gateway.get(f"/api/v1/offers/{stack['offer_id']}", headers=crm).json()
    product = offer["items"][0]

    body = {
        "contact": {"name": "Оксана Студентка", "email": email, "phone": "+380 50 123-45-67", "locale": "uk"},
        "currency": "UAH",
        "comment": "VIP: call before the start",
        "lines": [{"product_id": product["product_id"], "product_title": product["product_title"], "price": "900.00",
                   "access": {"end": {"kind": "after_period", "period": {"unit": "months", "count": 3}}}}],
        "payments": [
            {"amount": "300.00", "method": "cash", "paid_at": datetime.now(UTC).isoformat(),
             "comment": "cash at the front desk"},
            {"amount": "600.00", "type": "surcharge"},
        ],
        "send_payment_link": True,
    }
    key = {"Idempotency-Key": str(uuid.uuid4())}

    def placed() -> httpx.Response | None:
        """orders has heard of the demo school's product from offers (the stack may have just started)"""
        response = gateway.post("/api/v1/orders", json=body, headers={**crm, **key})
        assert response.status_code in (201, 422), response.text
        return response if response.status_code == 201 else None

    created = eventually(placed)
    again = gateway.post("/api/v1/orders", json=body, headers={**crm, **key})
    assert again.json()["id"] == created.json()["id"]  # a double submit makes one order
    order = created.json()
    number, order_id = order["number"], order["id"]
    assert order["payment_status"] == "not_paid" and order["stage"]["name"] == "New"
    assert order["contact"]["phone"] == "+380501234567" and order["total"] == "900.00"

    def card() -> dict[str, Any]:
        return gateway.get(f"/api/v1/orders/{number}", headers=crm).json()

    def cash_counted() -> dict[str, Any] | None:
        """the cash payment counts on the card"""
        found = card()
        return found if found["paid"] == "300.00" else None

    partly = eventually(cash_counted)
    assert partly["payment_status"] == "partially_paid" and partly["due"] == "600.00"
    assert [line["window"]["status"] for line in partly["lines"]] == ["open"]  # the first payment opens access

    def link() -> str | None:
        """the unpaid payment has its link"""
        items = gateway.get(f"/api/v1/orders/{order_id}/payments", headers=crm).json()["items"]
        return next((p["link_url"] for p in items if p["status"] == "unpaid" and p.get("link_url")), None)

    url = eventually(link)

    def mail(what: str, matches: Callable[[dict[str, Any]], bool]) -> Callable[[], dict[str, Any] | None]:
        def find() -> dict[str, Any] | None:
            return next((m for m in mailbox.get("/api/messages").json() if email in m["to"] and matches(m)), None)
        find.__doc__ = f"{what} arrived"
        return find

    letter = eventually(mail("the link, in Ukrainian", lambda m: url in m["text"]))
    assert f"Оплата замовлення №{number}" in letter["subject"]
    assert "600,00" in letter["text"] and url in letter["html"]
    assert "VIP" not in letter["text"] + letter["html"]  # the team's comment stays in the CRM
    assert "front desk" not in letter["text"] + letter["html"]

    paid = httpx.post(f"{url}/succeed", data={"event_id": f"e2e-{time.time_ns()}", "amount": "600.00",
                                              "currency": "UAH"}, timeout=10)
    assert paid.status_code == 200, paid.text

    def fully_paid() -> dict[str, Any] | None:
        """the card shows the order paid"""
        found = card()
        return found if found["payment_status"] == "paid" else None

    final = eventually(fully_paid)
    assert final["paid"] == "900.00" and final["due"] == "0.00" and final["stage"]["name"] == "Paid"
    # One receipt per payment: the cash one went out when it was recorded, this one now.
    receipt = eventually(mail("the receipt for the link payment, in Ukrainian",
                              lambda m: "отримано" in m["subject"] and "600,00" in m["text"]))
    assert f"№{number}" in receipt["subject"]
    assert eventually(mail("the receipt for the cash", lambda m: "отримано" in m["subject"] and "300,00" in m["text"]))

    # Two managers opened the card at version N; the first edit wins, the second is told so.
    version = final["version"]
    first = gateway.patch(f"/api/v1/orders/{order_id}", json={"tags": ["vip"]},
                          headers={**crm, "If-Match": f'"{version}"'})
    assert first.status_code == 200, first.text
    stale = gateway.patch(f"/api/v1/orders/{order_id}", json={"comment": "overwrite?"},
                          headers={**crm, "If-Match": f'"{version}"'})
    assert stale.status_code == 409 and stale.headers["content-type"].startswith("application/problem+json")
    assert card()["comment"] == "VIP: call before the start" and card()["tags"] == ["vip"]

    history = gateway.get(f"/api/v1/orders/{order_id}/history", headers=crm).json()["items"]
    assert len(history) >= 3  # created, payments, the edit
    export = gateway.get("/api/v1/orders/export.csv", params={"q": email}, headers=crm)
    assert export.status_code == 200 and str(number) in export.text and email in export.text
