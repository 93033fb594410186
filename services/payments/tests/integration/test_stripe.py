"""Stripe: Checkout Sessions through the SDK against a local stand-in, signed webhooks, refunds, reconcile."""

import asyncio
import json
import logging
import time
import uuid

import pytest
import stripe
from localstack.provider_standin import STRIPE_KEY, STRIPE_WEBHOOK_SECRET, WFP_SECRET, wfp_callback, wfp_raw
from payments.reconcile import reconcile
from servicekit.testing import as_account
from sqlalchemy import text

SECRET = "whsec_test_secret"


def sign(event: dict, *, secret: str = SECRET, timestamp: int | None = None) -> tuple[bytes, dict]:
    raw = json.dumps(event)
    return raw.encode(), {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
        raw, secret, timestamp=timestamp), "Content-Type": "application/json"}


def session_event(session: dict, kind: str = "checkout.session.completed", **changes) -> dict:
    obj = {**session, **changes}
    return {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": kind, "data": {"object": obj}}


@pytest.fixture
def stripe_order(client_app, place_order, configure, standin, wait_for):
    """A stripe order whose first payment got its Checkout Session from the worker."""
    client, app = client_app

    async def make(**kwargs):
        account = uuid.uuid4()
        await configure(account, "stripe")
        order = await place_order(account, provider="stripe", **kwargs)

        async def linked():
            response = await client.get(f"/orders/{order.order_id}/payments", headers=as_account(account))
            items = response.json()["items"]
            return items if items[0]["link_url"] else None

        items = await wait_for(linked)
        return order, items[0], standin.sessions[items[0]["provider_reference"]]

    return make


async def post_event(client, account_id, event, **kwargs):
    raw, headers = sign(event, **kwargs)
    return await client.post(f"/webhooks/stripe/{account_id}", content=raw, headers=headers)


async def card(client, order, payment_id):
    return (await client.get(f"/payments/{payment_id}", headers=as_account(order.account_id))).json()


async def test_a_checkout_session_is_created_through_the_sdk_after_commit(stripe_order, standin, outbox_events):
    order, payment, session = await stripe_order()
    call = next(c for c in standin.stripe_calls if c["form"].get("client_reference_id") == payment["id"])
    form = call["form"]
    assert call["idempotency_key"] == f"checkout:{payment['id']}:1"
    assert call["authorization"] == "Bearer sk_test_standin"
    assert (form["mode"], form["line_items[0][price_data][currency]"],
            form["line_items[0][price_data][unit_amount]"], form["line_items[0][quantity]"]) == (
        "payment", "uah", "150000", "1")
    assert form["line_items[0][price_data][product_data][name]"] == "Kyiv Code School, order 42"
    assert form["metadata[payment_id]"] == form["payment_intent_data[metadata][payment_id]"] == payment["id"]
    assert (form["customer_email"], form["locale"]) == ("olena@example.com", "uk")
    assert payment["link_url"] == session["url"]
    [issued] = await outbox_events("PaymentLinkIssued", payment_id=payment["id"])
    assert (issued["url"], issued["provider"], issued["send_email"]) == (session["url"], "stripe", True)
    assert issued["checkout_id"] == str(order.checkout_id) and issued["causation_id"] == str(order.event_id)
    assert issued["expires_at"] is not None


async def _linked_after_trouble(client, place_order, configure, standin, wait_for):
    account = uuid.uuid4()
    await configure(account, "stripe")
    order = await place_order(account, provider="stripe")

    async def linked():
        response = await client.get(f"/orders/{order.order_id}/payments", headers=as_account(account))
        items = response.json()["items"]
        return items[0] if items[0]["link_url"] else None

    payment = await wait_for(linked)
    calls = [c for c in standin.stripe_calls if c["form"].get("client_reference_id") == payment["id"]]
    return payment, [c["idempotency_key"] for c in calls]


async def test_a_refusal_stripe_did_not_save_is_retried_with_the_same_idempotency_key(
    client_app, place_order, configure, standin, wait_for
):
    client, _ = client_app
    standin.stripe_rate_limits = 1
    payment, keys = await _linked_after_trouble(client, place_order, configure, standin, wait_for)
    assert keys == [f"checkout:{payment['id']}:1"] * 2
    assert payment["link_error"] is None


async def test_a_5xx_stripe_saved_under_the_key_is_retried_as_a_new_generation(
    client_app, place_order, configure, standin, wait_for, outbox_events
):
    client, _ = client_app
    standin.stripe_failures = 1
    payment, keys = await _linked_after_trouble(client, place_order, configure, standin, wait_for)
    # Repeating key 1 would only replay the saved 500: the retry is generation 2, a new key.
    assert keys == [f"checkout:{payment['id']}:1", f"checkout:{payment['id']}:2"]
    assert f"checkout:{payment['id']}:1" in standin.saved_errors
    session = standin.by_key[f"checkout:{payment['id']}:2"]
    assert (payment["link_url"], payment["provider_reference"], payment["link_error"]) == (
        session["url"], session["id"], None)
    [issued] = await outbox_events("PaymentLinkIssued", payment_id=payment["id"])
    assert (issued["url"], issued["send_email"]) == (session["url"], True)


async def test_a_paid_session_pays_once_whatever_is_repeated(client_app, stripe_order, outbox_events):
    client, _ = client_app
    order, payment, session = await stripe_order()
    event = session_event(session, payment_status="paid", status="complete", payment_intent="pi_123")
    first = await post_event(client, order.account_id, event)
    assert first.status_code == 200 and first.json()["outcome"] == "paid"
    assert (await post_event(client, order.account_id, event)).json()["outcome"] == "duplicate"
    later = session_event(session, "checkout.session.async_payment_succeeded", payment_status="paid")
    assert (await post_event(client, order.account_id, later)).json()["outcome"] == "already_paid"
    # An expiry that arrives late changes nothing either.
    assert (await post_event(client, order.account_id, session_event(session, "checkout.session.expired"))
            ).status_code == 200
    paid = await card(client, order, payment["id"])
    assert (paid["status"], paid["provider_reference"], paid["attempts"]) == ("paid", "pi_123", 1)
    [succeeded] = await outbox_events("PaymentSucceeded", payment_id=payment["id"])
    assert (succeeded["amount"], succeeded["currency"], succeeded["provider"]) == ("1500.00", "UAH", "stripe")


async def test_a_delayed_method_pays_on_async_success(client_app, stripe_order, outbox_events):
    client, _ = client_app
    order, payment, session = await stripe_order()
    pending = await post_event(client, order.account_id, session_event(session, payment_status="unpaid"))
    assert pending.json()["outcome"] == "nothing"
    assert (await card(client, order, payment["id"]))["status"] == "unpaid"
    done = session_event(session, "checkout.session.async_payment_succeeded", payment_status="paid")
    assert (await post_event(client, order.account_id, done)).json()["outcome"] == "paid"
    assert len(await outbox_events("PaymentSucceeded", payment_id=payment["id"])) == 1


async def test_an_event_about_a_payment_the_school_does_not_have_is_acknowledged_and_changes_nothing(
    client_app, stripe_order, outbox_events,
):
    """One Stripe account may serve other shops; a non-2xx answer would be retried for days."""
    client, app = client_app
    order, payment, session = await stripe_order()
    other_school, _, _ = await stripe_order()
    for event in (session_event(session, payment_status="paid", client_reference_id=str(uuid.uuid4()),
                                metadata={"payment_id": str(uuid.uuid4())}),
                  session_event(session, payment_status="paid", client_reference_id="not-ours", metadata={})):
        answered = await post_event(client, order.account_id, event)
        assert answered.status_code == 200, answered.text
        assert answered.json()["outcome"] == "not_ours"
    # This school's payment, told to another school's endpoint, is not that school's either.
    elsewhere = await post_event(client, other_school.account_id, session_event(session, payment_status="paid"))
    assert elsewhere.status_code == 200 and elsewhere.json()["outcome"] == "not_ours"
    assert (await card(client, order, payment["id"]))["status"] == "unpaid"
    assert await outbox_events("PaymentSucceeded", payment_id=payment["id"]) == []
    async with app.state.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM provider_events WHERE payment_id = :p"),
                                 {"p": payment["id"]}) == 0


