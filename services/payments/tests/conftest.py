"""Fixtures of the payments tests: the service on real PostgreSQL and the real broker, and orders to pay."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import uvicorn
from contracts import ALL_TOPICS, ContactData, OrderCreated, OrderLine, PlannedPayment, dlq_topic
from localstack.broker import create_topics
from localstack.provider_standin import (
    STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET,
    WFP_DOMAIN,
    WFP_MERCHANT,
    WFP_SECRET,
    ProviderStandIn,
    wfp_callback,
    wfp_raw,
)
from payments import service
from payments.main import MIGRATIONS, create_app, providers_from
from payments.settings import Settings
from payments.adapters.unit_of_work import SqlUnitOfWork
from servicekit.testing import as_account, fresh_group_after_published, migrated_database, running
from sqlalchemy import text

PUBLIC_BASE_URL = "http://pay.school.test"


@pytest.fixture(scope="session")
async def standin():
    stand_in = ProviderStandIn()
    server = uvicorn.Server(uvicorn.Config(stand_in.app, host="127.0.0.1", port=stand_in.port, log_level="warning",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.02)
    yield stand_in
    server.should_exit = True
    await task


@pytest.fixture
def order_created():
    """Build an OrderCreated as the orders service would; every call is a new order."""

    def make(
        account_id: uuid.UUID | None = None,
        *,
        plan: list[tuple[str, str]] | None = None,
        currency: str = "UAH",
        provider: str = "sandbox",
        send_payment_link: bool = True,
        checkout_id: uuid.UUID | None = None,
        payments: list[PlannedPayment] | None = None,
    ) -> OrderCreated:
        plan = plan or [("regular", "1500.00")]
        due = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
        payments = payments or [
            PlannedPayment(type=kind, amount=Decimal(amount), due_at=due + timedelta(days=30 * n) if n else None,
                           closes_access=n > 0)
            for n, (kind, amount) in enumerate(plan)
        ]
        total = sum((p.amount for p in payments), Decimal(0))
        return OrderCreated(
            account_id=account_id or uuid.uuid4(),
            correlation_id=uuid.uuid4(),
            order_id=uuid.uuid4(),
            order_number=42,
            checkout_id=checkout_id or uuid.uuid4(),
            offer_id=uuid.uuid4(),
            school_name="Kyiv Code School",
            contact_id=uuid.uuid4(),
            contact=ContactData(name="Olena", email="olena@example.com", locale="uk"),
            currency=currency,
            lines=[OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Python", price=total)],
            discount=Decimal(0),
            total=total,
            payment_plan=payments,
            provider=provider,
            send_payment_link=send_payment_link,
        )

    return make


@pytest.fixture(scope="module")
async def client_app(infra, standin):
    url = await migrated_database(infra, "payments", MIGRATIONS)
    await create_topics(infra.kafka_bootstrap, [*ALL_TOPICS, *map(dlq_topic, ALL_TOPICS)])
    group = await fresh_group_after_published(infra.kafka_bootstrap)
    settings = Settings(
        database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, public_base_url=PUBLIC_BASE_URL,
        log_json=False, consumer_group=group, stripe_api_base=standin.url, stripe_max_network_retries=0,
        wayforpay_api_url=f"{standin.url}/wfp/api", worker_poll_seconds=0.1,
    )
    app = create_app(settings)
    async with running(app) as client:
        yield client, app


@pytest.fixture
def place_order(client_app, order_created):
    """Apply a new OrderCreated to the service, as its consumer would; returns the event."""
    _, app = client_app
    providers = providers_from(app.state.settings)

    async def place(account_id: uuid.UUID | None = None, **kwargs: object) -> OrderCreated:
        event = order_created(account_id, **kwargs)
        async with app.state.engine.begin() as conn:
            await service.create_order_payments(SqlUnitOfWork(conn), event, providers)
        return event

    return place


@pytest.fixture
def configure(client_app):
    """Give an account provider credentials, as the CRM would."""
    client, _ = client_app

    async def setup(account_id: uuid.UUID, provider: str) -> None:
        body = (
            {"secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WEBHOOK_SECRET} if provider == "stripe" else
            {"merchant_account": WFP_MERCHANT, "secret_key": WFP_SECRET, "merchant_domain_name": WFP_DOMAIN}
        )
        response = await client.put(f"/providers/{provider}", json=body, headers=as_account(account_id))
        assert response.status_code == 200, response.text

    return setup


@pytest.fixture
def outbox_events(client_app):
    """The events a payment (or an order) queued on one topic, oldest first."""
    _, app = client_app

    async def read(topic: str, *, payment_id: Any = None, order_id: Any = None) -> list[dict[str, Any]]:
        key, value = ("payment_id", payment_id) if payment_id is not None else ("order_id", order_id)
        async with app.state.engine.connect() as conn:
            rows = await conn.execute(
                text(f"SELECT payload FROM outbox WHERE topic = :t AND payload->>'{key}' = :v ORDER BY id"),
                {"t": topic, "v": str(value)},
            )
            return [r.payload for r in rows]

    return read


async def eventually(check, timeout: float = 15.0):
    """Poll an async check until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(0.05)


@pytest.fixture
def wait_for():
    return eventually


@pytest.fixture
def wfp_callbacks():
    """(build a signed callback, its raw body with JSON-number amounts), as WayForPay sends them."""
    return wfp_callback, wfp_raw
