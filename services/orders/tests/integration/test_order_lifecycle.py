"""What payments do to the order card and how everyone hears of it, on real PostgreSQL: versions and
OrderUpdated on money facts, racing edits, overdue details on suspended access, payments marked by
hand, reopened orders, totals that settle an order, and phones in the school's region."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from contracts import PaymentCancelled, PaymentOverdue, PaymentRefunded, PaymentSucceeded
from orders import main
from orders.main import MIGRATIONS, create_app
from orders.settings import Settings
from servicekit.testing import as_account, service_under_test
from sqlalchemy import text


@pytest.fixture(scope="module")
async def orders_app(infra):
    async with service_under_test(infra, name="orders", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings, clock_interval_seconds=0) as running_service:
        yield running_service


PYTHON = uuid.UUID(int=100)  # in every new school's catalog (conftest)


def who(account, user="manager-1"):
    return as_account(account, user=user)


def manual(**extra):
    body = {"contact": {"name": "Iryna", "email": "iryna@example.com"}, "currency": "UAH",
            "lines": [{"product_id": str(PYTHON), "product_title": "Python", "price": "1000.00"}],
            "discount": "100.00", "payments": []}
    body.update(extra)
    return body


async def outbox(app, topic, order_id):
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM outbox WHERE topic = :t AND payload->>'order_id' = :o ORDER BY id"),
            {"t": topic, "o": str(order_id)})
        return [r.payload for r in rows]


async def apply(app, handler, event):
    async with app.state.engine.begin() as conn:
        await handler(conn, event)


def paid(account, order_id, amount, **extra):
    return PaymentSucceeded(account_id=account, correlation_id=uuid.uuid4(), order_id=order_id,
                            payment_id=extra.pop("payment_id", uuid.uuid4()), amount=Decimal(amount), currency="UAH",
                            paid_at=extra.pop("paid_at", datetime.now(UTC) - timedelta(hours=1)), **extra)


async def new_order(client, account, **extra):
    response = await client.post("/orders", json=manual(**extra), headers=who(account))
    assert response.status_code == 201, response.text
    return response.json(), uuid.UUID(response.json()["id"])


async def card_of(client, account, order_id):
    return (await client.get(f"/orders/{order_id}", headers=who(account))).json()


async def test_every_money_fact_makes_a_version_and_an_order_updated(orders_app, new_school):
    client, app = orders_app
    account = await new_school(app)
    card, order_id = await new_order(client, account)
    first = paid(account, order_id, "400.00", provider="stripe")
    await apply(app, main.on_payment_succeeded, first)
    await apply(app, main.on_payment_succeeded, first.model_copy(update={"event_id": uuid.uuid4()}))  # once
    [update] = await outbox(app, "OrderUpdated", order_id)
    assert update["order_version"] == 2 and update["changed"] == ["paid", "payment_status"]
    assert update["status"] == "active" and update["total"] == "900.00"
    await apply(app, main.on_payment_succeeded, paid(account, order_id, "500.00", marked_by="manager-3",
                                                         method="cash"))
    second = (await outbox(app, "OrderUpdated", order_id))[-1]
    assert second["order_version"] == 3
    assert second["changed"] == ["paid", "paid_at", "payment_status", "stage_id"]
    card = await card_of(client, account, order_id)
    assert card["version"] == 3 and card["stage"]["name"] == "Paid" and card["payment_status"] == "paid"
    by_provider, by_hand = [h for h in card["history"] if h["kind"] == "payment_received"]
    assert by_provider["actor"] == "stripe" and by_provider["details"]["summary"] == "paid through stripe"
    assert "marked_by" not in by_provider["details"]
    assert by_hand["actor"] == "manager-3" and by_hand["details"]["marked_by"] == "manager-3"
    assert by_hand["details"]["summary"] == "marked paid by manager-3"
    await apply(app, main.on_payment_refunded, PaymentRefunded(
        account_id=account, correlation_id=uuid.uuid4(), order_id=order_id, payment_id=first.payment_id,
        amount=Decimal("100.00"), currency="UAH", refunded_at=datetime.now(UTC)))
    refund = (await outbox(app, "OrderUpdated", order_id))[-1]
    assert refund["order_version"] == 4 and refund["changed"] == ["paid", "payment_status", "refunded"]
    # A manager who still sees version 2 is told; one on the latest version is not.
    stale = await client.patch(f"/orders/{order_id}", json={"comment": "x", "version": 2}, headers=who(account))
    assert stale.status_code == 409 and stale.json()["current_version"] == 4
    fresh = await client.patch(f"/orders/{order_id}", json={"comment": "x", "version": 4}, headers=who(account))
    assert fresh.status_code == 200 and fresh.json()["version"] == 5


async def waiting_on_locks(app, n, timeout=10):
    async with app.state.engine.connect() as conn, asyncio.timeout(timeout):
        while await conn.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")) < n:
            await conn.commit()  # the statistics views keep one snapshot per transaction
            await asyncio.sleep(0.05)


async def race(app, order_id, first, second):
    """Start `first`, then `second`, both queued behind a lock on the order, then let them run in that order."""
    async with app.state.engine.connect() as holder:
        await holder.begin()
        await holder.execute(text("SELECT 1 FROM orders WHERE id = :o FOR UPDATE"), {"o": order_id})
        one = asyncio.create_task(first())
        await waiting_on_locks(app, 1)
        two = asyncio.create_task(second())
        await waiting_on_locks(app, 2)
        await holder.rollback()
    return await one, await two


async def test_an_edit_racing_a_payment_loses_neither(orders_app, new_school):
    client, app = orders_app
    account = await new_school(app)
    # The edit queued first: the payment then counts against the new total, which it settles.
    _, order_id = await new_order(client, account)
    payment = paid(account, order_id, "800.00")
    edit, _ = await race(
        app, order_id,
        lambda: client.patch(f"/orders/{order_id}", json={"discount": "200.00", "version": 1}, headers=who(account)),
        lambda: apply(app, main.on_payment_succeeded, payment))
    assert edit.status_code == 200, edit.text
    card = await card_of(client, account, order_id)
    assert (card["total"], card["paid"], card["payment_status"]) == ("800.00", "800.00", "paid")
    assert card["stage"]["name"] == "Paid" and card["version"] == 3
    assert [u["order_version"] for u in await outbox(app, "OrderUpdated", order_id)] == [2, 3]
    # The payment queued first: the edit of the version before it is refused, never applied blindly.
    _, order_id = await new_order(client, account)
    payment = paid(account, order_id, "800.00")
    _, edit = await race(
        app, order_id,
        lambda: apply(app, main.on_payment_succeeded, payment),
        lambda: client.patch(f"/orders/{order_id}", json={"discount": "200.00", "version": 1}, headers=who(account)))
    assert edit.status_code == 409 and edit.json()["current_version"] == 2
    card = await card_of(client, account, order_id)
    assert (card["total"], card["paid"], card["payment_status"]) == ("900.00", "800.00", "partially_paid")
    # Made again on the version that holds the payment, the discount settles the order like a payment would.
    again = await client.patch(f"/orders/{order_id}", json={"discount": "200.00", "version": 2}, headers=who(account))
    assert again.status_code == 200
    card = again.json()
    assert card["payment_status"] == "paid" and card["stage"]["name"] == "Paid" and card["paid_at"]
    last = (await outbox(app, "OrderUpdated", order_id))[-1]
    assert last["changed"] == ["discount", "paid_at", "payment_status", "stage_id", "total"]
    assert card["history"][-1]["details"]["changes"]["payment_status"] == {"before": "partially_paid",
                                                                           "after": "paid"}


async def test_line_changes_settle_or_unsettle_the_order(orders_app, new_school):
    client, app = orders_app
    account = await new_school(app)
    card, order_id = await new_order(client, account, discount="0.00")
    await apply(app, main.on_payment_succeeded, paid(account, order_id, "600.00"))
    pipeline = (await client.get(f"/pipelines/{card['pipeline']['id']}", headers=who(account))).json()
    in_progress = next(s["id"] for s in pipeline["stages"] if s["name"] == "In progress")
    moved = await client.patch(f"/orders/{order_id}", json={"stage_id": in_progress}, headers={
        **who(account), "If-Match": '"2"'})
    assert moved.json()["stage"]["name"] == "In progress"
    line = card["lines"][0]["id"]
    cheaper = await client.patch(f"/orders/{order_id}/lines/{line}", json={"price": "600.00"},
                                 headers={**who(account), "If-Match": '"3"'})
    assert cheaper.json()["payment_status"] == "paid" and cheaper.json()["stage"]["name"] == "Paid"
    assert cheaper.json()["history"][-1]["details"]["order_changes"]["payment_status"]["after"] == "paid"
    update = (await outbox(app, "OrderUpdated", order_id))[-1]
    assert update["changed"] == ["lines", "paid_at", "payment_status", "stage_id", "total"]
    added = await client.post(f"/orders/{order_id}/lines", headers={**who(account), "If-Match": '"4"'}, json={
        "product_id": str(uuid.UUID(int=101)), "product_title": "SQL", "price": "250.00"})
    # No longer fully paid: the status says so, the stage stays where the team sees it.
    assert added.json()["payment_status"] == "partially_paid" and added.json()["stage"]["name"] == "Paid"
    assert (await outbox(app, "OrderUpdated", order_id))[-1]["changed"] == ["lines", "payment_status", "total"]
    removed = await client.delete(f"/orders/{order_id}/lines/{added.json()['lines'][1]['id']}",
                                  headers={**who(account), "If-Match": '"5"'})
    assert removed.json()["payment_status"] == "paid"


async def test_suspended_access_names_the_overdue_payment_holding_it(orders_app, new_school):
    client, app = orders_app
    account = await new_school(app)
    _, order_id = await new_order(client, account)
    await apply(app, main.on_payment_succeeded, paid(account, order_id, "400.00"))

    def overdue(amount):
        return PaymentOverdue(account_id=account, correlation_id=uuid.uuid4(), order_id=order_id,
                              payment_id=uuid.uuid4(), amount=Decimal(amount), currency="UAH",
                              due_at=datetime.now(UTC) - timedelta(days=1), closes_access=True)

    first, second = overdue("300.00"), overdue("200.00")
    await apply(app, main.on_payment_overdue, first)
    await apply(app, main.on_payment_overdue, second)
    await apply(app, main.on_payment_overdue, second.model_copy(update={"event_id": uuid.uuid4()}))
    access = await outbox(app, "AccessChanged", order_id)
    assert [(a["status"], a["reason"]) for a in access] == [("open", "paid"), ("suspended", "overdue")]
    assert access[0]["overdue_payment_id"] is None
    assert (access[1]["overdue_payment_id"], access[1]["overdue_amount"], access[1]["currency"]) == (
        str(first.payment_id), "300.00", "UAH")
    suspended = (await outbox(app, "OrderUpdated", order_id))[-1]
    assert suspended["changed"] == ["access_suspended"]
    card = await card_of(client, account, order_id)
    assert card["overdue_payment"]["payment_id"] == str(first.payment_id)
    assert card["overdue_payment"]["amount"] == "300.00"
    # The first one paid, the second still holds access closed: the contact now hears of that one.
    await apply(app, main.on_payment_succeeded, paid(account, order_id, "300.00", payment_id=first.payment_id))
    moved = (await outbox(app, "AccessChanged", order_id))[-1]
    assert (moved["status"], moved["reason"]) == ("suspended", "overdue")
    assert (moved["overdue_payment_id"], moved["overdue_amount"]) == (str(second.payment_id), "200.00")
    await apply(app, main.on_payment_cancelled, PaymentCancelled(
        account_id=account, correlation_id=uuid.uuid4(), order_id=order_id, payment_id=second.payment_id,
        amount=Decimal("200.00"), currency="UAH"))
    resumed = (await outbox(app, "AccessChanged", order_id))[-1]
    assert (resumed["status"], resumed["reason"], resumed["overdue_payment_id"]) == ("open", "resumed", None)
    lifted = (await outbox(app, "OrderUpdated", order_id))[-1]
    assert lifted["changed"] == ["access_suspended"]
    card = await card_of(client, account, order_id)
    assert card["overdue_payment"] is None and card["access_suspended"] is False
    assert card["version"] == len(await outbox(app, "OrderUpdated", order_id)) + 1


async def test_a_cancelled_order_is_reopened_into_the_funnel_with_its_access(orders_app, new_school):
    client, app = orders_app
    account = await new_school(app)
    _, order_id = await new_order(client, account)
    await apply(app, main.on_payment_succeeded, paid(account, order_id, "900.00"))
    path = f"/orders/{order_id}"
    cancelled = await client.patch(path, json={"status": "cancelled", "version": 2}, headers=who(account))
    assert cancelled.json()["stage"]["name"] == "Cancelled"
    assert (await outbox(app, "AccessChanged", order_id))[-1]["status"] == "revoked"
    reopened = await client.patch(path, json={"status": "active", "version": 3}, headers=who(account, "manager-2"))
    assert reopened.status_code == 200, reopened.text
    card = reopened.json()
    assert card["status"] == "active" and card["stage"]["name"] == "New" and card["version"] == 4
    assert card["lines"][0]["window"]["status"] == "open"
    last = card["history"][-1]
    assert last["kind"] == "reopened" and last["actor"] == "manager-2"
    assert last["details"]["changes"]["status"] == {"before": "cancelled", "after": "active"}
    update = (await outbox(app, "OrderUpdated", order_id))[-1]
    assert update["status"] == "active" and update["changed"] == ["stage_id", "status"]
    access = (await outbox(app, "AccessChanged", order_id))[-1]
    assert (access["status"], access["reason"]) == ("open", "resumed")
    again = await client.patch(path, json={"status": "active", "version": 4}, headers=who(account))
    assert again.json()["version"] == 4  # already active: nothing written
    # Reopened into a stage of the manager's choosing.
    await client.patch(path, json={"status": "cancelled", "version": 4}, headers=who(account))
    pipeline = (await client.get(f"/pipelines/{card['pipeline']['id']}", headers=who(account))).json()
    awaiting = next(s["id"] for s in pipeline["stages"] if s["name"] == "Awaiting payment")
    placed = await client.patch(path, json={"status": "active", "stage_id": awaiting, "version": 5},
                                headers=who(account))
    assert placed.json()["status"] == "active" and placed.json()["stage"]["id"] == awaiting


async def test_a_reopened_expired_order_counts_its_unpaid_days_again(orders_app, new_school):
    client, app = orders_app
    account = await new_school(app)
    _, order_id = await new_order(client, account)
    async with app.state.engine.begin() as conn:
        # As if it came from an offer page ten days ago.
        await conn.execute(text("UPDATE orders SET source = 'page', created_at = now() - interval '10 days' "
                                "WHERE id = :o"), {"o": order_id})
        await main.expire_unpaid(conn, now=datetime.now(UTC), default_days=7, limit=1000)
    expired = await card_of(client, account, order_id)
    assert expired["status"] == "expired"
    reopened = await client.patch(f"/orders/{order_id}", json={"status": "active", "version": expired["version"]},
                                  headers=who(account))
    assert reopened.json()["status"] == "active"
    assert (await outbox(app, "OrderUpdated", order_id))[-1]["status"] == "active"
    async with app.state.engine.begin() as conn:
        await main.expire_unpaid(conn, now=datetime.now(UTC), default_days=7, limit=1000)
    assert (await card_of(client, account, order_id))["status"] == "active"
    async with app.state.engine.begin() as conn:
        await main.expire_unpaid(conn, now=datetime.now(UTC) + timedelta(days=8), default_days=7, limit=1000)
    assert (await card_of(client, account, order_id))["status"] == "expired"


async def test_phones_typed_nationally_are_read_in_the_schools_region(orders_app, new_school):
    client, app = orders_app
    account = await new_school(app)
    national = manual(contact={"name": "Olha", "email": "olha@example.com", "phone": "050 123 4567"})
    refused = await client.post("/orders", json=national, headers=who(account))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "contact.phone"
    for region in ("XX", "U1", "UKR"):
        bad = await client.put("/settings", json={"phone_region": region}, headers=who(account))
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert any(e["field"].endswith("phone_region") for e in bad.json()["errors"]), bad.json()
    assert (await client.get("/settings", headers=who(account))).json() == {
        "unpaid_expiry_days": 7, "phone_region": None}
    assert (await client.put("/settings", json={"phone_region": "ua"}, headers=who(account))).json() == {
        "unpaid_expiry_days": 7, "phone_region": "UA"}
    # Only the fields given change.
    assert (await client.put("/settings", json={"unpaid_expiry_days": 4}, headers=who(account))).json() == {
        "unpaid_expiry_days": 4, "phone_region": "UA"}
    accepted = await client.post("/orders", json=national, headers=who(account))
    assert accepted.status_code == 201 and accepted.json()["contact"]["phone"] == "+380501234567"
    contact = await client.post("/contacts", json={"name": "Piotr", "email": "piotr@example.com",
                                                   "phone": "+48 601 234 567"}, headers=who(account))
    assert contact.json()["phone"] == "+48601234567"
    edited = await client.patch(f"/contacts/{contact.json()['id']}", json={"phone": "(067) 765-43-21"},
                                headers=who(account))
    assert edited.json()["phone"] == "+380677654321"
    assert (await client.patch(f"/contacts/{contact.json()['id']}", json={"phone": "12"},
                               headers=who(account))).json()["errors"][0]["field"] == "phone"
    assert (await client.put("/settings", json={"phone_region": None}, headers=who(account))).json()[
        "phone_region"] is None
    other = manual(contact={"name": "Ivan", "email": "ivan@example.com", "phone": "067 765 4321"})
    assert (await client.post("/orders", json=other, headers=who(account))).status_code == 422
