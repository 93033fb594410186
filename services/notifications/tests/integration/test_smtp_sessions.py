"""The mailer's kept SMTP sessions against a real SMTP server that counts them: many emails over one
session, a server that closes it (after some messages, with a 421, when idle), the mailer's own
idle goodbye, and the sender over kept sessions (each email once, replicas beside each other)."""

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from localstack.ports import free_port
from notifications.adapters.smtp import SendFailed, SmtpMailer
from notifications.main import MIGRATIONS
from notifications.settings import Settings
from notifications.workers.sender import email_sender
from servicekit.testing import migrated_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from .conftest import Mailbox, record_link_email
from .test_smtp import an_email


class Counting(Mailbox):
    """A mailbox that counts its sessions (one EHLO each) and can end them as a server would.

    - `close_after`: the connection is dropped right after the server's "250" to that many messages;
    - `refuse_after`: the next MAIL FROM after that many messages of a session gets a 421, then the
      connection is closed (a server shutting down, or limiting messages per session).
    """

    def __init__(self, *, close_after: int | None = None, refuse_after: int | None = None) -> None:
        super().__init__()
        self.close_after = close_after
        self.refuse_after = refuse_after
        self.sessions = 0
        self.quits = 0
        self.refused = 0
        self.per_session: Counter[int] = Counter()

    async def handle_EHLO(self, server: Any, session: Any, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        self.sessions += 1
        session.number = self.sessions
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if self.refuse_after is not None and self.per_session[session.number] >= self.refuse_after:
            self.refused += 1
            server.loop.call_soon(server.transport.close)  # right after the answer is written
            return "421 4.3.2 Too many messages on this connection, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        self.per_session[session.number] += 1
        if self.close_after is not None and self.per_session[session.number] >= self.close_after:
            server.loop.call_soon(server.transport.close)  # right after the "250" is written
        return answer

    async def handle_QUIT(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.quits += 1
        return "221 Bye"

    def copies(self, addresses: list[str]) -> list[int]:
        return [len(self.envelopes_to(to)) for to in addresses]


def serving(box: Counting, **server_kwargs: Any) -> Iterator[Counting]:
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port, server_kwargs=server_kwargs)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def server() -> Iterator[Counting]:
    yield from serving(Counting())


def mailer(port: int, **over: Any) -> SmtpMailer:
    return SmtpMailer(host="127.0.0.1", port=port, sender="Online school <no-reply@school.local>", timeout=2, **over)


def addresses(count: int) -> list[str]:
    return [f"{uuid.uuid4().hex}@example.com" for _ in range(count)]


async def test_many_emails_one_after_another_go_over_one_session(server):
    to = addresses(25)
    sending = mailer(server.port)
    for address in to:
        await sending.send(an_email(address))
    await sending.close()
    assert server.copies(to) == [1] * 25
    assert server.sessions == 1 and server.quits == 1


async def test_emails_sent_at_once_each_take_a_session_and_keep_it(server):
    to = addresses(24)
    sending = mailer(server.port)
    for start in range(0, 24, 4):
        await asyncio.gather(*(sending.send(an_email(a)) for a in to[start:start + 4]))
    await sending.close()
    assert server.copies(to) == [1] * 24
    assert server.sessions == 4


async def test_a_server_that_closes_after_some_messages_gets_each_email_once_over_new_sessions():
    for box in serving(Counting(close_after=3)):
        to = addresses(10)
        sending = mailer(box.port)
        for address in to:
            await sending.send(an_email(address))
            await asyncio.sleep(0.05)  # the server's close reaches the kept session while it is idle
        # And right away, so that the close can also meet the next message's first command.
        more = addresses(10)
        for address in more:
            await sending.send(an_email(address))
        await sending.close()
        assert box.copies(to + more) == [1] * 20
        assert box.sessions >= 7 and max(box.per_session.values()) == 3


async def test_a_421_to_the_next_message_opens_a_new_session_for_it_and_loses_nothing():
    for box in serving(Counting(refuse_after=2)):
        to = addresses(7)
        sending = mailer(box.port)
        for address in to:
            await sending.send(an_email(address))  # none of them fails
        await sending.close()
        assert box.copies(to) == [1] * 7
        assert box.refused == 3 and box.sessions == 4
        assert [box.rcpt_tries[a] for a in to] == [1] * 7, "the 421 came before the message's recipient"


async def test_a_session_the_server_closed_while_idle_is_replaced():
    for box in serving(Counting(), timeout=0.3):  # the server's own idle limit
        first, second = addresses(2)
        sending = mailer(box.port)
        await sending.send(an_email(first))
        await asyncio.sleep(0.6)
        await sending.send(an_email(second))
        await sending.close()
        assert box.copies([first, second]) == [1, 1] and box.sessions == 2


async def test_an_idle_session_is_closed_with_a_goodbye_after_the_idle_timeout(server):
    first, second = addresses(2)
    sending = mailer(server.port, idle_timeout=0.2)
    await sending.send(an_email(first))
    await asyncio.sleep(0.5)
    assert server.quits == 1, "closed on its own, before the next email"
    await sending.send(an_email(second))
    await sending.close()
    assert server.copies([first, second]) == [1, 1] and server.sessions == 2


async def test_no_idle_timeout_is_a_connection_per_email(server):
    to = addresses(3)
    sending = mailer(server.port, idle_timeout=0)
    for address in to:
        await sending.send(an_email(address))
    await sending.close()
    assert server.copies(to) == [1, 1, 1] and server.sessions == 3 and server.quits == 3


async def test_a_failed_message_drops_its_session_and_the_next_one_opens_another(server):
    sending = mailer(server.port)
    first, refused, after = f"{uuid.uuid4().hex}@example.com", f"reject-{uuid.uuid4().hex}@example.com", \
        f"{uuid.uuid4().hex}@example.com"
    await sending.send(an_email(first))
    with pytest.raises(SendFailed) as failed:
        await sending.send(an_email(refused))
    assert failed.value.permanent is True  # as on a session of its own: the refusal is not retried
    await sending.send(an_email(after))
    await sending.close()
    assert server.copies([first, refused, after]) == [1, 0, 1]
    assert server.data_tries[refused] == 1 and server.sessions == 2


# --- The sender over kept sessions: each email once, on PostgreSQL ------------------------------

@pytest.fixture(scope="module")
async def database(infra):
    url = await migrated_database(infra, "notifications", MIGRATIONS)
    engine = create_async_engine(url)
    yield url, engine
    await engine.dispose()


async def _all_sent(engine, orders: list[uuid.UUID]) -> bool:
    async with engine.connect() as conn:
        found = list(await conn.scalars(
            text("SELECT status FROM deliveries WHERE order_id = ANY(:ids)"), {"ids": orders}
        ))
    return len(found) == len(orders) and set(found) == {"sent"}


async def _send_all(url: str, engine, port: int, to: list[str], eventually, replicas: int = 1) -> None:
    orders = [await record_link_email(engine, a) for a in to]
    settings = Settings(database_url=url, smtp_port=port, send_concurrency=3)
    senders = [email_sender(engine, settings) for _ in range(replicas)]
    for sender in senders:
        await sender.start()
    try:
        await eventually(lambda: _all_sent(engine, orders))
    finally:
        for sender in senders:
            await sender.stop()


async def test_the_sender_sends_many_emails_over_its_few_sessions(database, server, eventually):
    url, engine = database
    to = addresses(30)
    await _send_all(url, engine, server.port, to, eventually)
    assert server.copies(to) == [1] * 30
    assert server.sessions <= 3, "at most one session per send in flight"
    assert server.quits == server.sessions, "a stopping sender says goodbye on each"


async def test_two_sender_replicas_over_a_server_that_ends_sessions_send_each_email_once(database, eventually):
    url, engine = database
    for box in serving(Counting(close_after=3)):
        to = addresses(40)
        await _send_all(url, engine, box.port, to, eventually, replicas=2)
        assert box.copies(to) == [1] * 40
        assert box.sessions >= 14 and max(box.per_session.values()) == 3
