"""The purchase through each real provider, across the whole stack.

The school sets its Stripe or WayForPay credentials and sells an offer through that provider.
A visitor opens it; the payments service asks the provider for a checkout (Stripe's SDK, our
WayForPay client) against local stand-ins of their APIs; the visitor gets the provider's page;
the provider's signed notification arrives at the public webhook; the order is paid once and
the receipt goes out. The notification's repeat changes nothing.
"""

import json
import time
from typing import Any

import httpx
import pytest
import stripe
from localstack.provider_standin import (
    STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET,
    WFP_DOMAIN,
    WFP_MERCHANT,
    WFP_SECRET,
    wfp_callback,
    wfp_raw,
)

pytestmark = pytest.mark.e2e

CREDENTIALS = {
    "stripe": {"secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WEBHOOK_SECRET},
    "wayforpay": {"merchant_account": WFP_MERCHANT, "secret_key": WFP_SECRET, "merchant_domain_name": WFP_DOMAIN},
}


def _stripe_notification(providers, payment_url: str) -> tuple[str, bytes, dict[str, str]]:
    [session] = [s for s in providers.sessions.values() if s["url"] == payment_url]
    event = {"id": f"evt_{time.time_ns()}", "object": "event", "type": "checkout.session.completed",
             "data": {"object": {**session, "status": "complete", "payment_status": "paid",
                                 "payment_intent": f"pi_{time.time_ns()}"}}}
    raw = json.dumps(event)
    signature = stripe.WebhookSignature.generate_signature_header(raw, STRIPE_WEBHOOK_SECRET)
    return "stripe", raw.encode(), {"Stripe-Signature": signature, "Content-Type": "application/json"}


def _wayforpay_notification(providers, payment_url: str) -> tuple[str, bytes, dict[str, str]]:
    [invoice] = [c for c in providers.wfp_calls
                 if c.get("transactionType") == "CREATE_INVOICE" and payment_url.endswith(c["orderReference"])]
    body = wfp_callback(invoice["orderReference"], invoice["amount"], currency=invoice["currency"])
    return invoice["serviceUrl"], wfp_raw(body), {"Content-Type": "application/json"}


@pytest.mark.parametrize("provider", ["stripe", "wayforpay"])
def test_a_purchase_through_the_provider(stack, providers, eventually, provider):
    gateway = httpx.Client(base_url=stack["gateway"], timeout=10)
    crm = {"Authorization": f"Bearer {stack['token']}"}
    mailbox = httpx.Client(base_url=stack["mailbox"], timeout=10)
    email = f"{provider}-{time.time_ns()}@example.com"

    demo = gateway.get(f"/api/v1/offers/{stack['offer_id']}", headers=crm).json()
    new_offer = {
        "title": f"Python via {provider}", "currency": "UAH", "provider": provider,
        "items": [{"product_id": demo["items"][0]["product_id"], "price": "1200.00"}],
    }
    # Before the school has set the provider up, it cannot sell through it.
    refused = gateway.post("/api/v1/offers", headers=crm, json=new_offer)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "provider"
    assert f"no {provider} credentials" in refused.json()["errors"][0]["message"]

    configured = gateway.put(f"/api/v1/providers/{provider}", json=CREDENTIALS[provider], headers=crm)
    assert configured.status_code == 200, configured.text
    shown = configured.text + gateway.get(f"/api/v1/providers/{provider}", headers=crm).text
    assert not any(secret in shown for secret in (STRIPE_KEY, STRIPE_WEBHOOK_SECRET, WFP_SECRET))

    def offer_created() -> httpx.Response | None:
        """offers heard from payments that the school has set the provider up"""
        created = gateway.post("/api/v1/offers", headers=crm, json=new_offer)
        assert created.status_code in (201, 422), created.text
        return created if created.status_code == 201 else None

    offer = eventually(offer_created, timeout=30)

    opened = gateway.post(f"/public/v1/offers/{offer.json()['id']}/checkouts",
                          json={"name": "Iryna Buyer", "email": email, "locale": "en"})
    assert opened.status_code == 202, opened.text

    def ready() -> dict[str, Any] | None:
        """the provider's checkout page is ready for the visitor"""
        status = httpx.get(opened.json()["status_url"], params={"wait": 2}, timeout=10).json()
        return status if status["status"] == "ready" else None

    status = eventually(ready)
    payment_url = status["payment_url"]
    expected = "checkout.stripe.test" if provider == "stripe" else "secure.wayforpay.test"
    assert expected in payment_url

    if provider == "stripe":
        _, raw, headers = _stripe_notification(providers, payment_url)
        webhook = f"{stack['payments_public']}/webhooks/stripe/{stack['account_id']}"
    else:
        webhook, raw, headers = _wayforpay_notification(providers, payment_url)
    for _ in range(2):  # providers repeat notifications; the repeat must change nothing
        answer = httpx.post(webhook, content=raw, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text

    def paid() -> dict[str, Any] | None:
        """the order shows paid"""
        card = gateway.get(f"/api/v1/orders/{status['order_number']}", headers=crm).json()
        return card if card["payment_status"] == "paid" else None

    card = eventually(paid)
    assert card["paid"] == "1200.00" and card["due"] == "0.00"
    [payment] = gateway.get(f"/api/v1/orders/{card['id']}/payments", headers=crm).json()["items"]
    assert (payment["status"], payment["provider"]) == ("paid", provider)

    def receipt() -> dict[str, Any] | None:
        """the receipt arrived"""
        return next((m for m in mailbox.get("/api/messages").json()
                     if email in m["to"] and "received" in m["subject"].lower()), None)

    assert "1,200.00" in eventually(receipt)["text"]
    time.sleep(1)
    receipts = [m for m in mailbox.get("/api/messages").json() if email in m["to"] and "received" in m["subject"].lower()]
    assert len(receipts) == 1  # one payment, one receipt, however often the provider called
