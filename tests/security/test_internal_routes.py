"""Every internal route of every service takes its caller from the gateway's proof, and nothing else.

The routes are read from the apps themselves, so a new route is checked the day it is written:
either it depends on the proof, or it is one of the public routes listed here on purpose.
"""

import asyncio
import importlib
import os
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
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
