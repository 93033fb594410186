"""OrderCreated becomes the order's payments and a link, on real PostgreSQL and the real broker."""

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from contracts import OrderCreated
from payments import service
from payments.adapters import repository as repo
from payments.main import providers_from
from payments.adapters.unit_of_work import SqlUnitOfWork
from servicekit.errors import Rejected
from servicekit.metrics import REGISTRY
from servicekit.statements import tallied
from sqlalchemy import text


async def payment_rows(app, order_id):
    async with app.state.engine.connect() as conn:
        return (await conn.execute(
            text("SELECT * FROM payments WHERE order_id = :o ORDER BY number"), {"o": order_id}
        )).all()


async def outbox_rows(app, topic, order_id):
    async with app.state.engine.connect() as conn:
        return (await conn.execute(
            text("SELECT key, payload, published_at FROM outbox WHERE topic = :t AND payload->>'order_id' = :o "
                 "ORDER BY id"),
            {"t": topic, "o": str(order_id)},
        )).all()


async def test_order_created_makes_its_payments_and_issues_a_link_for_the_first(client_app, place_order):
    _, app = client_app
    order = await place_order(plan=[("prepayment", "500.00"), ("surcharge", "1000.00")], send_payment_link=False)
    rows = await payment_rows(app, order.order_id)
    assert [(r.number, r.type, r.status, str(r.amount), r.currency, r.method, r.provider) for r in rows] == [
        (1, "prepayment", "unpaid", "500.0000", "UAH", "cashless", "sandbox"),
        (2, "surcharge", "unpaid", "1000.0000", "UAH", "cashless", "sandbox"),
    ]
    assert [(r.due_at, r.closes_access) for r in rows] == [(p.due_at, p.closes_access) for p in order.payment_plan]
    assert all(r.account_id == order.account_id and r.checkout_id == order.checkout_id for r in rows)
    first, second = rows
    assert first.link_url == f"{app.state.settings.public_base_url}/sandbox/pay/{first.id}"
    assert second.link_url is None

    issued = await outbox_rows(app, "PaymentLinkIssued", order.order_id)
    assert len(issued) == 1
    key, event, _ = issued[0]
    assert key == str(order.order_id)
    assert event["payment_id"] == str(first.id)
    assert event["checkout_id"] == str(order.checkout_id)
    assert (event["amount"], event["currency"], event["provider"], event["url"]) == (
        "500.00", "UAH", "sandbox", first.link_url,
    )
    assert event["send_email"] is False
    assert event["due_at"] is None
    assert (event["account_id"], event["correlation_id"], event["causation_id"]) == (
        str(order.account_id), str(order.correlation_id), str(order.event_id),
    )


async def test_the_same_order_under_another_event_id_changes_nothing(client_app, order_created):
    _, app = client_app
    providers = providers_from(app.state.settings)
    order = order_created()
    again = order.model_copy(update={"event_id": uuid.uuid4()})
    for event in (order, again):
        async with app.state.engine.begin() as conn:
            await service.create_order_payments(SqlUnitOfWork(conn), event, providers)
    assert len(await payment_rows(app, order.order_id)) == 1
    assert len(await outbox_rows(app, "PaymentLinkIssued", order.order_id)) == 1


async def test_an_order_is_three_statements_and_once_planned_one(client_app, order_created):
    _, app = client_app
    providers = providers_from(app.state.settings)
    order = order_created()
    again = order.model_copy(update={"event_id": uuid.uuid4()})
    counts = []
    for event in (order, again):
        with tallied("order") as tally:
            async with app.state.engine.begin() as conn:
                await service.create_order_payments(SqlUnitOfWork(conn), event, providers)
        counts.append(tally.count)
    assert counts == [3, 1]  # the state unless planned, the payment, the outbox; then only the check
    assert len(await payment_rows(app, order.order_id)) == 1


async def test_an_order_whose_state_is_kept_but_not_planned_keeps_its_first_picture(client_app, order_created):
    _, app = client_app
    order = order_created()
    async with app.state.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO order_states (order_id, account_id, order_number, school_name, currency, provider, "
            "contact) VALUES (:o, :a, 7, 'First School', 'UAH', 'sandbox', :c)"),
            {"o": order.order_id, "a": order.account_id, "c": order.contact.model_dump_json()})
        kept = await repo.add_order_state_unless_planned(conn, order)
    assert kept is not None and (kept.order_number, kept.school_name) == (7, "First School")

    async with app.state.engine.begin() as conn:
        await service.create_order_payments(SqlUnitOfWork(conn), order, providers_from(app.state.settings))
        assert await repo.add_order_state_unless_planned(conn, order) is None


async def test_a_copy_of_a_planned_order_that_could_not_be_planned_is_ignored_not_rejected(
    client_app, order_created,
):
    _, app = client_app
    providers = providers_from(app.state.settings)
    order = order_created()
    unpayable = order.model_copy(update={"event_id": uuid.uuid4(), "provider": "no_such_provider"})
    for event in (order, unpayable):
        async with app.state.engine.begin() as conn:
            await service.create_order_payments(SqlUnitOfWork(conn), event, providers)
    assert [r.provider for r in await payment_rows(app, order.order_id)] == ["sandbox"]


@pytest.mark.parametrize(
    "kwargs", [{"provider": "no_such_provider"}, {"plan": [("regular", "10.001")]}, {"plan": [("regular", "-5.00")]}]
)
async def test_an_order_that_cannot_be_paid_is_rejected_and_writes_nothing(client_app, order_created, kwargs):
    _, app = client_app
    order = order_created(**kwargs)
    with pytest.raises(Rejected):
        async with app.state.engine.begin() as conn:
            await service.create_order_payments(SqlUnitOfWork(conn), order, providers_from(app.state.settings))
    assert await payment_rows(app, order.order_id) == []
    assert await outbox_rows(app, "PaymentLinkIssued", order.order_id) == []


def _duplicates() -> float:
    sample = REGISTRY.get_sample_value(
        "consumer_messages_total", {"service": "payments", "topic": "OrderCreated", "outcome": "duplicate"}
    )
    return sample or 0.0


async def test_a_redelivered_order_created_through_the_broker_creates_one_payment(client_app, order_created, infra):
    _, app = client_app
    order: OrderCreated = order_created()
    raw = order.model_dump_json().encode()
    duplicates_before = _duplicates()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for _ in range(2):
            await producer.send_and_wait(OrderCreated.topic, raw, key=order.partition_key().encode())
    finally:
        await producer.stop()

    # Both copies share a partition, so once the second is seen as a duplicate the first was applied.
    async with asyncio.timeout(30):
        while _duplicates() < duplicates_before + 1:
            await asyncio.sleep(0.05)
    assert len(await payment_rows(app, order.order_id)) == 1
    async with asyncio.timeout(20):
        while True:
            issued = await outbox_rows(app, "PaymentLinkIssued", order.order_id)
            if issued and issued[0].published_at is not None:
                break
            await asyncio.sleep(0.05)
    assert len(issued) == 1
    async with app.state.engine.connect() as conn:
        recorded = await conn.scalar(
            text("SELECT count(*) FROM inbox WHERE consumer = 'payments:OrderCreated' AND event_id = :e"),
            {"e": order.event_id},
        )
    assert recorded == 1
