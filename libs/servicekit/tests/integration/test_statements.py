"""Statements counted per kind of work, on real PostgreSQL through SQLAlchemy's async layer."""

import asyncio

import httpx
from fastapi import FastAPI
from servicekit.db import create_engine
from servicekit.http import install_request_context
from servicekit.metrics import REGISTRY
from servicekit.statements import tallied
from sqlalchemy import text


def counted(work: str) -> float:
    return REGISTRY.get_sample_value("db_statements_total", {"work": work}) or 0.0


async def test_each_statement_counts_for_the_work_under_way_and_a_block_inside_for_its_own(infra):
    engine = create_engine(await asyncio.to_thread(infra.new_database, "kit_statements"))
    try:
        before = {w: counted(w) for w in ("test outer", "test inner", "other")}
        with tallied("test outer"):
            async with engine.begin() as conn:
                await conn.execute(text("SELECT 1"))
                with tallied("test inner"):
                    async with conn.begin_nested():  # the savepoint and its release are statements too
                        await conn.execute(text("SELECT 2"))
                # A task started inside the work adds to its tally.
                await asyncio.create_task(_one_more(engine))
        async with engine.begin() as conn:
            await conn.execute(text("SELECT 3"))
        assert counted("test outer") - before["test outer"] == 2
        assert counted("test inner") - before["test inner"] == 3
        assert counted("other") - before["other"] >= 1
    finally:
        await engine.dispose()


async def _one_more(engine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 4"))


async def test_a_request_counts_under_its_method_and_route_template(infra):
    engine = create_engine(await asyncio.to_thread(infra.new_database, "kit_statements_http"))
    app = FastAPI()
    install_request_context(app, "kit")

    @app.get("/things/{thing}")
    async def thing(thing: int) -> dict[str, int]:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT 1"))
            await conn.execute(text("SELECT 2"))
        return {"thing": thing}

    try:
        before = counted("GET /things/{thing}")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kit") as client:
            for n in (1, 2, 3):
                assert (await client.get(f"/things/{n}")).status_code == 200
        assert counted("GET /things/{thing}") - before == 6
    finally:
        await engine.dispose()
