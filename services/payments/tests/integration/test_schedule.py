"""Scheduled reminders, overdue payments and cancelled orders, with the worker running on real PostgreSQL."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from contracts import OrderUpdated, PlannedPayment
from payments import service
from payments.adapters.unit_of_work import SqlUnitOfWork
from servicekit.errors import NotYet
from servicekit.testing import as_account
from sqlalchemy import text


def planned(hours_from_now: float, amount: str = "700", **kwargs) -> PlannedPayment:
    return PlannedPayment(amount=Decimal(amount), due_at=datetime.now(UTC) + timedelta(hours=hours_from_now),
                          **kwargs)


async def reminder_rows(app, payment_id):
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT offset_hours, status FROM reminders WHERE payment_id = :p ORDER BY planned_at, offset_hours"),
            {"p": payment_id},
        )
        return [tuple(r) for r in rows]


async def come_due(app, payment_id, offset_hours):
    """Let time pass for one reminder."""
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE reminders SET remind_at = now() - interval '1 second' "
                 "WHERE payment_id = :p AND offset_hours = :o AND status = 'pending'"),
            {"p": payment_id, "o": offset_hours},
        )


async def items(client, order):
    response = await client.get(f"/orders/{order.order_id}/payments", headers=as_account(order.account_id))
    return response.json()["items"]


async def test_scheduled_reminders_go_out_once_each_and_stop_once_paid(
    client_app, place_order, outbox_events, wait_for
):
    client, app = client_app
    order = await place_order(payments=[planned(2)])
    [payment] = await items(client, order)
    # Three days and one day before are already past: only the ones after the date are planned.
    assert await reminder_rows(app, payment["id"]) == [(24, "pending"), (72, "pending")]
    await come_due(app, payment["id"], 24)
    [reminder] = await wait_for(lambda: outbox_events("ReminderRequested", payment_id=payment["id"]))
    assert (reminder["reason"], reminder["url"], reminder["amount"]) == ("scheduled", payment["link_url"], "700.00")
    await asyncio.sleep(0.5)  # the worker keeps polling: nothing goes out twice
    assert len(await outbox_events("ReminderRequested", payment_id=payment["id"])) == 1
    assert await reminder_rows(app, payment["id"]) == [(24, "sent"), (72, "pending")]

    await client.post(f"/payments/{payment['id']}/mark-paid", json={"comment": "cash"},
                      headers=as_account(order.account_id))
    assert await reminder_rows(app, payment["id"]) == [(24, "sent"), (72, "stopped")]


async def test_a_schools_schedule_and_a_new_date_replan_the_reminders(client_app, place_order):
    client, app = client_app
    account = uuid.uuid4()
    order = await place_order(account, payments=[planned(48)])
    [payment] = await items(client, order)
    assert await reminder_rows(app, payment["id"]) == [(-24, "pending"), (24, "pending"), (72, "pending")]
    await client.put("/reminder-schedule", json={"offsets_hours": [-1, 5]}, headers=as_account(account))
    assert sorted(await reminder_rows(app, payment["id"])) == sorted(
        [(-24, "stopped"), (24, "stopped"), (72, "stopped"), (-1, "pending"), (5, "pending")])
    later = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    await client.patch(f"/payments/{payment['id']}", json={"due_at": later}, headers=as_account(account))
    rows = await reminder_rows(app, payment["id"])
    assert rows.count((-1, "pending")) == 1 and rows.count((5, "pending")) == 1 and len(rows) == 7


async def test_a_scheduled_reminder_on_a_stale_stripe_link_gets_a_fresh_session(
    client_app, place_order, configure, outbox_events, wait_for
):
    client, app = client_app
    account = uuid.uuid4()
    await configure(account, "stripe")
    order = await place_order(account, provider="stripe", payments=[planned(2)])
    payment = await wait_for(lambda: _linked(client, order))
    async with app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE payments SET link_expires_at = now() WHERE id = :p"), {"p": payment["id"]})
    await come_due(app, payment["id"], 24)
    [reminder] = await wait_for(lambda: outbox_events("ReminderRequested", payment_id=payment["id"]))
    fresh = (await items(client, order))[0]
    assert reminder["reason"] == "scheduled" and reminder["url"] == fresh["link_url"] != payment["link_url"]


async def _linked(client, order):
    found = await items(client, order)
    return found[0] if found[0]["link_url"] else None


async def test_an_unpaid_payment_past_its_date_is_overdue_once(client_app, place_order, outbox_events, wait_for):
    client, app = client_app
    order = await place_order(payments=[planned(1, closes_access=True), planned(1, amount="300")])
    first, second = await items(client, order)
    await client.patch(f"/payments/{second['id']}", json={"status": "cancelled"},
                       headers=as_account(order.account_id))
    # Both dates pass at once, after the cancellation: only the payment still owed is overdue.
    async with app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE payments SET due_at = now() - interval '1 day' WHERE id IN (:a, :b)"),
                           {"a": first["id"], "b": second["id"]})
    first = (await items(client, order))[0]
    [overdue] = await wait_for(lambda: outbox_events("PaymentOverdue", payment_id=first["id"]))
    assert (overdue["closes_access"], overdue["amount"]) == (True, "700.00")
    assert datetime.fromisoformat(overdue["due_at"]) == datetime.fromisoformat(first["due_at"])
    await asyncio.sleep(0.5)
    assert len(await outbox_events("PaymentOverdue", payment_id=first["id"])) == 1
    assert await outbox_events("PaymentOverdue", payment_id=second["id"]) == []

    # A new date gives the payment a new chance; it goes overdue again only when that passes.
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    await client.patch(f"/payments/{first['id']}", json={"due_at": soon}, headers=as_account(order.account_id))
    assert len(await outbox_events("PaymentOverdue", payment_id=first["id"])) == 1
    await wait_for(lambda: _count_at_least(outbox_events, first["id"], 2))


async def _count_at_least(outbox_events, payment_id, n):
    return len(await outbox_events("PaymentOverdue", payment_id=payment_id)) >= n


def order_updated(order, *, status="cancelled", version=1):
    return OrderUpdated(
        account_id=order.account_id, correlation_id=order.correlation_id, order_id=order.order_id,
        order_number=order.order_number, order_version=version, status=status, contact_id=order.contact_id,
        contact=order.contact, currency=order.currency, lines=order.lines, discount=order.discount,
        total=order.total, changed=["status"],
    )


async def test_a_cancelled_order_cancels_its_unpaid_payments_once(client_app, place_order, outbox_events):
    client, app = client_app
    order = await place_order(payments=[planned(24, amount="100"), planned(200, amount="900")])
    first, second = await items(client, order)
    await client.post(f"/payments/{first['id']}/mark-paid", json={"comment": "cash"},
                      headers=as_account(order.account_id))
    event = order_updated(order)
    for again in (event, event.model_copy(update={"event_id": uuid.uuid4()})):
        async with app.state.engine.begin() as conn:
            await service.apply_order_update(SqlUnitOfWork(conn), again)
    after = {p["id"]: p["status"] for p in await items(client, order)}
    assert after == {first["id"]: "paid", second["id"]: "cancelled"}
    [cancelled] = await outbox_events("PaymentCancelled", order_id=order.order_id)
    assert (cancelled["payment_id"], cancelled["causation_id"]) == (second["id"], str(event.event_id))
    assert all(status != "pending" for _, status in await reminder_rows(app, second["id"]))
    # Nothing more can be added to a closed order.
    refused = await client.post(f"/orders/{order.order_id}/payments", json={"amount": "1"},
                                headers=as_account(order.account_id))
    assert refused.status_code == 409


async def test_an_update_of_an_unknown_order_waits_for_its_creation(client_app, order_created):
    _, app = client_app
    with pytest.raises(NotYet):
        async with app.state.engine.begin() as conn:
            await service.apply_order_update(SqlUnitOfWork(conn), order_updated(order_created()))
