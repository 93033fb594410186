"""Idempotency-Key on real PostgreSQL: one resource per key and request, whatever the timing."""

import asyncio
import uuid
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI, Header
from pydantic import BaseModel
from servicekit import idempotency
from servicekit.http import install_problem_handlers
from sqlalchemy import Column, MetaData, Numeric, Table, Text, func, insert, select, text
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

metadata = MetaData()
requests = idempotency.idempotency_table(metadata)
things = Table("things", metadata, Column("id", PG_UUID(as_uuid=True), primary_key=True),
               Column("account", Text, nullable=False), Column("title", Text), Column("price", Numeric(18, 2)))


class ThingIn(BaseModel):
    title: str
    price: Decimal


async def create_thing(conn: AsyncConnection, account: str, body: ThingIn,
                       request: idempotency.Idempotent | None) -> tuple[UUID, bool]:
    if (earlier := await idempotency.made_before(conn, requests, account, request)) is not None:
        return earlier, False
    thing_id = uuid4()
    # A slow creation, so concurrent first requests overlap for certain.
    await conn.execute(text("SELECT pg_sleep(0.1)"))
    await conn.execute(insert(things).values(id=thing_id, account=account, title=body.title, price=body.price))
    await idempotency.remember(conn, requests, account, request, thing_id)
    return thing_id, True


@pytest.fixture(scope="module")
async def engine(infra):
    url = await asyncio.to_thread(infra.new_database, "kit_idem")
    eng = create_async_engine(url)
    async with eng.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="module")
async def client(engine):
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things", status_code=201)
    async def post_thing(body: ThingIn, key: idempotency.IdempotencyKeyHeader,
                         x_account: Annotated[str, Header()]) -> dict[str, Any]:
        async with engine.begin() as conn:
            thing_id, created = await create_thing(conn, x_account, body, idempotency.fingerprinted(key, body))
        return {"id": str(thing_id), "created": created}

    @app.post("/other-things", status_code=201)
    async def post_other(body: ThingIn, key: idempotency.IdempotencyKeyHeader,
                         x_account: Annotated[str, Header()]) -> dict[str, Any]:
        return await post_thing(body, key, x_account)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kit") as c:
        yield c


async def count(engine, account: str) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(things).where(things.c.account == account)))


def headers(account: str, key: str | None = None) -> dict[str, Any]:
    # As bytes, so a client can send what a browser would not (a Latin-1 letter, say).
    return {"X-Account": account, **({"Idempotency-Key": key.encode("latin-1")} if key is not None else {})}


BODY = {"title": "Course", "price": "10.00"}


async def test_the_same_key_and_body_give_the_first_result(client, engine):
    account, key = str(uuid4()), str(uuid4())
    first = await client.post("/things", json=BODY, headers=headers(account, key))
    # The same amount written another way is the same request.
    again = await client.post("/things", json={"price": "10", "title": "Course"}, headers=headers(account, key))
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert (first.json()["created"], again.json()["created"]) == (True, False)
    assert await count(engine, account) == 1


async def test_the_same_key_with_another_body_is_one_422_and_creates_nothing(client, engine):
    account, key = str(uuid4()), str(uuid4())
    assert (await client.post("/things", json=BODY, headers=headers(account, key))).status_code == 201
    for path, body in (("/things", {**BODY, "title": "Other"}), ("/other-things", BODY)):
        refused = await client.post(path, json=body, headers=headers(account, key))
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["title"] == "Idempotency-Key reused"
        assert problem["errors"] == [{"field": "Idempotency-Key",
                                      "message": "this Idempotency-Key was used for a different request"}]
    assert await count(engine, account) == 1


async def test_concurrent_first_requests_under_one_key_make_one_resource(client, engine):
    account, key = str(uuid4()), str(uuid4())
    answers = await asyncio.gather(*(client.post("/things", json=BODY, headers=headers(account, key))
                                     for _ in range(5)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert sorted(a.json()["created"] for a in answers) == [False] * 4 + [True]
    assert await count(engine, account) == 1


async def test_a_key_is_per_account(client, engine):
    key = str(uuid4())
    one, other = str(uuid4()), str(uuid4())
    first = await client.post("/things", json=BODY, headers=headers(one, key))
    elsewhere = await client.post("/things", json={**BODY, "title": "Theirs"}, headers=headers(other, key))
    assert (first.status_code, elsewhere.status_code) == (201, 201)
    assert first.json()["id"] != elsewhere.json()["id"]
    assert (await count(engine, one), await count(engine, other)) == (1, 1)


async def test_without_a_key_every_request_creates(client, engine):
    account = str(uuid4())
    for _ in range(2):
        assert (await client.post("/things", json=BODY, headers=headers(account))).json()["created"] is True
    assert await count(engine, account) == 2


@pytest.mark.parametrize("key", ["", "x" * 201, "caf\u00e9", "tab\there"])
async def test_a_bad_key_is_a_422_naming_the_header_and_creates_nothing(client, engine, key):
    account = str(uuid4())
    refused = await client.post("/things", json=BODY, headers=headers(account, key))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await count(engine, account) == 0


async def test_the_longest_key_and_any_printable_character_are_taken(client, engine):
    account = str(uuid4())
    for key in ("k" * idempotency.MAX_KEY_LENGTH, "order 7: {retry} #2 ~/"):
        assert (await client.post("/things", json=BODY, headers=headers(account, key))).status_code == 201
    assert await count(engine, account) == 2


async def test_a_record_carried_over_without_a_fingerprint_answers_any_repeat(engine):
    account, key, earlier = str(uuid4()), str(uuid4()), uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(insert(requests).values(scope=account, key=key, fingerprint=None, resource_id=earlier))
    async with engine.begin() as conn:
        found = await idempotency.made_before(conn, requests, account, idempotency.Idempotent(key, "anything"))
    assert found == earlier