async def test_bad_notifications_are_refused_and_change_nothing(client_app, stripe_order, outbox_events):
    client, app = client_app
    order, payment, session = await stripe_order()
    paid = session_event(session, payment_status="paid")
    cases = [
        (await post_event(client, order.account_id, paid, secret="whsec_forged"), 400),
        # Clear of the 300 s tolerance: a loaded machine takes time between signing and checking
        # (the exact boundary is tested above with a fixed clock).
        (await post_event(client, order.account_id, paid, timestamp=int(time.time()) - 330), 400),
        # Signed an hour ahead: the tolerance holds in both directions.
        (await post_event(client, order.account_id, paid, timestamp=int(time.time()) + 3600), 400),
        (await post_event(client, order.account_id, paid, timestamp=int(time.time()) + 330), 400),
        (await post_event(client, order.account_id, session_event(session, payment_status="paid",
                                                                 amount_total=149999)), 422),
        (await post_event(client, order.account_id, session_event(session, payment_status="paid",
                                                                 currency="xyz")), 422),
        (await post_event(client, uuid.uuid4(), paid), 404),
        # Another school's endpoint cannot settle this school's payment.
        (await post_event(client, uuid.uuid4(), paid), 404),
    ]
    raw = b"{not json"
    header = stripe.WebhookSignature.generate_signature_header(raw.decode(), SECRET)
    cases.append((await client.post(f"/webhooks/stripe/{order.account_id}", content=raw,
                                    headers={"Stripe-Signature": header}), 400))
    cases.append((await client.post(f"/webhooks/stripe/{order.account_id}", content=json.dumps(paid).encode(),
                                    headers={"Stripe-Signature": "garbage"}), 400))
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await card(client, order, payment["id"]))["status"] == "unpaid"
    assert await outbox_events("PaymentSucceeded", payment_id=payment["id"]) == []
    async with app.state.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM provider_events WHERE payment_id = :p"),
                                 {"p": payment["id"]}) == 0


