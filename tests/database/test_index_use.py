"""Every statement an adapter keeps as SQL text can be answered through an index.

A statement whose plan reads a whole table costs nothing in a test and more each day in use: the
sender's pass once read every email ever sent, and each load of an order every payment the school
had taken, because no index served their conditions. PostgreSQL is asked for each statement's
generic plan (the one a prepared statement runs with any parameters) on the service's migrated
schema with sequential scans switched off, so that it takes an index wherever one can serve: a
sequential scan left in the plan means none can.

Statements are found as they are kept: module-level strings (or `text()` clauses) of the
service's `adapters` package, and of the kit (its inbox, outbox and relay run on every service's
tables), that begin with SELECT, INSERT, UPDATE, DELETE or WITH. Templates
with named placeholders are left to their formatted forms, which are kept too. A piece of a
statement cannot be planned alone: those are listed in FRAGMENTS, so any other text that cannot
be planned fails the test instead of escaping it.
"""

import asyncio
import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from alembic.command import downgrade
from servicekit.db import asyncpg_dsn
from servicekit.migrations import alembic_config, upgrade
from servicekit.testing import SERVICES, migrated_database
from sqlalchemy.dialects.postgresql.asyncpg import dialect
from sqlalchemy.sql.elements import TextClause

_STATEMENT = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"(?<!\{)\{[A-Za-z_]\w*\}(?!\})")

# Pieces joined into whole statements where they are used (their statements are kept whole too).
FRAGMENTS = {
    # The columns half of the email's read; the FROM half is joined to it by the caller.
    "notifications.adapters.repository._FOR_EMAIL_COLUMNS",
    # The lines' insert, a CTE of the order's save, numbered from that statement's parameters.
    "orders.adapters.orders._LINES",
}


def kept_statements(package_name: str) -> dict[str, str]:
    """Each SQL text kept in the package's modules, by its module's and its own name."""
    package = importlib.import_module(package_name)
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            # A text() clause's :name parameters as the driver gets them ($1, ...).
            sql = str(value.compile(dialect=dialect())) if isinstance(value, TextClause) else value
            if isinstance(sql, str) and _STATEMENT.match(sql) and not _PLACEHOLDER.search(sql):
                found[f"{info.name}.{name}"] = sql
    return found


async def planned_scans(url: str, statements: dict[str, str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each statement's sequentially scanned tables, and those PostgreSQL could not plan, with why."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("SET enable_seqscan = off")
        scans: dict[str, list[str]] = {}
        failed: dict[str, str] = {}
        for name, sql in statements.items():
            try:
                explain = await conn.prepare(f"EXPLAIN (GENERIC_PLAN) {sql}")
                # The generic plan depends on no value; the protocol still wants one per parameter.
                plan = "\n".join(row[0] for row in await explain.fetch(*[None] * len(explain.get_parameters())))
            except asyncpg.PostgresError as exc:
                failed[name] = f"{type(exc).__name__}: {exc}"
                continue
            scans[name] = re.findall(r"Seq Scan on (\w+)", plan)
        return scans, failed
    finally:
        await conn.close()


@pytest.fixture(scope="module", params=SERVICES)
def service(request: pytest.FixtureRequest, infra: Any) -> Iterator[tuple[str, str]]:
    name = request.param
    migrations = importlib.import_module(f"{name}.main").MIGRATIONS
    yield name, asyncio.run(migrated_database(infra, f"{name}_plans", migrations))


def test_every_kept_statement_is_served_by_an_index(service: tuple[str, str]) -> None:
    name, url = service
    statements = kept_statements(f"{name}.adapters") | kept_statements("servicekit")
    scans, failed = asyncio.run(planned_scans(url, statements))
    assert {n: why for n, why in failed.items() if n not in FRAGMENTS} == {}, "statements PostgreSQL cannot plan"
    assert {n: tables for n, tables in scans.items() if tables} == {}, "statements that read a whole table"
    # The search found what it is meant to find: the statements on each service's hot paths.
    assert len(scans) >= 4, f"{name}: only {sorted(scans)} found"


def test_the_fragments_listed_are_still_kept() -> None:
    kept = set().union(*(kept_statements(f"{name}.adapters") for name in SERVICES))
    assert FRAGMENTS <= kept, f"listed but gone: {sorted(FRAGMENTS - kept)}"


@pytest.mark.parametrize(("service_name", "statement", "index"), [
    ("orders", "orders.adapters.orders._LOAD", "order_payments_order"),
    ("notifications", "notifications.adapters.repository._SETTLE_ALL_CLAIM_UNHANDED", "deliveries_handed_over"),
])
def test_a_missing_index_is_found(infra: Any, service_name: str, statement: str, index: str) -> None:
    """The check fails where it should: without the index, the statement's plan reads the table."""
    migrations = importlib.import_module(f"{service_name}.main").MIGRATIONS
    url = asyncio.run(migrated_database(infra, f"{service_name}_noindex", migrations))

    async def without_index() -> dict[str, list[str]]:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await conn.execute(f"DROP INDEX {index}")
        finally:
            await conn.close()
        scans, _ = await planned_scans(url, {statement: kept_statements(f"{service_name}.adapters")[statement]})
        return scans

    assert asyncio.run(without_index())[statement] != []


@pytest.mark.parametrize(("service_name", "index", "build"), [
    ("orders", "order_payments_order", "CREATE INDEX CONCURRENTLY order_payments_order ON order_payments (order_id)"),
    ("notifications", "deliveries_handed_over",
     "CREATE INDEX CONCURRENTLY deliveries_handed_over ON deliveries (next_attempt_at) "
     "WHERE handed_over_at IS NOT NULL AND status IN ('pending', 'cancelled')"),
])
def test_an_index_built_beforehand_without_blocking_is_taken_by_the_migration(
        infra: Any, service_name: str, index: str, build: str) -> None:
    """What the migrations' docstrings tell an operator with a large table: build it first, then upgrade."""
    migrations = importlib.import_module(f"{service_name}.main").MIGRATIONS
    url = asyncio.run(migrated_database(infra, f"{service_name}_prebuilt", migrations))

    async def indexes() -> list[str]:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            return [row[0] for row in await conn.fetch("SELECT indexname FROM pg_indexes WHERE indexname = $1", index)]
        finally:
            await conn.close()

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    downgrade(alembic_config(migrations, url), "0013")
    assert asyncio.run(indexes()) == []
    asyncio.run(execute(build))
    upgrade(migrations, url)
    assert asyncio.run(indexes()) == [index]
