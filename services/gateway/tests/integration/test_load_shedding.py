"""The gateway sheds load over real HTTP, in front of the real orders service on its own listener:
past GATEWAY_MAX_IN_FLIGHT, and when every connection to a service is busy, a fast 503 with
Retry-After instead of a wait that ends in a timeout."""

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from gateway.auth import mint
from gateway.main import create_app
from gateway.settings import Settings
from orders.main import MIGRATIONS
from orders.main import create_app as create_orders
from orders.settings import Settings as OrdersSettings
from servicekit.testing import service_served, serving, table_locked, until_waiting_on_locks

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture(scope="module")
async def orders_service(infra):
    async with service_served(infra, name="orders", migrations=MIGRATIONS, create_app=create_orders,
                              settings_type=OrdersSettings, clock_interval_seconds=0) as served:
        yield served


@contextlib.asynccontextmanager
async def gateway_before(orders_url: str, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    # Every upstream is the orders service: its /ready answers for all four.
    urls = {f"{name}_url": orders_url for name in ("offers", "orders", "payments", "notifications")}
    app = create_app(Settings(jwt_secret=SECRET, log_json=False, **urls, **settings))
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=20) as client:
        yield client


def crm_token(account: uuid.UUID) -> dict[str, str]:
    token = mint(SECRET, account_id=account, user_id="u1", role="owner", ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


def shed(metrics: str) -> float:
    match = re.search(r'^http_requests_shed_total\{reason="in_flight",service="gateway"\} (\S+)$', metrics, re.M)
    return float(match[1]) if match else 0.0


async def refused_fast(client: httpx.AsyncClient, headers: dict[str, str], count: int) -> list[httpx.Response]:
    started = time.perf_counter()
    responses = await asyncio.wait_for(asyncio.gather(*(client.get("/api/v1/orders", headers=headers)
                                                        for _ in range(count))), 5)
    elapsed = time.perf_counter() - started
    assert [r.status_code for r in responses] == [503] * count, [r.text for r in responses]
    for response in responses:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["retry-after"] == "1"
    assert elapsed < 2, f"{count} refusals took {elapsed:.2f} s"
    return responses


async def test_past_its_bound_the_gateway_refuses_fast_and_the_held_requests_complete(orders_service) -> None:
    orders_url, orders_app = orders_service
    database_url = orders_app.state.settings.database_url
    headers = crm_token(uuid.uuid4())
    async with gateway_before(orders_url, max_in_flight=2) as gateway:
        assert (await gateway.get("/api/v1/orders", headers=headers)).status_code == 200
        before = shed((await gateway.get("/metrics")).text)
        async with table_locked(database_url, "orders"):
            held = [asyncio.create_task(gateway.get("/api/v1/orders", headers=headers)) for _ in range(2)]
            await until_waiting_on_locks(database_url, 2)
            refused = await refused_fast(gateway, headers, 10)
            assert all("gateway" in r.json()["detail"] for r in refused)
            assert (await gateway.get("/health", timeout=5)).status_code == 200
            assert (await gateway.get("/ready", timeout=5)).status_code == 200
            assert shed((await gateway.get("/metrics", timeout=5)).text) - before == 10
            assert not any(task.done() for task in held)
        assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]


async def test_when_every_connection_to_a_service_is_busy_the_gateway_answers_503_at_once(orders_service) -> None:
    orders_url, orders_app = orders_service
    database_url = orders_app.state.settings.database_url
    headers = crm_token(uuid.uuid4())
    # Ten seconds for an answer, but only a fifth of one for a free connection.
    async with gateway_before(orders_url, upstream_max_connections=2, upstream_pool_timeout=0.2,
                              upstream_timeout=10) as gateway:
        async with table_locked(database_url, "orders"):
            held = [asyncio.create_task(gateway.get("/api/v1/orders", headers=headers)) for _ in range(2)]
            await until_waiting_on_locks(database_url, 2)
            refused = await refused_fast(gateway, headers, 10)
            assert all("orders" in r.json()["detail"] for r in refused)
            assert not any(task.done() for task in held)
        assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
        assert (await gateway.get("/api/v1/orders", headers=headers)).status_code == 200
