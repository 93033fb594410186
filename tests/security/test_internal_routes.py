"""Every internal route of every service takes its caller from the gateway's proof, and nothing else.

The routes are read from the apps themselves, so a new route is checked the day it is written:
either it depends on the proof, or it is one of the public routes listed here on purpose. And a
valid proof reaches only its own account: every route naming a resource in its path refuses
another account's, changes nothing, and shows nothing of it.
"""

import asyncio
import importlib
import os
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from servicekit import http as servicekit_http
from servicekit.caller import Caller, ProofSigner, new_key_pair
from servicekit.testing import SERVICES, as_account, migrated_database

# Reachable without the gateway's proof, and why: operations, and what payers and providers call.
OPERATIONS = ("/health", "/ready", "/metrics", "/asyncapi.json")
PUBLIC: dict[str, tuple[str, ...]] = {
    "offers": ("/public/",),  # the offer page and the checkout, for visitors through the gateway
    "orders": (),
    "payments": ("/webhooks/", "/sandbox/", "/thanks"),  # providers' callbacks and the payer's pages
    "notifications": (),
}
READS = {"GET", "HEAD"}


def _app(name: str, database_url: str, kafka: str) -> FastAPI:
    main = importlib.import_module(f"{name}.main")
    settings = importlib.import_module(f"{name}.settings").Settings(
        database_url=database_url, kafka_bootstrap_servers=kafka, log_json=False)
    return main.create_app(settings)


def _routes(routes: Any, prefix: str = "", inherited: tuple[Any, ...] = ()) -> Iterator[tuple[str, APIRoute, bool]]:
    """(path, route, whether it needs the proof) of every API route, through included routers."""
    for route in routes:
        context = getattr(route, "include_context", None)
        if context is not None:  # a router included into the app (FastAPI keeps it whole)
            calls = tuple(d.dependency for d in context.dependencies)
            yield from _routes(route.original_router.routes, prefix + context.prefix, inherited + calls)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route, servicekit_http._caller in inherited or _needs_proof(route.dependant)


def _needs_proof(dependant: Any) -> bool:
    return any(d.call is servicekit_http._caller or _needs_proof(d) for d in dependant.dependencies)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def _calls(app: FastAPI) -> list[tuple[str, str]]:
    return sorted((method, path) for path, route, proof in _routes(app.routes) if proof for method in route.methods)


@pytest.fixture(scope="module", params=list(PUBLIC))
def service(request: pytest.FixtureRequest, infra: Any) -> Iterator[tuple[str, FastAPI, str]]:
    name = request.param
    migrations = importlib.import_module(f"{name}.main").MIGRATIONS
    url = asyncio.run(migrated_database(infra, name, migrations))
    yield name, _app(name, url, infra.kafka_bootstrap), url


def test_every_route_needs_the_proof_or_is_public_on_purpose(service: tuple[str, FastAPI, str]) -> None:
    name, app, _ = service
    public = {path for path, _, proof in _routes(app.routes) if not proof}
    allowed = {p for p in public if p in OPERATIONS or p.startswith(PUBLIC[name])}
    assert public == allowed, f"{name}: routes without the gateway's proof: {sorted(public - allowed)}"
    assert _calls(app), f"{name} has no internal route?"


def _bad_proofs(name: str) -> dict[str, dict[str, str]]:
    account = uuid.uuid4()
    stranger, _ = new_key_pair()
    owner = Caller(account, "mallory", "owner")
    signer = ProofSigner(os.environ["GATEWAY_SIGNING_KEY"])
    return {
        "no proof": {},
        "bare headers": {"X-Account-Id": str(account), "X-User-Id": "mallory", "X-User-Role": "owner"},
        "not bearer": {"Authorization": f"Basic {account}"},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "another key": {"Authorization": f"Bearer {ProofSigner(stranger).sign(owner, SERVICES)}"},
        "expired": {"Authorization": f"Bearer {signer.sign(owner, SERVICES, lifetime=timedelta(seconds=-60))}"},
        "another service": {"Authorization": f"Bearer {signer.sign(owner, [s for s in SERVICES if s != name])}"},
    }


