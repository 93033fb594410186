"""Email exactly once when a sender dies or is slow: a real sender process killed (SIGKILL) at each
step of a send, or a live send slower than its lease beside another sender; real PostgreSQL and the
local stack's mailbox (a real SMTP server writing each message it accepts to disk), counted per
Message-ID.

The steps are reached with real parts only: a TCP relay that holds the server's replies (tap.py)
and row locks taken by the test, which make the sender's next UPDATE wait where it stands.
"""

import asyncio
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from localstack.mailbox import Mailbox
from localstack.ports import free_port
from notifications.domain.delivery import UNCONFIRMED
from notifications.workers.sender import email_sender
from notifications.main import MIGRATIONS
from notifications.settings import Settings
from servicekit.testing import migrated_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from .conftest import record_link_email
from .tap import SmtpTap

SENDER = Path(__file__).with_name("sender_process.py")
# Short, so that a dead sender's emails come back within seconds; the lease is SMTP_TIMEOUT + 1.
TIMEOUT, LEASE = 3.0, 4.0


@pytest.fixture(scope="module")
async def database(infra):
    url = await migrated_database(infra, "notifications", MIGRATIONS)
    engine = create_async_engine(url)
    yield url, engine
    await engine.dispose()


@pytest.fixture
def mailbox(tmp_path):
    box = Mailbox(tmp_path / "mailbox", smtp_port=free_port(), http_port=free_port())
    box.start()
    try:
        yield box
    finally:
        box.stop()


def settings(url: str, smtp_port: int, **over) -> Settings:
    return Settings(database_url=url, smtp_port=smtp_port, smtp_timeout=TIMEOUT, send_lease=LEASE, **over)


async def new_deliveries(engine, count: int = 2) -> list[uuid.UUID]:
    orders = [await record_link_email(engine, f"{uuid.uuid4().hex[:12]}@example.com") for _ in range(count)]
    async with engine.connect() as conn:
        return list((await conn.scalars(
            text("SELECT id FROM deliveries WHERE order_id = ANY(:o)"), {"o": orders}
        )).all())


def copies(mailbox: Mailbox, ids: list[uuid.UUID]) -> list[int]:
    """How many messages the mailbox holds with each delivery's Message-ID."""
    found = Counter(
        value for message in mailbox.messages() for name, value in message["headers"] if name.lower() == "message-id"
    )
    return [found[f"<{i}@school.local>"] for i in ids]


async def rows(engine, ids: list[uuid.UUID]) -> list:
    async with engine.connect() as conn:
        return list(await conn.execute(
            text("SELECT id, status, attempts, last_error, handed_over_at FROM deliveries WHERE id = ANY(:ids)"),
            {"ids": ids},
        ))


@asynccontextmanager
async def sender_process(url: str, smtp_port: int, **variables: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """A sender on its own process, as a replica runs it; the test kills it with SIGKILL."""
    env = {
        **os.environ, "NOTIFICATIONS_DATABASE_URL": url, "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
        "NOTIFICATIONS_SMTP_TIMEOUT": str(TIMEOUT), "NOTIFICATIONS_SEND_LEASE": str(LEASE), **variables,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(SENDER), env=env, stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), 30) == b"sending\n"
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


@asynccontextmanager
async def locked(engine, ids: list[uuid.UUID]) -> AsyncIterator[AsyncConnection]:
    """The rows locked by the test, so the sender's next write to them waits; unlocked on exit."""
    async with engine.connect() as conn:
        await conn.begin()
        await conn.execute(text("SELECT 1 FROM deliveries WHERE id = ANY(:ids) FOR UPDATE"), {"ids": ids})
        try:
            yield conn
        finally:
            await conn.rollback()


async def waiting_writes(engine, like: str) -> int:
    """How many statements matching `like` wait for a row lock."""
    async with engine.connect() as conn:
        return await conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE :like"
        ), {"like": like})


async def finish_with_another_sender(url: str, engine, mailbox: Mailbox, ids: list[uuid.UUID], eventually) -> float:
    """A second sender, started once the first is dead, sees every delivery through; seconds it took."""
    started = time.monotonic()
    sender = email_sender(engine, settings(url, mailbox.smtp_port))
    await sender.start()
    try:
        await eventually(lambda: _decided(engine, ids), timeout=30)
    finally:
        await sender.stop()
    return time.monotonic() - started


async def _decided(engine, ids: list[uuid.UUID]) -> bool:
    return all(r.status != "pending" for r in await rows(engine, ids))


async def test_killed_after_its_claim_the_emails_are_sent_once_by_the_next_sender(database, mailbox, eventually):
    url, engine = database
    ids = await new_deliveries(engine)
    async with SmtpTap(mailbox.smtp_port, hold="greeting") as tap:
        async with sender_process(url, tap.port) as process:
            await asyncio.wait_for(tap.replies_held.wait(), 30)
            await eventually(lambda: tap.connections == len(ids))
            assert [r.attempts for r in await rows(engine, ids)] == [1, 1]
            process.kill()
    took = await finish_with_another_sender(url, engine, mailbox, ids, eventually)
    assert copies(mailbox, ids) == [1, 1]
    assert {(r.status, r.attempts, r.last_error) for r in await rows(engine, ids)} == {("sent", 2, None)}
    assert took < LEASE + 5


