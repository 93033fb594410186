"""Where the sandbox is off (every real deployment), nothing can choose it and its pages do not exist."""

import asyncio
import importlib
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from servicekit.testing import as_account, migrated_database

OFF_MESSAGE = "the sandbox is off in this deployment: choose stripe or wayforpay"


def _app(infra: Any, name: str, **settings: Any) -> FastAPI:
    main = importlib.import_module(f"{name}.main")
    url = asyncio.run(migrated_database(infra, name, main.MIGRATIONS))
    config = importlib.import_module(f"{name}.settings").Settings(
        database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False, **settings)
    return main.create_app(config)


@pytest.fixture(scope="module")
def apps(infra: Any) -> Iterator[dict[str, FastAPI]]:
    yield {name: _app(infra, name, sandbox_enabled=False) for name in ("offers", "orders", "payments")}


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


def _refused_for_the_sandbox(response: httpx.Response) -> bool:
    return response.status_code == 422 and response.json()["errors"] == [{"field": "provider", "message": OFF_MESSAGE}]


async def test_an_offer_cannot_choose_the_sandbox_nor_default_to_it(apps: dict[str, FastAPI]) -> None:
    account = as_account(uuid.uuid4())
    offer = {"title": "English B2", "currency": "UAH", "items": [{"product_id": str(uuid.uuid4()), "price": "1500"}]}
    async with _client(apps["offers"]) as offers:
        assert _refused_for_the_sandbox(await offers.post("/offers", json={**offer, "provider": "sandbox"},
                                                          headers=account))
        assert _refused_for_the_sandbox(await offers.post("/offers", json=offer, headers=account))
        patched = await offers.patch(f"/offers/{uuid.uuid4()}", json={"provider": "sandbox", "version": 1},
                                     headers=account)
        assert _refused_for_the_sandbox(patched)
        # Another provider is no business of this rule: the offer goes on to its own checks.
        chosen = await offers.post("/offers", json={**offer, "provider": "stripe"}, headers=account)
        assert not _refused_for_the_sandbox(chosen)


async def test_a_manual_order_cannot_choose_the_sandbox(apps: dict[str, FastAPI]) -> None:
    order = {"contact": {"name": "Olena", "email": "olena@example.com"}, "currency": "UAH",
             "lines": [{"product_id": str(uuid.uuid4()), "product_title": "English B2", "price": "1500"}]}
    async with _client(apps["orders"]) as orders:
        for body in ({**order, "provider": "sandbox"}, order):
            assert _refused_for_the_sandbox(await orders.post("/orders", json=body, headers=as_account(uuid.uuid4())))


async def test_the_sandbox_pages_do_not_exist_and_it_is_no_provider(apps: dict[str, FastAPI]) -> None:
    payments = apps["payments"]
    assert "sandbox" not in payments.state.providers
    async with _client(payments) as client:
        for method, path in (("GET", f"/sandbox/pay/{uuid.uuid4()}"), ("POST", f"/sandbox/pay/{uuid.uuid4()}/succeed"),
                             ("POST", f"/sandbox/pay/{uuid.uuid4()}/decline")):
            assert (await client.request(method, path)).status_code == 404, path
