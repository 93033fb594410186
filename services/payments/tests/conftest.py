"""Fixtures of the payments tests: the service on real PostgreSQL and the real broker, and orders to pay."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from contracts import ALL_TOPICS, ContactData, OrderCreated, OrderLine, PlannedPayment
from localstack.broker import create_topics
from payments import service
from payments.main import MIGRATIONS, create_app, providers_from
from payments.settings import Settings
from servicekit.testing import fresh_group, migrated_database, running

PUBLIC_BASE_URL = "http://pay.school.test"


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
    ) -> OrderCreated:
        plan = plan or [("regular", "1500.00")]
        due = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
        payments = [
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
async def client_app(infra):
    url = await migrated_database(infra, "payments", MIGRATIONS)
    await create_topics(infra.kafka_bootstrap, list(ALL_TOPICS))
    settings = Settings(
        database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, public_base_url=PUBLIC_BASE_URL,
        log_json=False, consumer_group=fresh_group(),
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
            await service.create_order_payments(conn, event, providers)
        return event

    return place