async def test_without_a_valid_proof_every_internal_route_is_refused_and_changes_nothing(
    service: tuple[str, FastAPI, str],
) -> None:
    name, app, url = service
    before = await _count_rows(url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
        for method, path in _calls(app):
            for what, headers in _bad_proofs(name).items():
                response = await client.request(method, _concrete(path), headers=headers,
                                                json={} if method not in READS else None)
                assert response.status_code == 401, f"{name} {method} {path} with {what}: {response.status_code}"
                assert response.headers["content-type"].startswith("application/problem+json")
    assert await _count_rows(url) == before


async def test_a_viewer_can_write_nowhere(service: tuple[str, FastAPI, str]) -> None:
    name, app, url = service
    before = await _count_rows(url)
    viewer = as_account(uuid.uuid4(), role="viewer", user="vera")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
        for method, path in _calls(app):
            if method in READS:
                continue
            response = await client.request(method, _concrete(path), headers=viewer, json={})
            assert response.status_code == 403, f"{name} {method} {path}: {response.status_code}"
    assert await _count_rows(url) == before


async def _count_rows(url: str) -> dict[str, int]:
    """Rows per table of the service's database: a refused request must leave every one as it was."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [r["tablename"] for r in rows]
        return {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables}
    finally:
        await conn.close()


# --- Another account's proof ----------------------------------------------------------------------
#
# Account A owns one real resource of every kind the routes name; account B, with a valid proof of
# its own (the owner, who may do anything in B), names A's ids in every route's path. Each must
# answer as if the resource did not exist (404) or refuse (403), change nothing, and show nothing of A.

MARKER = "alpha-school-private"  # in A's titles, names and templates: must never reach B
# Path parameters that name something within the caller's own account rather than a resource of
# A's: a provider's settings, a template's override. B naming them reaches B's own, so B's reads
# must not show A's and B's writes may change only rows of B's.
OWN_NAMES = {"provider", "template", "locale"}
# Reads under a parent that answer another account with an empty list rather than 404, and why:
# contacts belong to orders, and notifications hears of one only with its first order's email, so
# "no emails to this contact" is the true answer for any id it is asked about, whoever's.
EMPTY_LISTS_FOR_OTHERS: dict[str, set[str]] = {"notifications": {"/contacts/{contact_id}/notifications"}}


def _a(account: uuid.UUID) -> dict[str, str]:
    return as_account(account, user="alice")


async def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), f"seeding: {response.request.method} {response.request.url}: " \
                                                f"{response.status_code} {response.text}"
    return response.json()


async def _seed_offers(client: httpx.AsyncClient, app: FastAPI, a: uuid.UUID) -> dict[str, str]:
    product = await _created(await client.post("/products", json={"title": f"{MARKER} course"}, headers=_a(a)))
    offer = await _created(await client.post("/offers", headers=_a(a), json={
        "title": f"{MARKER} offer", "currency": "UAH", "items": [{"product_id": product["id"], "price": "100.00"}]}))
    return {"product_id": product["id"], "offer_id": offer["id"]}


async def _seed_orders(client: httpx.AsyncClient, app: FastAPI, a: uuid.UUID) -> dict[str, str]:
    from contracts import ProductUpdated
    from orders.main import on_product_updated

    product = uuid.uuid4()
    async with app.state.engine.begin() as conn:  # what the consumer does when offers announces a product
        await on_product_updated(conn, ProductUpdated(
            account_id=a, correlation_id=uuid.uuid4(), product_id=product, title=f"{MARKER} course", kind="course"))
    pipeline = await _created(await client.post("/pipelines", headers=_a(a), json={
        "name": f"{MARKER} pipeline", "stages": [{"name": "Lead"}]}))
    contact = await _created(await client.post("/contacts", headers=_a(a), json={
        "name": f"{MARKER} contact", "email": "alpha-contact@example.com"}))
    order = await _created(await client.post("/orders", headers=_a(a), json={
        "contact_id": contact["id"], "currency": "UAH", "comment": MARKER,
        "lines": [{"product_id": str(product), "price": "100.00"}]}))
    return {"id_or_number": order["id"], "line_id": order["lines"][0]["id"], "contact_id": contact["id"],
            "pipeline_id": pipeline["id"], "product": str(product)}


def _order_created(a: uuid.UUID) -> Any:
    from contracts import ContactData, OrderCreated, OrderLine, PlannedPayment

    return OrderCreated(
        account_id=a, correlation_id=uuid.uuid4(), order_id=uuid.uuid4(), order_number=7, checkout_id=uuid.uuid4(),
        offer_id=uuid.uuid4(), school_name=f"{MARKER} school", contact_id=uuid.uuid4(),
        contact=ContactData(name=f"{MARKER} contact", email="alpha-contact@example.com", locale="uk"),
        currency="UAH", lines=[OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title=MARKER,
                                         price=Decimal("100.00"))],
        discount=Decimal(0), total=Decimal("100.00"), payment_plan=[PlannedPayment(amount=Decimal("100.00"))],
        provider="sandbox",
    )


WFP_SETTINGS = {"merchant_account": "alpha_merchant", "secret_key": f"{MARKER}-secret", "merchant_domain_name": "a.ua"}


async def _seed_payments(client: httpx.AsyncClient, app: FastAPI, a: uuid.UUID) -> dict[str, str]:
    from payments import service as payments_service
    from payments.adapters.unit_of_work import SqlUnitOfWork as PaymentsUnitOfWork
    from payments.main import providers_from

    await _created(await client.put("/providers/wayforpay", json=WFP_SETTINGS, headers=_a(a)))
    order = _order_created(a)
    async with app.state.engine.begin() as conn:  # what the consumer does with OrderCreated
        await payments_service.create_order_payments(PaymentsUnitOfWork(conn), order,
                                                     providers_from(app.state.settings))
    [payment] = (await _created(await client.get(f"/orders/{order.order_id}/payments", headers=_a(a))))["items"]
    return {"order": str(order.order_id), "payment_id": payment["id"], "provider": "wayforpay"}


TEMPLATE = {"subject": f"{MARKER} subject", "html": f"<p>{MARKER}</p>", "text": MARKER}


async def _seed_notifications(client: httpx.AsyncClient, app: FastAPI, a: uuid.UUID) -> dict[str, str]:
    from contracts import PaymentLinkIssued
    from notifications import service as notifications_service
    from notifications.adapters.unit_of_work import SqlUnitOfWork

    order = _order_created(a)
    link = PaymentLinkIssued.caused_by(order, order_id=order.order_id, payment_id=uuid.uuid4(), amount="100.00",
                                       currency="UAH", provider="sandbox", url=f"https://pay.example/{MARKER}")
    async with app.state.engine.begin() as conn:  # what the consumers do with both events
        await notifications_service.on_order_created(SqlUnitOfWork(conn), order)
        await notifications_service.on_payment_link_issued(SqlUnitOfWork(conn), link)
    [delivery] = (await _created(await client.get(f"/orders/{order.order_id}/notifications", headers=_a(a))))["items"]
    await _created(await client.put("/templates/payment_link/uk", json=TEMPLATE, headers=_a(a)))
    return {"order": str(order.order_id), "contact_id": str(order.contact_id), "delivery_id": delivery["id"],
            "template": "payment_link", "locale": "uk"}


SEEDS = {"offers": _seed_offers, "orders": _seed_orders, "payments": _seed_payments,
         "notifications": _seed_notifications}

# A valid body for every write that names a resource, so that only whose resource it is decides
# the answer (an empty body would be a 422 whoever asked). A new write without one fails the test.
Body = Callable[[dict[str, str]], Any]
BODIES: dict[str, dict[tuple[str, str], Body]] = {
    "offers": {
        ("PATCH", "/products/{product_id}"): lambda s: {"title": "Taken"},
        ("PATCH", "/offers/{offer_id}"): lambda s: {"version": 1, "title": "Taken"},
    },
    "orders": {
        ("PATCH", "/orders/{id_or_number}"): lambda s: {"version": 1, "comment": "taken"},
        ("POST", "/orders/{id_or_number}/lines"): lambda s: {"version": 1, "product_id": s["product"], "price": "1.00"},
        ("PATCH", "/orders/{id_or_number}/lines/{line_id}"): lambda s: {"version": 1, "price": "1.00"},
        ("DELETE", "/orders/{id_or_number}/lines/{line_id}"): lambda s: None,
        ("PATCH", "/contacts/{contact_id}"): lambda s: {"name": "Taken"},
        ("PATCH", "/pipelines/{pipeline_id}"): lambda s: {"name": "Taken"},
        ("DELETE", "/pipelines/{pipeline_id}"): lambda s: None,
    },
    "payments": {
        ("POST", "/orders/{order}/payments"): lambda s: {"amount": "10.00"},
        ("PATCH", "/payments/{payment_id}"): lambda s: {"comment": "taken"},
        ("POST", "/payments/{payment_id}/mark-paid"): lambda s: {"comment": "taken"},
        ("POST", "/payments/{payment_id}/send-link"): lambda s: None,
        ("POST", "/payments/{payment_id}/reminders"): lambda s: None,
        ("PUT", "/providers/{provider}"): lambda s: {**WFP_SETTINGS, "secret_key": "b-secret"},
        ("PATCH", "/providers/{provider}"): lambda s: {"merchant_domain_name": "b.ua"},
    },
    "notifications": {
        ("POST", "/notifications/{delivery_id}/resend"): lambda s: None,
        ("PUT", "/templates/{template}/{locale}"): lambda s: {"subject": "B", "html": "<p>B</p>", "text": "B"},
        ("POST", "/templates/{template}/{locale}/preview"): lambda s: {"subject": "B", "html": "<p>B</p>", "text": "B"},
        ("DELETE", "/templates/{template}/{locale}"): lambda s: None,
    },
}


def _params(path: str) -> list[str]:
    return re.findall(r"\{([^}]+)\}", path)


def _fill(path: str, seeded: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: seeded[m[1]], path)


async def _digests(url: str, *, leaving_out: str | None = None) -> dict[str, str]:
    """A digest of every table's whole content (of the rows not naming `leaving_out`, if given).

    Every table, none left out: no read of any service writes (no access log, no counter), so a
    table that changes is a request that changed something."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        where = "WHERE strpos(t::text, $1) = 0" if leaving_out else ""
        args = [leaving_out] if leaving_out else []
        return {t: await conn.fetchval(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{t}\" t {where}", *args)
            for t in tables}
    finally:
        await conn.close()


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


def _shows_a(response: httpx.Response, a: uuid.UUID, seeded: dict[str, str], sent: str) -> list[str]:
    """What of A's is in an answer to B: the marker, A's account, and any of A's ids B did not send itself."""
    ids = {v for k, v in seeded.items() if k not in OWN_NAMES and v not in sent}
    return [found for found in (MARKER, str(a), *ids) if found in response.text]


async def test_another_accounts_proof_reaches_none_of_its_resources_and_changes_nothing(
    service: tuple[str, FastAPI, str],
) -> None:
    name, app, url = service
    a, b = uuid.uuid4(), uuid.uuid4()
    intruder = as_account(b, user="bob")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
        seeded = await SEEDS[name](client, app, a)
        calls = _calls(app)
        named = [(m, p) for m, p in calls if _params(p)]
        unknown = sorted({param for _, p in named for param in _params(p)} - set(seeded))
        assert not unknown, f"{name}: seed a resource of account A for the path parameters {unknown}"
        unbodied = sorted((m, p) for m, p in named if m not in READS and (m, p) not in BODIES[name])
        assert not unbodied, f"{name}: give these writes a valid body in BODIES: {unbodied}"

        # A's ids: refused whatever B asks, and nothing anywhere changes.
        before = await _digests(url)
        for method, path in named:
            if set(_params(path)) <= OWN_NAMES:
                continue
            concrete = _fill(path, seeded)
            body = BODIES[name][(method, path)](seeded) if method not in READS else None
            response = await client.request(method, concrete, headers=intruder, json=body)
            what = f"{name} {method} {path} as another account"
            if method in READS and path in EMPTY_LISTS_FOR_OTHERS.get(name, set()):
                assert response.status_code == 200 and response.json()["items"] == [], f"{what}: {response.text}"
            else:
                assert response.status_code in (403, 404), f"{what}: {response.status_code} {response.text}"
            shown = _shows_a(response, a, seeded, concrete)
            assert not shown, f"{what} shows {shown}"
        after = await _digests(url)
        assert after == before, f"{name}: another account changed {_changed(before, after)}"

        # The caller's own names (providers, templates): B's reads show nothing of A's, B's writes
        # change only B's rows; and no list B reads holds anything of A's.
        before = await _digests(url, leaving_out=str(b))
        for method, path in calls:
            if _params(path) and not set(_params(path)) <= OWN_NAMES:
                continue
            if method not in READS and not _params(path):
                continue
            body = BODIES[name][(method, path)](seeded) if method not in READS else None
            response = await client.request(method, _fill(path, seeded), headers=intruder, json=body)
            what = f"{name} {method} {path} as another account"
            assert response.status_code < 500, f"{what}: {response.status_code} {response.text}"
            assert not _shows_a(response, a, seeded, ""), f"{what} shows {_shows_a(response, a, seeded, '')}"
        after = await _digests(url, leaving_out=str(b))
        assert after == before, f"{name}: another account changed A's rows in {_changed(before, after)}"
