"""A school sells only through providers that can take its payments.

Where the sandbox is off (every real deployment) nothing can choose it and its pages do not exist;
a real provider can be chosen once payments has announced the school's credentials for it.
"""

import asyncio
import importlib
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from contracts import PaymentProvidersUpdated, ProductUpdated
from orders.main import on_product_updated
from servicekit.providers import on_providers_updated
from servicekit.testing import as_account, migrated_database
from sqlalchemy import text

OFF_MESSAGE = "the sandbox is off in this deployment: choose a provider the school has set up"


def _app(infra: Any, name: str, **settings: Any) -> FastAPI:
    main = importlib.import_module(f"{name}.main")
    return _app_on(infra, name, asyncio.run(migrated_database(infra, name, main.MIGRATIONS)), **settings)


def _app_on(infra: Any, name: str, url: str, **settings: Any) -> FastAPI:
    config = importlib.import_module(f"{name}.settings").Settings(
        database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False, **settings)
    return importlib.import_module(f"{name}.main").create_app(config)


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
        # Another provider is no business of this rule (its own rule is in test_unset_provider.py).
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


def _refused_for_credentials(response: httpx.Response, provider: str) -> bool:
    if response.status_code != 422:
        return False
    errors = response.json()["errors"]
    return len(errors) == 1 and errors[0]["field"] == "provider" and f"no {provider} credentials" in errors[0]["message"]


async def _announce(app: FastAPI, account_id: uuid.UUID, providers: list[str], **envelope: Any) -> None:
    """What the service's consumer applies when payments announces the school's providers."""
    event = PaymentProvidersUpdated(account_id=account_id, correlation_id=uuid.uuid4(), providers=providers,
                                    **envelope)
    async with app.state.engine.begin() as conn:
        await on_providers_updated(conn, event)


async def test_an_offer_sells_only_through_a_provider_the_school_has_set_up(apps: dict[str, FastAPI]) -> None:
    school = uuid.uuid4()
    account = as_account(school)
    async with _client(apps["offers"]) as offers:
        product = await offers.post("/products", headers=account, json={"title": "English B2", "kind": "course"})
        assert product.status_code == 201, product.text
        offer = {"title": "English B2", "currency": "UAH", "provider": "stripe",
                 "items": [{"product_id": product.json()["id"], "price": "1500"}]}
        assert _refused_for_credentials(await offers.post("/offers", json=offer, headers=account), "stripe")
        listed = await offers.get("/offers", headers=account)
        assert listed.json()["items"] == []

        await _announce(apps["offers"], school, ["stripe"])
        created = await offers.post("/offers", json=offer, headers=account)
        assert created.status_code == 201, created.text
        # The other provider is still not set up; the problem says which ones are.
        switched = await offers.patch(f"/offers/{created.json()['id']}", headers=account,
                                      json={"provider": "wayforpay", "version": created.json()["version"]})
        assert _refused_for_credentials(switched, "wayforpay")
        assert "(set up: stripe)" in switched.json()["errors"][0]["message"]
        # Another school's credentials are not this school's.
        other = as_account(uuid.uuid4())
        assert _refused_for_credentials(await offers.post("/offers", json=offer, headers=other), "stripe")


async def test_an_older_announcement_arriving_late_changes_nothing(apps: dict[str, FastAPI]) -> None:
    school = uuid.uuid4()
    newest = PaymentProvidersUpdated(account_id=school, correlation_id=uuid.uuid4(), providers=["stripe", "wayforpay"])
    await _announce(apps["offers"], school, newest.providers, occurred_at=newest.occurred_at)
    await _announce(apps["offers"], school, ["wayforpay"], occurred_at=newest.occurred_at - timedelta(minutes=5))
    offer = {"title": "English B2", "currency": "UAH", "provider": "stripe",
             "items": [{"product_id": str(uuid.uuid4()), "price": "1500"}]}
    async with _client(apps["offers"]) as offers:
        chosen = await offers.post("/offers", json=offer, headers=as_account(school))
        assert not _refused_for_credentials(chosen, "stripe"), chosen.text
    await _announce(apps["offers"], school, ["wayforpay"], occurred_at=newest.occurred_at + timedelta(minutes=5))
    async with _client(apps["offers"]) as offers:
        assert _refused_for_credentials(await offers.post("/offers", json=offer, headers=as_account(school)), "stripe")


async def test_a_manual_order_sells_only_through_a_provider_the_school_has_set_up(apps: dict[str, FastAPI]) -> None:
    school, product_id = uuid.uuid4(), uuid.uuid4()
    order = {"contact": {"name": "Olena", "email": "olena@example.com"}, "currency": "UAH", "provider": "wayforpay",
             "lines": [{"product_id": str(product_id), "product_title": "English B2", "price": "1500"}]}
    async with _client(apps["orders"]) as orders:
        refused = await orders.post("/orders", json=order, headers=as_account(school))
        assert _refused_for_credentials(refused, "wayforpay")
        assert (await orders.get("/orders", headers=as_account(school))).json()["items"] == []
        await _announce(apps["orders"], school, ["wayforpay"])
        async with apps["orders"].state.engine.begin() as conn:  # and offers announced the product
            await on_product_updated(conn, ProductUpdated(
                account_id=school, correlation_id=uuid.uuid4(), product_id=product_id, title="English B2",
                kind="course"))
        created = await orders.post("/orders", json=order, headers=as_account(school))
        assert created.status_code == 201, created.text


async def test_an_offer_made_while_the_sandbox_was_on_takes_no_visitor_once_it_is_off(
    infra: Any, apps: dict[str, FastAPI],
) -> None:
    school = uuid.uuid4()
    url = await migrated_database(infra, "offers", importlib.import_module("offers.main").MIGRATIONS)
    sandbox_on = _app_on(infra, "offers", url, sandbox_enabled=True)
    async with _client(sandbox_on) as offers:
        product = await offers.post("/products", headers=as_account(school), json={"title": "English B2"})
        offer = {"title": "English B2", "currency": "UAH", "provider": "sandbox",
                 "items": [{"product_id": product.json()["id"], "price": "1500"}]}
        created = await offers.post("/offers", json=offer, headers=as_account(school))
        assert created.status_code == 201, created.text
    # The same database, the deployment now with the sandbox off.
    off = _app_on(infra, "offers", url, sandbox_enabled=False)
    visitor = {"name": "Iryna", "email": "iryna@example.com"}
    async with _client(off) as offers:
        refused = await offers.post(f"/public/offers/{created.json()['id']}/checkouts", json=visitor)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    async with _client(sandbox_on) as offers:
        opened = await offers.post(f"/public/offers/{created.json()['id']}/checkouts", json=visitor)
        assert opened.status_code == 202, opened.text
    async with sandbox_on.state.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM checkouts")) == 1
