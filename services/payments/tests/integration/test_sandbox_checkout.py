"""The sandbox's hosted page and its confirmations, through HTTP on real PostgreSQL."""

import asyncio
from datetime import datetime
import uuid
from decimal import Decimal

from payments.adapters import repository as repo
from payments.domain.payment import Payment
from servicekit.testing import as_account
from sqlalchemy import text


async def first_payment(client, order) -> dict:
    response = await client.get(f"/orders/{order.order_id}/payments", headers=as_account(order.account_id))
    return response.json()["items"][0]


async def payment_now(client, order, payment_id) -> dict:
    return (await client.get(f"/payments/{payment_id}", headers=as_account(order.account_id))).json()


async def succeeded_events(app, payment_id) -> list[dict]:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM outbox WHERE topic = 'PaymentSucceeded' AND payload->>'payment_id' = :p"),
            {"p": str(payment_id)},
        )
        return [r.payload for r in rows]


async def outbox_count(app, payment_id) -> int:
    async with app.state.engine.connect() as conn:
        return await conn.scalar(
            text("SELECT count(*) FROM outbox WHERE payload->>'payment_id' = :p"), {"p": str(payment_id)}
        )


def succeed_form(amount="1500.00", currency="UAH", event_id=None) -> dict[str, str]:
    return {"event_id": event_id or uuid.uuid4().hex, "amount": amount, "currency": currency}


