"""The kit's leased queue on real PostgreSQL: each due row goes to one worker at a time, comes
back when its lease runs out, and only the try that holds it can renew it."""

import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest
from servicekit.queues import LeasedQueue
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, func, insert, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import create_async_engine

metadata = MetaData()
jobs = Table(
    "jobs", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("note", Text),
)
QUEUE = LeasedQueue(jobs, (jobs.c.id,), jobs.c.next_attempt_at, jobs.c.attempts)
BY_KIND = LeasedQueue(jobs, (jobs.c.id, jobs.c.kind), jobs.c.next_attempt_at, jobs.c.attempts)


@pytest.fixture
async def engine(infra):
    url = await asyncio.to_thread(infra.new_database, "kit_leased_queue")
    eng = create_async_engine(url)
    async with eng.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield eng
    await eng.dispose()


async def add(engine, count: int, kind: str = "mail", due_in: int = 0) -> list:
    ids = [uuid4() for _ in range(count)]
    async with engine.begin() as conn:
        for i in ids:
            await conn.execute(insert(jobs).values(id=i, kind=kind,
                                                   next_attempt_at=func.now() + timedelta(seconds=due_in)))
    return ids


async def claim(engine, queue: LeasedQueue = QUEUE, limit: int = 100, lease: timedelta = timedelta(minutes=5),
                **kwargs) -> list:
    async with engine.begin() as conn:
        return list(await conn.execute(queue.claim(limit=limit, lease=lease,
                                                   returning=(jobs.c.id, jobs.c.attempts), **kwargs)))


async def test_workers_claiming_at_once_share_the_due_rows_and_never_take_one_twice(engine):
    ids = await add(engine, 60)
    await add(engine, 5, due_in=3600)  # not due yet
    batches = await asyncio.gather(*(claim(engine, limit=7) for _ in range(12)))
    taken = [row.id for batch in batches for row in batch]
    assert sorted(taken) == sorted(ids) and len(set(taken)) == len(taken)
    assert {row.attempts for batch in batches for row in batch} == {1}
    assert await claim(engine) == []  # all leased now


async def test_a_row_comes_back_when_its_lease_runs_out_and_the_old_try_cannot_renew_it(engine):
    [job] = await add(engine, 1)
    [first] = await claim(engine, lease=timedelta(0))
    [second] = await claim(engine)  # the first try's lease ran out at once
    assert (first.attempts, second.attempts) == (1, 2)
    async with engine.begin() as conn:
        stale = await conn.execute(QUEUE.renew([(job, first.attempts)], timedelta(minutes=5)))
        held = await conn.execute(QUEUE.renew([(job, second.attempts)], timedelta(minutes=10)))
        assert (stale.rowcount, held.rowcount) == (0, 1)
        due = (await conn.execute(select(jobs.c.next_attempt_at - func.now()))).scalar_one()
    assert timedelta(minutes=9) < due <= timedelta(minutes=10)


async def test_a_claim_takes_only_what_meets_its_conditions_and_sets_what_it_is_given(engine):
    mail = await add(engine, 3, kind="mail")
    await add(engine, 3, kind="link")
    rows = await claim(engine, BY_KIND, where=[jobs.c.kind == "mail"], values={jobs.c.note: "taken"})
    assert sorted(r.id for r in rows) == sorted(mail)
    async with engine.connect() as conn:
        notes = dict((await conn.execute(select(jobs.c.kind, func.count()).where(jobs.c.note == "taken")
                                         .group_by(jobs.c.kind))).all())
    assert notes == {"mail": 3}


async def test_the_oldest_due_goes_first(engine):
    late = await add(engine, 1, due_in=-10)
    later = await add(engine, 1, due_in=-100)
    rows = await claim(engine, limit=1)
    assert [r.id for r in rows] == later and late != later
