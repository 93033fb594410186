"""The gateway in front of the real offers and orders services (in-process, real PostgreSQL)."""

import uuid
from datetime import timedelta

import httpx
import pytest
from contracts import ALL_TOPICS
from gateway.auth import mint
from gateway.main import create_app
from gateway.settings import Settings
from localstack.broker import create_topics
from localstack.ports import free_port
from servicekit.testing import fresh_group_after_published, migrated_database, running

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture(scope="module")
async def gateway(infra):
    import offers.main
    import orders.main
    from offers.settings import Settings as OffersSettings
    from orders.settings import Settings as OrdersSettings

    await create_topics(infra.kafka_bootstrap, list(ALL_TOPICS))
    offers_group = await fresh_group_after_published(infra.kafka_bootstrap)
    orders_group = await fresh_group_after_published(infra.kafka_bootstrap)
    offers_app = offers.main.create_app(OffersSettings(
        database_url=await migrated_database(infra, "offers", offers.main.MIGRATIONS),
        kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False, consumer_group=offers_group))
    orders_app = orders.main.create_app(OrdersSettings(
        database_url=await migrated_database(infra, "orders", orders.main.MIGRATIONS),
        kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False, consumer_group=orders_group))
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = create_app(
        Settings(jwt_secret=SECRET, payments_url=dead, log_json=False),
        transports={"offers": httpx.ASGITransport(app=offers_app), "orders": httpx.ASGITransport(app=orders_app)},
    )
    async with running(offers_app), running(orders_app), running(app) as client:
        client.app = app
        yield client


def bearer(account, role="owner", secret=SECRET, ttl=timedelta(hours=1)):
    return {"Authorization": f"Bearer {mint(secret, account_id=account, user_id='u1', role=role, ttl=ttl)}"}


async def new_offer(client, account):
    product = (await client.post("/api/v1/products", json={"title": "Course"}, headers=bearer(account))).json()
    response = await client.post(
        "/api/v1/offers",
        json={"title": "Basic", "currency": "EUR", "items": [{"product_id": product["id"], "price": "99.00"}]},
        headers=bearer(account),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_crm_routes_need_a_valid_token(gateway):
    for headers in ({}, {"Authorization": "Bearer nonsense"}, bearer(uuid.uuid4(), secret="another-secret-that-is-long-enough-too"),
                    bearer(uuid.uuid4(), ttl=timedelta(seconds=-5))):
        response = await gateway.get("/api/v1/orders", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_viewer_cannot_change_anything(gateway):
    response = await gateway.post("/api/v1/products", json={"title": "X"}, headers=bearer(uuid.uuid4(), "viewer"))
    assert response.status_code == 403


async def test_the_account_comes_from_the_token_only(gateway):
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    offer = await new_offer(gateway, mine)
    assert (await gateway.get(f"/api/v1/offers/{offer['id']}", headers=bearer(mine))).status_code == 200
    # A forged account header does not help: the gateway sets it from the token.
    forged = {**bearer(theirs), "X-Account-Id": str(mine)}
    assert (await gateway.get(f"/api/v1/offers/{offer['id']}", headers=forged)).status_code == 404
    assert (await gateway.get("/api/v1/offers", headers=forged)).json()["items"] == []


async def test_public_open_and_status_without_token(gateway):
    offer = await new_offer(gateway, uuid.uuid4())
    opened = await gateway.post(f"/public/v1/offers/{offer['id']}/checkouts",
                                json={"name": "Anna", "email": "anna@example.com"})
    assert opened.status_code == 202
    status = await gateway.get(f"/public/v1/checkouts/{opened.json()['checkout_id']}")
    assert status.json()["status"] == "pending"
    bad = await gateway.post(f"/public/v1/offers/{offer['id']}/checkouts", content=b"{oops",
                             headers={"content-type": "application/json"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


async def test_a_service_that_is_down_is_a_503_problem(gateway):
    response = await gateway.get(f"/api/v1/orders/{uuid.uuid4()}/payments", headers=bearer(uuid.uuid4()))
    assert response.status_code == 503
    assert response.json()["title"] == "Service unavailable"


async def test_the_idempotency_key_reaches_the_service(gateway):
    offer = await new_offer(gateway, uuid.uuid4())
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"name": "Anna", "email": "anna@example.com"}
    first = await gateway.post(f"/public/v1/offers/{offer['id']}/checkouts", json=body, headers=key)
    again = await gateway.post(f"/public/v1/offers/{offer['id']}/checkouts", json=body, headers=key)
    assert first.json()["checkout_id"] == again.json()["checkout_id"]


async def test_public_endpoints_are_rate_limited(gateway):  # runs last: it spends the budget
    from gateway.ratelimit import RateLimiter

    gateway.app.state.public_limiter = RateLimiter(30)
    statuses = [(await gateway.get(f"/public/v1/checkouts/{uuid.uuid4()}")).status_code for _ in range(40)]
    assert 429 in statuses and statuses[0] == 404