async def test_a_decline_counts_an_attempt_and_emits_payment_failed(client_app, stripe_order, outbox_events):
    client, _ = client_app
    order, payment, session = await stripe_order()
    intent = {"id": "pi_9", "object": "payment_intent", "metadata": {"payment_id": payment["id"]},
              "last_payment_error": {"message": "Your card has insufficient funds.",
                                     "decline_code": "insufficient_funds"}}
    event = {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "payment_intent.payment_failed",
             "data": {"object": intent}}
    for _ in range(2):
        assert (await post_event(client, order.account_id, event)).status_code == 200
    declined = await card(client, order, payment["id"])
    assert (declined["status"], declined["attempts"], declined["last_failure"]) == (
        "unpaid", 1, "Your card has insufficient funds.")
    [failed] = await outbox_events("PaymentFailed", payment_id=payment["id"])
    assert (failed["attempt"], failed["reason"], failed["provider"]) == (
        1, "Your card has insufficient funds.", "stripe")


async def test_an_expired_session_is_replaced_when_the_link_is_needed_again(
    client_app, stripe_order, standin, outbox_events, wait_for
):
    client, _ = client_app
    order, payment, session = await stripe_order()
    assert (await post_event(client, order.account_id, session_event(session, "checkout.session.expired"))
            ).status_code == 200
    assert (await card(client, order, payment["id"]))["link_url"] is None
    sent = await client.post(f"/payments/{payment['id']}/send-link", headers=as_account(order.account_id))
    assert sent.status_code == 202

    async def reissued():
        events = await outbox_events("PaymentLinkIssued", payment_id=payment["id"])
        return events if len(events) == 2 else None

    first, second = await wait_for(reissued)
    assert second["send_email"] is True and second["url"] != first["url"]
    keys = [c["idempotency_key"] for c in standin.stripe_calls if c["form"].get("client_reference_id") == payment["id"]]
    assert keys == [f"checkout:{payment['id']}:1", f"checkout:{payment['id']}:2"]


async def test_a_reminder_on_a_stale_link_carries_a_fresh_one(client_app, stripe_order, outbox_events, wait_for):
    client, app = client_app
    order, payment, _ = await stripe_order()
    async with app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE payments SET link_expires_at = now() - interval '1 minute' WHERE id = :p"),
                           {"p": payment["id"]})
    assert (await client.post(f"/payments/{payment['id']}/reminders",
                              headers=as_account(order.account_id))).status_code == 202
    [reminder] = await wait_for(lambda: outbox_events("ReminderRequested", payment_id=payment["id"]))
    fresh = await card(client, order, payment["id"])
    assert reminder["url"] == fresh["link_url"] != payment["link_url"]
    assert reminder["reason"] == "manual"


async def test_refunds_emit_what_is_newly_refunded(client_app, stripe_order, outbox_events):
    client, _ = client_app
    order, payment, session = await stripe_order()
    await post_event(client, order.account_id, session_event(session, payment_status="paid", payment_intent="pi_r"))

    def refund(amount_refunded):
        charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_r", "currency": "uah",
                  "amount_refunded": amount_refunded, "metadata": {}}
        return {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "charge.refunded",
                "data": {"object": charge}}

    partial, full = refund(50000), refund(150000)
    assert (await post_event(client, order.account_id, partial)).json()["outcome"] == "refunded"
    assert (await post_event(client, order.account_id, full)).json()["outcome"] == "refunded"
    assert (await post_event(client, order.account_id, full)).json()["outcome"] == "duplicate"
    late = refund(50000)  # an older picture arriving last
    assert (await post_event(client, order.account_id, late)).json()["outcome"] == "nothing"
    refunds = await outbox_events("PaymentRefunded", payment_id=payment["id"])
    assert [r["amount"] for r in refunds] == ["500.00", "1000.00"]
    final = await card(client, order, payment["id"])
    assert (final["status"], final["refunded_amount"]) == ("refunded", "1500.00")


