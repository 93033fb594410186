"""The worker kit on real PostgreSQL: one notices connection per process, fanned out to whoever
waits; a polling worker woken by a notice long before its poll."""

import asyncio

import pytest
from servicekit.backoff import Backoff
from servicekit.db import asyncpg_dsn
from servicekit.notices import Notices
from servicekit.testing import CountingWorker as Counting
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


@pytest.fixture
async def engine(infra):
    url = await asyncio.to_thread(infra.new_database, "kit")
    engine = create_async_engine(url)
    yield engine
    await engine.dispose()


async def notify(engine, channel: str, payload: str = "") -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": channel, "p": payload})


async def listeners(engine) -> list[int]:
    """The backends of this database that listen (their last statement was a LISTEN)."""
    async with engine.connect() as conn:
        return list((await conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        ))).scalars())


async def eventually(check, timeout: float = 10):
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.05)
    return result


async def test_one_connection_hears_every_channel_and_wakes_only_who_waits_for_it(engine):
    notices = Notices.of(engine)
    links, emails, other_emails = notices.wake_on("links"), notices.wake_on("emails"), notices.wake_on("emails")
    await notices.start()
    try:
        with notices.watch("checkout", "a") as a, notices.watch("checkout", "b") as b:
            await asyncio.wait_for(notices.connected.wait(), 10)
            assert len(await listeners(engine)) == 1  # three channels, one connection
            for event in (links, emails, other_emails, a, b):
                event.clear()
            await notify(engine, "emails")
            await asyncio.wait_for(emails.wait(), 5)
            await asyncio.wait_for(other_emails.wait(), 5)
            await notify(engine, "checkout", "b")
            await asyncio.wait_for(b.wait(), 5)
            assert not links.is_set() and not a.is_set()
        # A channel asked for after the start is listened to on the same connection.
        late = notices.wake_on("late")
        await eventually(lambda: _heard(engine, late, "late"))
        assert len(await listeners(engine)) == 1
    finally:
        await notices.stop()
    assert await eventually(lambda: _none_left(engine))


async def _heard(engine, event: asyncio.Event, channel: str) -> bool:
    event.clear()
    await notify(engine, channel)
    await asyncio.sleep(0.1)
    return event.is_set()


async def _none_left(engine) -> bool:
    return not await listeners(engine)


async def test_a_lost_connection_wakes_every_waiter_and_is_made_again(engine):
    dsn = asyncpg_dsn(engine.url.render_as_string(hide_password=False))
    notices = Notices(dsn, backoff=Backoff(first=0.1, cap=0.2), check_every=0.1)
    woken = notices.wake_on("emails")
    await notices.start()
    try:
        with notices.watch("checkout", "a") as waiting:
            await asyncio.wait_for(notices.connected.wait(), 10)
            [pid] = await listeners(engine)
            woken.clear()
            waiting.clear()
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            # A notice may have been missed while it was gone: everyone reads again.
            await asyncio.wait_for(woken.wait(), 5)
            await asyncio.wait_for(waiting.wait(), 5)
            [again] = await eventually(lambda: listeners(engine))
            assert again != pid
            await eventually(lambda: _heard(engine, woken, "emails"))
    finally:
        await notices.stop()


async def test_a_process_that_waits_for_nothing_opens_no_connection(engine):
    notices = Notices.of(engine)
    await notices.start()
    await asyncio.sleep(0.3)
    assert not notices.connected.is_set() and await listeners(engine) == []
    await notices.stop()


async def test_a_worker_wakes_on_a_notice_long_before_its_poll(engine):
    notices = Notices.of(engine)
    worker = Counting([], poll=60, notices=notices, channels=["work"], owns_notices=True)
    await worker.start()
    try:
        await asyncio.wait_for(notices.connected.wait(), 10)
        await asyncio.sleep(0.2)
        before = worker.passes
        await notify(engine, "work")
        await eventually(lambda: _more(worker, before), timeout=5)
    finally:
        await worker.stop()
    assert await listeners(engine) == []  # it owned the notices: stopped with it


async def _more(worker: Counting, than: int) -> bool:
    return worker.passes > than
