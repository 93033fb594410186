"""The purchase at the service level through the real broker, for each provider:
OrderCreated in -> PaymentLinkIssued out -> the provider's confirmation -> PaymentSucceeded out."""

import asyncio
import contextlib
import json
import uuid

import pytest
import stripe
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from contracts import OrderCreated, PaymentLinkIssued, PaymentSucceeded


@contextlib.asynccontextmanager
async def listening(bootstrap, order_id):
    """Collect the events about one order that reach the broker."""
    seen: dict[str, list[dict]] = {PaymentLinkIssued.topic: [], PaymentSucceeded.topic: []}
    consumer = AIOKafkaConsumer(*seen, bootstrap_servers=bootstrap, group_id=f"test-{uuid.uuid4().hex[:8]}",
                                auto_offset_reset="earliest")
    await consumer.start()

    async def pump():
        async for message in consumer:
            event = json.loads(message.value)
            if event.get("order_id") == str(order_id):
                seen[message.topic].append(event)

    task = asyncio.create_task(pump())
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await consumer.stop()


async def publish(bootstrap, event: OrderCreated):
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(event.topic, event.model_dump_json().encode(),
                                     key=event.partition_key().encode())
    finally:
        await producer.stop()


async def arrived(seen, topic, timeout=30.0):
    async with asyncio.timeout(timeout):
        while not seen[topic]:
            await asyncio.sleep(0.05)
    return seen[topic]


async def confirm(client, provider, order, issued, standin, wfp_callbacks):
    payment_id = issued["payment_id"]
    if provider == "sandbox":
        return await client.post(f"/sandbox/pay/{payment_id}/succeed",
                                 data={"event_id": uuid.uuid4().hex, "amount": issued["amount"], "currency": "UAH"})
    if provider == "stripe":
        session = next(s for s in standin.sessions.values() if s["client_reference_id"] == payment_id)
        event = {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "checkout.session.completed",
                 "data": {"object": {**session, "payment_status": "paid", "payment_intent": "pi_e2e"}}}
        raw = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(raw, "whsec_test_secret")
        return await client.post(f"/webhooks/stripe/{order.account_id}", content=raw,
                                 headers={"Stripe-Signature": header})
    build, raw = wfp_callbacks
    return await client.post(f"/webhooks/wayforpay/{order.account_id}",
                             content=raw(build(f"{payment_id}_1", "1500", "Approved")))


@pytest.mark.parametrize("provider", ["sandbox", "stripe", "wayforpay"])
async def test_a_purchase_through_the_broker(client_app, infra, order_created, configure, standin, wfp_callbacks,
                                             provider):
    client, _ = client_app
    account = uuid.uuid4()
    if provider != "sandbox":
        await configure(account, provider)
    order = order_created(account, provider=provider)
    async with listening(infra.kafka_bootstrap, order.order_id) as seen:
        await publish(infra.kafka_bootstrap, order)
        [issued] = await arrived(seen, PaymentLinkIssued.topic)
        assert (issued["provider"], issued["amount"], issued["send_email"]) == (provider, "1500.00", True)
        assert issued["causation_id"] == str(order.event_id)
        response = await confirm(client, provider, order, issued, standin, wfp_callbacks)
        assert response.status_code == 200, response.text
        [succeeded] = await arrived(seen, PaymentSucceeded.topic)
        assert (succeeded["payment_id"], succeeded["amount"], succeeded["provider"]) == (
            issued["payment_id"], "1500.00", provider)
        assert succeeded["correlation_id"] == str(order.correlation_id)
        # The same confirmation again is absorbed: still one of each on the broker.
        await confirm(client, provider, order, issued, standin, wfp_callbacks)
        await asyncio.sleep(1.0)
        assert len(seen[PaymentSucceeded.topic]) == 1 and len(seen[PaymentLinkIssued.topic]) == 1


async def test_an_order_cancelled_through_the_broker_cancels_its_unpaid_payments_once(
    client_app, infra, order_created, outbox_events, wait_for
):
    from contracts import OrderUpdated

    order = order_created(plan=[("prepayment", "500"), ("surcharge", "1000")])
    update = OrderUpdated(
        account_id=order.account_id, correlation_id=order.correlation_id, order_id=order.order_id,
        order_number=order.order_number, order_version=2, status="expired", contact_id=order.contact_id,
        contact=order.contact, currency=order.currency, lines=order.lines, discount=order.discount,
        total=order.total,
    )
    # The update may even arrive first: it waits for the order it is about.
    await publish(infra.kafka_bootstrap, update)
    await publish(infra.kafka_bootstrap, order)
    await publish(infra.kafka_bootstrap, update)

    async def both_cancelled():
        events = await outbox_events("PaymentCancelled", order_id=order.order_id)
        return events if len(events) == 2 else None

    cancelled = await wait_for(both_cancelled, timeout=30)
    assert sorted(e["amount"] for e in cancelled) == ["1000.00", "500.00"]
    await asyncio.sleep(1.0)
    assert len(await outbox_events("PaymentCancelled", order_id=order.order_id)) == 2