async def test_reconcile_applies_a_payment_whose_webhook_never_came(
    client_app, stripe_order, standin, outbox_events
):
    client, app = client_app
    order, payment, session = await stripe_order()
    standin.sessions[session["id"]] = {**session, "payment_status": "paid", "status": "complete",
                                       "payment_intent": "pi_rec"}
    await reconcile(app.state.engine, app.state.providers, app.state.sealer)
    await reconcile(app.state.engine, app.state.providers, app.state.sealer)
    paid = await card(client, order, payment["id"])
    assert (paid["status"], paid["provider_reference"]) == ("paid", "pi_rec")
    assert len(await outbox_events("PaymentSucceeded", payment_id=payment["id"])) == 1
    # The webhook arriving after all changes nothing.
    late = session_event(session, payment_status="paid", payment_intent="pi_rec")
    assert (await post_event(client, order.account_id, late)).json()["outcome"] == "already_paid"


async def test_mark_paid_racing_webhooks_ends_with_one_payment_succeeded(client_app, stripe_order, outbox_events):
    client, _ = client_app
    for _ in range(3):
        order, payment, session = await stripe_order()
        headers = as_account(order.account_id, role="manager")
        responses = await asyncio.gather(
            client.post(f"/payments/{payment['id']}/mark-paid", json={"comment": "cash"}, headers=headers),
            *(post_event(client, order.account_id, session_event(session, payment_status="paid"))
              for _ in range(3)),
            client.post(f"/payments/{payment['id']}/mark-paid", json={"comment": "cash"}, headers=headers),
        )
        assert sorted(r.status_code for r in responses) in ([200] * 4 + [409], [200] * 3 + [409] * 2)
        assert len(await outbox_events("PaymentSucceeded", payment_id=payment["id"])) == 1


async def test_the_reconcile_command_runs_as_a_process(client_app, stripe_order, standin, outbox_events):
    import os
    import sys

    client, app = client_app
    order, payment, session = await stripe_order()
    standin.sessions[session["id"]] = {**session, "payment_status": "paid", "status": "complete"}
    env = {**os.environ, "PAYMENTS_DATABASE_URL": app.state.settings.database_url,
           "PAYMENTS_STRIPE_API_BASE": standin.url, "PAYMENTS_LOG_JSON": "false"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "payments", "reconcile", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    counts = json.loads(out.decode().strip().splitlines()[-1])
    assert counts["changed"] >= 1
    assert (await card(client, order, payment["id"]))["status"] == "paid"
    assert len(await outbox_events("PaymentSucceeded", payment_id=payment["id"])) == 1


@pytest.mark.parametrize("provider", ["stripe", "wayforpay"])
async def test_the_schools_secrets_reach_no_log_no_event_and_no_answer(
    client_app, place_order, configure, standin, wait_for, caplog, provider,
):
    """Credentials set, a link made through the provider, a signed webhook applied: no secret shows anywhere."""
    client, app = client_app
    caplog.set_level(logging.DEBUG)
    account = uuid.uuid4()
    await configure(account, provider)
    order = await place_order(account, provider=provider)

    async def linked():
        response = await client.get(f"/orders/{order.order_id}/payments", headers=as_account(account))
        items = response.json()["items"]
        return items[0] if items[0]["link_url"] else None

    payment = await wait_for(linked)
    if provider == "stripe":
        session = standin.sessions[payment["provider_reference"]]
        event = session_event(session, payment_status="paid", status="complete", payment_intent="pi_secret_check")
        assert (await post_event(client, account, event)).json()["outcome"] == "paid"
        secrets = (STRIPE_KEY, STRIPE_WEBHOOK_SECRET)
    else:
        body = wfp_callback(payment["provider_reference"], "1500")
        response = await client.post(f"/webhooks/wayforpay/{account}", content=wfp_raw(body),
                                     headers={"Content-Type": "text/plain"})
        assert response.status_code == 200 and response.json()["status"] == "accept", response.text
        secrets = (WFP_SECRET,)
    assert (await card(client, order, payment["id"]))["status"] == "paid"
    answers = [await client.get(path, headers=as_account(account)) for path in (
        f"/providers/{provider}", f"/payments/{payment['id']}", f"/orders/{order.order_id}/payments")]
    async with app.state.engine.connect() as conn:
        events = [r[0] for r in await conn.execute(text("SELECT payload::text || headers::text FROM outbox"))]
    seen = {"logs": caplog.text, "events": "\n".join(events), "answers": "\n".join(a.text for a in answers)}
    assert events and all(a.status_code == 200 for a in answers)
    for where, text_seen in seen.items():
        for secret in secrets:
            assert secret not in text_seen, f"a {provider} secret in the {where}"
