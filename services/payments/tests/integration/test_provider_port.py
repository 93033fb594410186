"""The provider port: one webhook route for every registered provider, and a provider made in a test.

The in-memory provider below is written against the port alone (nothing else in payments is
told about it) and goes through the credentials API, the worker's link, the generic webhook
route, the report use case and reconciliation, on real PostgreSQL: the port is enough.
"""

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
import stripe
from localstack.provider_standin import STRIPE_WEBHOOK_SECRET
from payments import service
from payments.domain.payment import Link, LinkOrder, Outcome, Payment
from payments.domain.providers import Acknowledgement, PaymentProvider, WebhookRequest
from payments.domain.reports import BadNotification, ProviderReport
from payments.reconcile import reconcile
from payments.adapters.unit_of_work import SqlUnitOfWork
from pydantic import Field
from servicekit.inputs import Input, Name
from servicekit.testing import as_account
from sqlalchemy import text

SIGNING_KEY = "mp_key_0123456789"


class MemoryPaySettings(Input):
    merchant: Name = Field(max_length=100)
    signing_key: str = Field(min_length=8, max_length=200)


class MemoryPay:
    """A provider that lives in memory: HMAC-SHA256 over the body in X-MemoryPay-Signature."""

    name = "memorypay"
    inline = False
    settings_model = MemoryPaySettings
    secret_fields = frozenset({"signing_key"})
    acknowledges_foreign_payments = False
    webhook_document = None  # not in the registry the document is built from

    def __init__(self) -> None:
        self.links: dict[str, LinkOrder] = {}
        self.statuses: dict[str, ProviderReport] = {}

    async def create_link(self, order: LinkOrder) -> Link:
        assert order.settings["signing_key"] == SIGNING_KEY  # the school's credentials, opened
        reference = f"mp-{order.payment.id}-{order.generation}"
        self.links[reference] = order
        return Link(url=f"https://memorypay.test/pay/{reference}", provider_reference=reference)

    async def check_status(self, payment: Payment, settings: Mapping[str, Any]) -> ProviderReport | None:
        return self.statuses.get(payment.provider_reference or "")

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> ProviderReport:
        expected = hmac.new(str(settings["signing_key"]).encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.header("X-MemoryPay-Signature") or ""):
            raise BadNotification(401, "signature does not match")
        data = json.loads(request.body)
        return ProviderReport(
            kind="succeeded", event_id=data["event"], payment_id=uuid.UUID(data["payment"]),
            amount=Decimal(data["amount"]), currency=data["currency"], provider_reference=data["transaction"],
            payload={"event": data["event"]},
        )

    def acknowledge(self, report: ProviderReport | None, outcome: Outcome, settings: Mapping[str, Any]
                    ) -> Acknowledgement:
        return Acknowledgement({"accepted": report.event_id if report else None, "outcome": outcome.value},
                               status=202)


def _conforms(provider: PaymentProvider) -> PaymentProvider:
    return provider


@pytest.fixture
def memorypay(client_app):
    _, app = client_app
    provider = _conforms(MemoryPay())
    app.state.providers[provider.name] = provider  # the registry the routes, worker and consumers share
    yield provider
    app.state.providers.pop(provider.name, None)


async def linked_payment(client, account, order, wait_for) -> dict:
    async def linked():
        response = await client.get(f"/orders/{order.order_id}/payments", headers=as_account(account))
        items = response.json()["items"]
        return items[0] if items and items[0]["link_url"] else None

    return await wait_for(linked)


async def card(client, account, payment_id) -> dict:
    return (await client.get(f"/payments/{payment_id}", headers=as_account(account))).json()


async def provider_events(app, payment_id) -> int:
    async with app.state.engine.connect() as conn:
        return await conn.scalar(text("SELECT count(*) FROM provider_events WHERE payment_id = :p"),
                                 {"p": str(payment_id)})


def memorypay_notice(payment: dict, *, key: str = SIGNING_KEY, event: str | None = None) -> tuple[bytes, dict]:
    raw = json.dumps({"event": event or f"mp-evt-{uuid.uuid4().hex}", "payment": payment["id"],
                      "amount": payment["amount"], "currency": payment["currency"], "transaction": "mp-txn-1"}).encode()
    return raw, {"X-MemoryPay-Signature": hmac.new(key.encode(), raw, hashlib.sha256).hexdigest()}


