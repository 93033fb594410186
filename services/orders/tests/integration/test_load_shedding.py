"""The orders service sheds load over real HTTP: while its database holds the list queries, the
requests past ORDERS_MAX_IN_FLIGHT get a fast 503 with Retry-After, the probes still answer,
and the held requests complete once the database lets them."""

import asyncio
import re
import time
import uuid

import httpx
import pytest
from orders.main import MIGRATIONS, create_app
from orders.settings import Settings
from servicekit.testing import as_account, service_served, table_locked, until_waiting_on_locks


@pytest.fixture(scope="module")
async def orders_served(infra):
    async with service_served(infra, name="orders", migrations=MIGRATIONS, create_app=create_app,
                              settings_type=Settings, clock_interval_seconds=0, max_in_flight=2) as served:
        yield served


async def test_requests_past_the_bound_are_refused_fast_and_the_held_ones_complete(orders_served) -> None:
    url, app = orders_served
    database_url = app.state.settings.database_url
    headers = as_account(uuid.uuid4())
    async with httpx.AsyncClient(base_url=url, timeout=20) as client:
        assert (await client.get("/orders", headers=headers)).status_code == 200
        async with table_locked(database_url, "orders"):
            held = [asyncio.create_task(client.get("/orders", headers=headers)) for _ in range(2)]
            await until_waiting_on_locks(database_url, 2)

            started = time.perf_counter()
            refused = await asyncio.wait_for(asyncio.gather(*(client.get("/orders", headers=headers)
                                                             for _ in range(10))), 5)
            elapsed = time.perf_counter() - started
            assert [r.status_code for r in refused] == [503] * 10
            for response in refused:
                assert response.headers["content-type"].startswith("application/problem+json")
                assert response.headers["retry-after"] == "1"
            assert elapsed < 2, f"ten refusals took {elapsed:.2f} s"
            # Busy is not down: the probes and the metrics still answer.
            assert (await client.get("/ready", timeout=5)).status_code == 200
            metrics = (await client.get("/metrics", timeout=5)).text
            assert float(re.search(r'^http_requests_shed_total\{reason="in_flight",service="orders"\} (\S+)$', metrics, re.M)[1]) >= 10
            assert not any(task.done() for task in held)
        for response in await asyncio.gather(*held):
            assert response.status_code == 200 and response.json()["items"] == []
        assert (await client.get("/orders", headers=headers)).status_code == 200