async def test_the_page_shows_the_amount_and_both_outcomes(client_app, place_order):
    client, _ = client_app
    order = await place_order(plan=[("regular", "1547.30")])
    payment = await first_payment(client, order)
    page = await client.get(f"/sandbox/pay/{payment['id']}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "1547.30 UAH" in page.text
    assert f'action="{payment["id"]}/succeed"' in page.text
    assert f'action="{payment["id"]}/decline"' in page.text
    assert 'name="amount" value="1547.30"' in page.text


async def test_the_page_shows_zero_decimals_for_currencies_without_minor_units(client_app, place_order):
    client, _ = client_app
    order = await place_order(plan=[("regular", "15000")], currency="JPY")
    payment = await first_payment(client, order)
    assert payment["amount"] == "15000"
    assert "15000 JPY" in (await client.get(f"/sandbox/pay/{payment['id']}")).text


async def test_succeed_marks_paid_and_emits_payment_succeeded_once(client_app, place_order):
    client, app = client_app
    order = await place_order()
    payment = await first_payment(client, order)
    form = succeed_form()
    response = await client.post(f"/sandbox/pay/{payment['id']}/succeed", data=form)
    assert response.status_code == 200, response.text
    assert "Payment received" in response.text
    paid = await payment_now(client, order, payment["id"])
    assert paid["status"] == "paid" and paid["paid_at"] is not None and paid["attempts"] == 1
    assert paid["provider_reference"] == f"sandbox-txn-{form['event_id']}"

    # A repeat of the same notification, then a fresh one: neither changes anything.
    for again in (form, succeed_form()):
        response = await client.post(f"/sandbox/pay/{payment['id']}/succeed", data=again)
        assert response.status_code == 200 and "Payment received" in response.text
    assert await payment_now(client, order, payment["id"]) == paid

    events = await succeeded_events(app, payment["id"])
    assert len(events) == 1
    event = events[0]
    assert (event["order_id"], event["account_id"], event["correlation_id"]) == (
        str(order.order_id), str(order.account_id), str(order.correlation_id),
    )
    assert (event["amount"], event["currency"], event["provider"], event["method"]) == (
        "1500.00", "UAH", "sandbox", "cashless",
    )
    assert event["provider_reference"] == paid["provider_reference"]
    async with app.state.engine.connect() as conn:
        kinds = (await conn.scalars(
            text("SELECT kind FROM provider_events WHERE payment_id = :p ORDER BY id"), {"p": payment["id"]}
        )).all()
    assert kinds == ["payment.succeeded", "payment.succeeded"]


async def test_concurrent_confirmations_pay_once(client_app, place_order):
    client, app = client_app
    order = await place_order()
    payment = await first_payment(client, order)
    same = succeed_form()
    forms = [same, same, same] + [succeed_form() for _ in range(5)]
    responses = await asyncio.gather(
        *(client.post(f"/sandbox/pay/{payment['id']}/succeed", data=f) for f in forms)
    )
    assert [r.status_code for r in responses] == [200] * len(forms)
    assert (await payment_now(client, order, payment["id"]))["attempts"] == 1
    assert len(await succeeded_events(app, payment["id"])) == 1


async def test_a_wrong_amount_or_currency_is_refused_and_changes_nothing(client_app, place_order):
    client, app = client_app
    order = await place_order()
    payment = await first_payment(client, order)
    for form in (succeed_form(amount="1499.99"), succeed_form(currency="EUR")):
        response = await client.post(f"/sandbox/pay/{payment['id']}/succeed", data=form)
        assert response.status_code == 422
        assert response.json()["title"] == "Amount mismatch"
    assert (await payment_now(client, order, payment["id"]))["status"] == "unpaid"
    assert await succeeded_events(app, payment["id"]) == []


async def test_a_form_without_the_amount_names_the_field(client_app, place_order):
    client, _ = client_app
    order = await place_order()
    payment = await first_payment(client, order)
    response = await client.post(f"/sandbox/pay/{payment['id']}/succeed", data={"currency": "UAH"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"amount"}


async def test_decline_counts_an_attempt_keeps_the_reason_and_emits_payment_failed(client_app, place_order):
    client, app = client_app
    order = await place_order()
    payment = await first_payment(client, order)
    queued = await outbox_count(app, payment["id"])  # the link issued with the order
    response = await client.post(f"/sandbox/pay/{payment['id']}/decline", data={"event_id": uuid.uuid4().hex})
    assert response.status_code == 200
    assert "Payment declined" in response.text and "Try again" in response.text
    declined = await payment_now(client, order, payment["id"])
    assert (declined["status"], declined["attempts"], declined["last_failure"]) == (
        "unpaid", 1, "Card declined (sandbox)",
    )
    assert "Card declined (sandbox)" in (await client.get(f"/sandbox/pay/{payment['id']}")).text
    assert await outbox_count(app, payment["id"]) == queued + 1
    async with app.state.engine.connect() as conn:
        failed = (await conn.execute(
            text("SELECT payload FROM outbox WHERE topic = 'PaymentFailed' AND payload->>'payment_id' = :p"),
            {"p": payment["id"]},
        )).scalar_one()
    assert (failed["attempt"], failed["reason"], failed["amount"], failed["provider"]) == (
        1, "Card declined (sandbox)", "1500.00", "sandbox",
    )

    await client.post(f"/sandbox/pay/{payment['id']}/decline", data={"reason": "Insufficient funds"})
    for _ in range(2):  # the provider confirming twice is still one payment
        await client.post(f"/sandbox/pay/{payment['id']}/succeed", data=succeed_form())
    paid = await payment_now(client, order, payment["id"])
    assert (paid["status"], paid["attempts"]) == ("paid", 3)
    late = await client.post(f"/sandbox/pay/{payment['id']}/decline", data={"reason": "too late"})
    assert late.status_code == 200 and "Payment received" in late.text

    listed = (await client.get(f"/orders/{order.order_id}/payments", headers=as_account(order.account_id))).json()
    [shown] = listed["items"]
    history = [(a["outcome"], a["reason"], a["provider"]) for a in shown["attempt_history"]]
    assert history == [
        ("declined", "Card declined (sandbox)", "sandbox"), ("declined", "Insufficient funds", "sandbox"),
        ("succeeded", None, "sandbox"),
    ]
    assert [datetime.fromisoformat(a["at"]) for a in shown["attempt_history"]] == sorted(
        datetime.fromisoformat(a["at"]) for a in shown["attempt_history"])
    assert {"marked_by", "parts", "link_expires_at", "link_url", "attempts", "last_failure"} <= shown.keys()
    assert (shown["marked_by"], shown["parts"]) == (None, [])
    assert await payment_now(client, order, payment["id"]) == paid


async def test_a_repeated_decline_counts_once(client_app, place_order):
    client, _ = client_app
    order = await place_order()
    payment = await first_payment(client, order)
    form = {"event_id": uuid.uuid4().hex, "reason": "Insufficient funds"}
    for _ in range(2):
        assert (await client.post(f"/sandbox/pay/{payment['id']}/decline", data=form)).status_code == 200
    declined = await payment_now(client, order, payment["id"])
    assert (declined["attempts"], declined["last_failure"]) == (1, "Insufficient funds")


async def test_an_unknown_payment_is_a_problem(client_app):
    client, _ = client_app
    unknown = uuid.uuid4()
    for response in (
        await client.get(f"/sandbox/pay/{unknown}"),
        await client.post(f"/sandbox/pay/{unknown}/succeed", data=succeed_form()),
        await client.post(f"/sandbox/pay/{unknown}/decline", data={}),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_sandbox_cannot_settle_another_providers_payment(client_app):
    client, app = client_app
    real = Payment(account_id=uuid.uuid4(), order_id=uuid.uuid4(), number=1, amount=Decimal("1500.00"),
                   currency="UAH", provider="stripe")
    async with app.state.engine.begin() as conn:
        await repo.add_payments(conn, [real])
    assert (await client.get(f"/sandbox/pay/{real.id}")).status_code == 404
    assert (await client.post(f"/sandbox/pay/{real.id}/succeed", data=succeed_form())).status_code == 404
    assert (await client.post(f"/sandbox/pay/{real.id}/decline", data={})).status_code == 404
    async with app.state.engine.connect() as conn:
        row = (await conn.execute(text("SELECT status, attempts FROM payments WHERE id = :p"), {"p": real.id})).one()
    assert tuple(row) == ("unpaid", 0)
