"""A school's provider credentials: announced to the services that sell, required where payments chooses."""

import asyncio
import os
import uuid

from contracts import PaymentProvidersUpdated
from payments import service
from payments.adapters import repository as repo
from payments.adapters.sealing import Sealer
from payments.main import MIGRATIONS
from payments.adapters.unit_of_work import SqlUnitOfWork
from servicekit.migrations import upgrade
from servicekit.testing import as_account
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def _announced(app, account_id: uuid.UUID) -> list[list[str]]:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT payload FROM outbox WHERE topic = 'PaymentProvidersUpdated' AND payload->>'account_id' = :a "
            "ORDER BY id"), {"a": str(account_id)})
        return [r.payload["providers"] for r in rows]


async def test_every_change_of_credentials_announces_the_whole_set(client_app, configure):
    _, app = client_app
    account = uuid.uuid4()
    assert await _announced(app, account) == []
    await configure(account, "wayforpay")
    await configure(account, "stripe")
    await configure(account, "stripe")  # new secrets, the same set: still announced, consumers keep the newest
    assert await _announced(app, account) == [["wayforpay"], ["stripe", "wayforpay"], ["stripe", "wayforpay"]]
    assert await _announced(app, uuid.uuid4()) == []


async def test_refused_credentials_announce_nothing(client_app):
    client, app = client_app
    account = uuid.uuid4()
    bad = await client.put("/providers/stripe", json={"secret_key": "nope"}, headers=as_account(account))
    assert bad.status_code == 422
    assert await _announced(app, account) == []


async def test_a_payment_added_by_hand_needs_the_providers_credentials(client_app, place_order, configure):
    client, _ = client_app
    order = await place_order()
    url = f"/orders/{order.order_id}/payments"
    refused = await client.post(url, json={"amount": "100", "provider": "stripe"}, headers=as_account(order.account_id))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [{"field": "provider", "message": refused.json()["detail"]}]
    assert "no stripe credentials" in refused.json()["detail"]
    # Cash recorded by hand names no provider's link: nothing to set up for that.
    cash = await client.post(url, json={"amount": "100", "status": "paid", "method": "cash"},
                             headers=as_account(order.account_id))
    assert cash.status_code == 201, cash.text
    await configure(order.account_id, "stripe")
    added = await client.post(url, json={"amount": "100", "provider": "stripe"}, headers=as_account(order.account_id))
    assert added.status_code == 201, added.text


async def test_links_waiting_for_credentials_are_asked_for_as_soon_as_they_are_set(
    client_app, place_order, configure, wait_for
):
    client, app = client_app
    order = await place_order(provider="stripe")  # a visitor's order, before the school set Stripe up

    async def put_off() -> str | None:
        async with app.state.engine.connect() as conn:
            row = (await conn.execute(text(
                "SELECT r.last_error, r.next_attempt_at > now() + interval '1 second' AS later "
                "FROM link_requests r JOIN payments p ON p.id = r.payment_id WHERE p.order_id = :o"),
                {"o": order.order_id})).first()
        return row.last_error if row is not None and row.last_error and row.later else None

    assert "no stripe credentials" in await wait_for(put_off)
    # Pushed far off, as after many tries: only the new credentials can bring it forward.
    async with app.state.engine.begin() as conn:
        await conn.execute(text(
            "UPDATE link_requests SET next_attempt_at = now() + interval '1 hour' "
            "WHERE payment_id IN (SELECT id FROM payments WHERE order_id = :o)"), {"o": order.order_id})
    await configure(order.account_id, "stripe")

    async def linked() -> str | None:
        response = await client.get(f"/orders/{order.order_id}/payments", headers=as_account(order.account_id))
        return response.json()["items"][0]["link_url"]

    assert (await wait_for(linked, timeout=10)).startswith("http")


async def test_announce_all_repeats_every_schools_set(client_app, configure):
    _, app = client_app
    first, second = uuid.uuid4(), uuid.uuid4()
    await configure(first, "stripe")
    await configure(second, "wayforpay")
    await configure(second, "stripe")
    before = {school: len(await _announced(app, school)) for school in (first, second)}
    async with app.state.engine.begin() as conn:
        announced = await service.announce_all(SqlUnitOfWork(conn), correlation_id=uuid.uuid4())
    assert announced >= 2  # every school this database holds, those of other tests too
    assert (await _announced(app, first))[before[first]:] == [["stripe"]]
    assert (await _announced(app, second))[before[second]:] == [["stripe", "wayforpay"]]


async def test_the_migration_announces_the_schools_set_up_before_it(infra) -> None:
    url = await asyncio.to_thread(infra.new_database, "payments")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0004")
    first, second = uuid.uuid4(), uuid.uuid4()
    engine = create_async_engine(url)
    sealer = Sealer(os.environ["PAYMENTS_CREDENTIALS_KEYS"])
    try:
        async with engine.begin() as conn:
            await repo.put_provider_settings(conn, sealer, first, "stripe", {"secret_key": "sk_test_1"})
            await repo.put_provider_settings(conn, sealer, second, "wayforpay", {"secret_key": "k"})
            await repo.put_provider_settings(conn, sealer, second, "stripe", {"secret_key": "sk_test_2"})
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT key, payload, headers FROM outbox WHERE topic = 'PaymentProvidersUpdated' ORDER BY id"))).all()
    finally:
        await engine.dispose()
    events = {row.key: PaymentProvidersUpdated.model_validate(row.payload) for row in rows}
    assert {key: e.providers for key, e in events.items()} == {
        str(first): ["stripe"], str(second): ["stripe", "wayforpay"]}
    assert all(row.headers["event_type"] == "PaymentProvidersUpdated" for row in rows)
