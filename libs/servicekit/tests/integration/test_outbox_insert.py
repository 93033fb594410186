"""The outbox insert on real PostgreSQL: any number of events in one statement, each row as the
event wrote it, ids in the events' order, inside the caller's transaction (nothing on rollback)."""

import asyncio
import json
import uuid
from typing import Literal

import pytest
from contracts import Event
from servicekit.metrics import REGISTRY
from servicekit.outbox import add_to_outbox, event_headers, outbox_table
from servicekit.statements import tallied
from servicekit.testing import count_inserting_statements
from sqlalchemy import MetaData, select, text
from sqlalchemy.ext.asyncio import create_async_engine

metadata = MetaData()
outbox = outbox_table(metadata)


class LessonBooked(Event):
    event_type: Literal["LessonBooked"] = "LessonBooked"
    pupil: str
    n: int

    def partition_key(self) -> str:
        return self.pupil


def booked(pupil: str, n: int) -> LessonBooked:
    return LessonBooked(account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), pupil=pupil, n=n)


def counted(work: str) -> float:
    return REGISTRY.get_sample_value("db_statements_total", {"work": work}) or 0.0


@pytest.fixture
async def engine(infra):
    eng = create_async_engine(await asyncio.to_thread(infra.new_database, "outbox_insert"))
    async with eng.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await count_inserting_statements(conn, "outbox")
    yield eng
    await eng.dispose()


async def test_many_events_are_one_statement_and_keep_their_order_and_content(engine):
    events = [booked(pupil, n) for n in range(7) for pupil in ("ann", "bo")]
    before = counted("outbox insert")
    with tallied("outbox insert"):
        async with engine.begin() as conn:
            await add_to_outbox(conn, outbox, *events)
    # Fourteen events are one statement sent, and one the server ran (one wake-up for the relay).
    assert counted("outbox insert") - before == 1
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM outbox_inserts"))).scalar() == 1
        rows = (await conn.execute(select(outbox).order_by(outbox.c.id))).all()
    assert [json.loads(e.model_dump_json()) for e in events] == [r.payload for r in rows]
    assert [(e.topic, e.partition_key(), event_headers(e)) for e in events] == [
        (r.topic, r.key, r.headers) for r in rows]
    assert all(r.published_at is None and r.attempts == 0 for r in rows)


async def test_rows_leave_with_the_transaction_and_an_empty_call_sends_nothing(engine):
    before = counted("outbox nothing")
    with tallied("outbox nothing"):
        async with engine.connect() as conn:
            await add_to_outbox(conn, outbox)
    assert counted("outbox nothing") - before == 0
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await add_to_outbox(conn, outbox, booked("cy", 1), booked("cy", 2))
            raise RuntimeError("the use case failed after queueing its events")
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar() == 0