async def test_a_provider_written_against_the_port_alone_works_end_to_end(
    client_app, memorypay, order_created, outbox_events, wait_for,
):
    client, app = client_app
    account = uuid.uuid4()
    put = await client.put("/providers/memorypay", headers=as_account(account),
                           json={"merchant": "Kyiv Code", "signing_key": SIGNING_KEY})
    assert put.status_code == 200, put.text
    shown = (await client.get("/providers/memorypay", headers=as_account(account))).json()
    assert (shown["settings"], shown["secrets_set"]) == ({"merchant": "Kyiv Code"}, ["signing_key"])
    assert shown["webhook_url"] == f"http://pay.school.test/webhooks/memorypay/{account}"
    bad = await client.put("/providers/memorypay", headers=as_account(account), json={"merchant": "x"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    async with app.state.engine.connect() as conn:
        announced = await conn.scalar(text(
            "SELECT payload->'providers' FROM outbox WHERE topic = 'PaymentProvidersUpdated' "
            "AND payload->>'account_id' = :a ORDER BY id DESC LIMIT 1"), {"a": str(account)})
    assert announced == ["memorypay"]

    order = order_created(account, provider="memorypay")
    async with app.state.engine.begin() as conn:
        await service.create_order_payments(SqlUnitOfWork(conn), order, app.state.providers)
    payment = await linked_payment(client, account, order, wait_for)
    reference = f"mp-{payment['id']}-1"
    assert (payment["link_url"], payment["provider_reference"]) == (f"https://memorypay.test/pay/{reference}", reference)

    webhook = f"/webhooks/memorypay/{account}"
    raw, headers = memorypay_notice(payment, key="not-the-key-at-all")
    forged = await client.post(webhook, content=raw, headers=headers)
    assert forged.status_code == 401 and forged.headers["content-type"].startswith("application/problem+json")
    assert (await card(client, account, payment["id"]))["status"] == "unpaid"
    assert await provider_events(app, payment["id"]) == 0

    raw, headers = memorypay_notice(payment, event="mp-evt-1")
    taken = await client.post(webhook, content=raw, headers=headers)
    assert (taken.status_code, taken.json()) == (202, {"accepted": "mp-evt-1", "outcome": "paid"})
    again = await client.post(webhook, content=raw, headers=headers)
    assert (again.status_code, again.json()["outcome"]) == (202, "duplicate")
    paid = await card(client, account, payment["id"])
    assert (paid["status"], paid["provider_reference"]) == ("paid", "mp-txn-1")
    [succeeded] = await outbox_events("PaymentSucceeded", payment_id=payment["id"])
    assert (succeeded["provider"], succeeded["amount"]) == ("memorypay", payment["amount"])
    # Another school's webhook URL does not settle this school's payment.
    elsewhere = await client.post(f"/webhooks/memorypay/{uuid.uuid4()}", content=raw, headers=headers)
    assert elsewhere.status_code == 404

    # Reconciliation asks it too, through the same port, and applies the answer as a webhook is.
    second = order_created(account, provider="memorypay")
    async with app.state.engine.begin() as conn:
        await service.create_order_payments(SqlUnitOfWork(conn), second, app.state.providers)
    stuck = await linked_payment(client, account, second, wait_for)
    memorypay.statuses[stuck["provider_reference"]] = ProviderReport(
        kind="succeeded", event_id=f"reconcile:{stuck['provider_reference']}", payment_id=uuid.UUID(stuck["id"]),
        amount=Decimal(stuck["amount"]), currency=stuck["currency"], provider_reference="mp-txn-2",
    )
    await reconcile(app.state.engine, app.state.providers, app.state.sealer)
    assert (await card(client, account, stuck["id"]))["status"] == "paid"
    assert len(await outbox_events("PaymentSucceeded", payment_id=stuck["id"])) == 1


def stripe_signed(event: dict, secret: str) -> tuple[bytes, dict]:
    raw = json.dumps(event)
    return raw.encode(), {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(raw, secret)}


def stripe_paid(payment: dict, session: dict) -> dict:
    obj = {**session, "payment_status": "paid", "status": "complete", "payment_intent": "pi_port"}
    return {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "checkout.session.completed",
            "data": {"object": obj}}


@pytest.mark.parametrize("provider", ["stripe", "wayforpay"])
async def test_the_generic_route_reaches_each_registered_provider(
    provider, client_app, place_order, configure, standin, wfp_callbacks, outbox_events, wait_for,
):
    client, app = client_app
    account = uuid.uuid4()
    await configure(account, provider)
    order = await place_order(account, provider=provider)
    payment = await linked_payment(client, account, order, wait_for)
    if provider == "stripe":
        event = stripe_paid(payment, standin.sessions[payment["provider_reference"]])
        valid = stripe_signed(event, STRIPE_WEBHOOK_SECRET)
        forged = stripe_signed(event, "whsec_forged")
    else:
        build, raw_of = wfp_callbacks
        body = build(payment["provider_reference"], "1500")
        valid = raw_of(body), {"Content-Type": "application/json"}
        forged = raw_of({**body, "merchantSignature": "0" * 32}), {"Content-Type": "application/json"}
    webhook = f"/webhooks/{provider}/{account}"

    refused = await client.post(webhook, content=forged[0], headers=forged[1])
    assert refused.status_code == 400 and refused.headers["content-type"].startswith("application/problem+json")
    assert (await card(client, account, payment["id"]))["status"] == "unpaid"
    assert await provider_events(app, payment["id"]) == 0
    assert await outbox_events("PaymentSucceeded", payment_id=payment["id"]) == []

    taken = await client.post(webhook, content=valid[0], headers=valid[1])
    assert taken.status_code == 200, taken.text
    answer = taken.json()
    if provider == "stripe":
        assert answer == {"received": True, "outcome": "paid"}
    else:
        assert (answer["orderReference"], answer["status"]) == (payment["provider_reference"], "accept")
    assert (await card(client, account, payment["id"]))["status"] == "paid"
    assert len(await outbox_events("PaymentSucceeded", payment_id=payment["id"])) == 1


@pytest.mark.parametrize("path", [
    "/webhooks/paypal/{account}",  # no such provider in the registry
    "/webhooks/sandbox/{account}",  # nobody signs for the sandbox: its page settles payments
    "/webhooks/stripe/not-an-account",
    "/webhooks/stripe/{other}",  # an account with no Stripe settings
])
async def test_an_unknown_provider_or_account_is_a_404_problem(path, client_app, configure):
    client, _ = client_app
    account = uuid.uuid4()
    await configure(account, "stripe")
    raw, headers = stripe_signed({"id": "evt_x", "object": "event", "type": "charge.succeeded",
                                  "data": {"object": {}}}, STRIPE_WEBHOOK_SECRET)
    response = await client.post(path.format(account=account, other=uuid.uuid4()), content=raw, headers=headers)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
