"""What an operator relies on: health, readiness, metrics, AsyncAPI, the correlation id through a request."""

import json
import uuid

import pytest
from offers.main import MIGRATIONS, create_app
from offers.settings import Settings
from servicekit.testing import as_account, service_under_test
from sqlalchemy import text


@pytest.fixture(scope="module")
async def client(infra):
    async with service_under_test(infra, name="offers", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings) as (client, app):
        client.app = app
        yield client


async def test_health_and_readiness(client):
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "broker": "ok", "topics": "ok"}


async def test_metrics_and_asyncapi(client):
    await client.get("/products", headers=as_account(uuid.uuid4()))
    metrics = (await client.get("/metrics")).text
    assert 'http_request_seconds_count{method="GET",route="/products",service="offers",status="200"}' in metrics
    spec = (await client.get("/asyncapi.json")).json()
    channels = json.dumps(spec["channels"])
    assert "OrderCreated" in channels and "PaymentLinkIssued" in channels and "OfferOpened" in channels


async def test_the_correlation_id_comes_back_and_reaches_the_event(client):
    cid = str(uuid.uuid4())
    account = uuid.uuid4()
    product = (await client.post("/products", json={"title": "C"}, headers=as_account(account))).json()
    offer = (await client.post("/offers", headers=as_account(account), json={
        "title": "O", "currency": "EUR", "items": [{"product_id": product["id"], "price": "1.00"}]})).json()
    opened = await client.post(f"/public/offers/{offer['id']}/checkouts", headers={"X-Correlation-Id": cid},
                               json={"name": "A", "email": "a@example.com"})
    assert opened.headers["X-Correlation-Id"] == cid
    async with client.app.state.engine.connect() as conn:
        event = await conn.scalar(text("SELECT payload FROM outbox WHERE payload->>'checkout_id' = :c"),
                                  {"c": opened.json()["checkout_id"]})
    assert event["correlation_id"] == cid