async def test_killed_during_data_the_server_keeps_nothing_and_the_next_sender_sends_once(
    database, mailbox, eventually
):
    url, engine = database
    ids = await new_deliveries(engine)
    async with SmtpTap(mailbox.smtp_port, hold="greeting") as tap:
        async with sender_process(url, tap.port) as process:
            await asyncio.wait_for(tap.replies_held.wait(), 30)
            await eventually(lambda: tap.connections == len(ids))
            async with locked(engine, ids):
                tap.release()
                # The whole message is with the server but for its end: the handover waits on the lock
                # (the sends' handovers share a transaction, or queue behind it).
                await eventually(lambda: _waiting_after_data(engine, tap, len(ids)))
                assert tap.ends_seen == 0 and copies(mailbox, ids) == [0, 0]
                process.kill()
                await process.wait()
    await finish_with_another_sender(url, engine, mailbox, ids, eventually)
    assert copies(mailbox, ids) == [1, 1]
    assert {(r.status, r.attempts, r.last_error) for r in await rows(engine, ids)} == {("sent", 2, None)}


async def test_killed_after_the_servers_ok_and_before_the_mark_no_second_copy_is_sent(
    database, mailbox, eventually
):
    url, engine = database
    ids = await new_deliveries(engine)
    async with SmtpTap(mailbox.smtp_port, hold="after-end") as tap:
        async with sender_process(url, tap.port) as process:
            await asyncio.wait_for(tap.replies_held.wait(), 30)
            await eventually(lambda: tap.ends_seen == len(ids) and copies(mailbox, ids) == [1, 1])
            async with locked(engine, ids):
                tap.release()
                # The sender has the "250" and waits on the lock to mark the deliveries sent: in one
                # statement for the sends that heard back together (the others queue behind it).
                await eventually(lambda: _waiting(engine, "%sent_at = now()%", 1))
                process.kill()
                await process.wait()
    took = await finish_with_another_sender(url, engine, mailbox, ids, eventually)
    assert copies(mailbox, ids) == [1, 1]
    assert {(r.status, r.attempts, r.last_error) for r in await rows(engine, ids)} == {("sent", 1, UNCONFIRMED)}
    assert took < LEASE + 5


async def test_killed_before_the_servers_answer_reached_it_no_second_copy_is_sent(database, mailbox, eventually):
    url, engine = database
    ids = await new_deliveries(engine)
    async with SmtpTap(mailbox.smtp_port, hold="after-end") as tap:
        async with sender_process(url, tap.port) as process:
            await asyncio.wait_for(tap.replies_held.wait(), 30)
            await eventually(lambda: tap.ends_seen == len(ids) and copies(mailbox, ids) == [1, 1])
            process.kill()
    await finish_with_another_sender(url, engine, mailbox, ids, eventually)
    assert copies(mailbox, ids) == [1, 1]
    assert {(r.status, r.attempts, r.last_error) for r in await rows(engine, ids)} == {("sent", 1, UNCONFIRMED)}


async def test_a_sender_that_never_hears_the_answer_to_the_end_counts_the_email_as_sent(
    database, mailbox, eventually
):
    url, engine = database
    ids = await new_deliveries(engine)
    async with SmtpTap(mailbox.smtp_port, hold="after-end") as tap:
        sender = email_sender(engine, settings(url, tap.port))
        await sender.start()
        try:
            # The answer never comes: the wait for it times out, and the try does not send again.
            await eventually(lambda: _decided(engine, ids), timeout=30)
        finally:
            await sender.stop()
    assert copies(mailbox, ids) == [1, 1]
    assert {(r.status, r.attempts, r.last_error) for r in await rows(engine, ids)} == {("sent", 1, UNCONFIRMED)}


async def test_with_an_idempotency_key_the_server_honours_an_unanswered_handover_is_sent_again_under_it(
    database, mailbox, eventually
):
    url, engine = database
    ids = await new_deliveries(engine)
    header = "Resend-Idempotency-Key"
    async with SmtpTap(mailbox.smtp_port, hold="after-end") as tap:
        async with sender_process(url, tap.port, NOTIFICATIONS_SMTP_IDEMPOTENCY_HEADER=header) as process:
            await eventually(lambda: tap.ends_seen == len(ids) and copies(mailbox, ids) == [1, 1])
            process.kill()
    sender = email_sender(engine, settings(url, mailbox.smtp_port, smtp_idempotency_header=header))
    await sender.start()
    try:
        await eventually(lambda: _decided(engine, ids), timeout=30)
    finally:
        await sender.stop()
    # The local mailbox keeps both; a provider that honours the key sends the second to no one.
    assert copies(mailbox, ids) == [2, 2]
    keys = Counter(value for m in mailbox.messages() for name, value in m["headers"] if name == header)
    assert keys == {str(i): 2 for i in ids}
    assert {(r.status, r.attempts, r.last_error) for r in await rows(engine, ids)} == {("sent", 2, None)}


async def test_a_slow_live_send_keeps_its_lease_and_no_other_sender_takes_it(database, mailbox, eventually):
    url, engine = database
    ids = await new_deliveries(engine)
    # Each of the server's seven replies a second late: the send outlasts its lease, never a step's timeout.
    async with SmtpTap(mailbox.smtp_port, delay=1.0) as tap:
        slow = email_sender(engine, settings(url, tap.port))
        other = email_sender(engine, settings(url, mailbox.smtp_port))
        await slow.start()
        try:
            await eventually(lambda: tap.connections == len(ids))
            started = time.monotonic()
            await other.start()
            await eventually(lambda: _decided(engine, ids), timeout=30)
            took = time.monotonic() - started
        finally:
            await other.stop()
            await slow.stop()
    assert took > LEASE
    assert copies(mailbox, ids) == [1, 1]
    # The first try did it: the other sender never claimed the deliveries while they were being sent.
    assert {(r.status, r.attempts, r.last_error) for r in await rows(engine, ids)} == {("sent", 1, None)}


async def _waiting_after_data(engine, tap: SmtpTap, count: int) -> bool:
    return tap.datas_seen == count and await _waiting(engine, "%handed_over_at = now()%", 1)


async def _waiting(engine, like: str, count: int) -> bool:
    return await waiting_writes(engine, like) >= count
