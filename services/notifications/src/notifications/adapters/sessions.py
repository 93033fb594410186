"""The SMTP sessions a mailer keeps open between emails, so that each email costs one transaction.

Opening a session (TCP, greeting, EHLO, STARTTLS or TLS and AUTH when configured) cost more than
the message itself: under load it was most of the sender's CPU (docs/performance.md). A session
given back after a message the server took (its "250" to the end) waits here for the next one;
any other outcome drops the connection instead (smtp.py), so a kept session is always between
transactions and the next MAIL FROM starts clean, no RSET needed.

- Sends in flight at once each take a session of their own: at most that many are kept, so
  replicas and concurrency stay as they were, each with its own connections.
- A session idle for `idle_timeout` seconds is closed with QUIT, before most servers' own idle
  limit (RFC 5321 asks them to wait 5 minutes; many wait far less); 0 keeps none (a connection
  per email).
- One the server closed meanwhile (a 421 while idle, a dropped connection) is skipped when it is
  taken; one that closes just as it is used fails on the message's first commands, before any
  handover, and the mailer opens a new one for that message (smtp.py).
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiosmtplib


@dataclass(eq=False)
class Session:
    client: aiosmtplib.SMTP
    reused: bool = False  # it carried a message before this one
    idle_since: float = field(default=0.0)
    _expiry: asyncio.TimerHandle | None = field(default=None, repr=False)


class Sessions:
    def __init__(self, connect: Callable[[], aiosmtplib.SMTP], *, idle_timeout: float) -> None:
        self._connect = connect
        self._idle_timeout = idle_timeout
        self._idle: list[Session] = []
        self._goodbyes: set[asyncio.Task[None]] = set()

    async def take(self) -> Session:
        """The most recently used idle session that is still open, else a new one."""
        while self._idle:
            session = self._idle.pop()
            self._stop_expiry(session)
            if session.client.is_connected and time.monotonic() - session.idle_since < self._idle_timeout:
                session.reused = True
                return session
            session.client.close()
        return await self.open()

    async def open(self) -> Session:
        client = self._connect()
        await client.connect()
        return Session(client)

    def give_back(self, session: Session) -> None:
        """Keep a session whose last message the server took, for the next one (or say goodbye)."""
        if self._idle_timeout <= 0 or not session.client.is_connected:
            self._goodbye(session)
            return
        session.idle_since = time.monotonic()
        session._expiry = asyncio.get_running_loop().call_later(self._idle_timeout, self._expire, session)
        self._idle.append(session)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for session in idle:
            self._stop_expiry(session)
            self._goodbye(session)
        if self._goodbyes:
            await asyncio.gather(*self._goodbyes, return_exceptions=True)

    def _expire(self, session: Session) -> None:
        session._expiry = None
        if session in self._idle:
            self._idle.remove(session)
            self._goodbye(session)

    def _goodbye(self, session: Session) -> None:
        # In the background: the message before it is already the server's, a slow or failed
        # QUIT changes nothing about it and must not hold up the send that gave the session back.
        task = asyncio.get_running_loop().create_task(_quit(session.client), name="smtp-goodbye")
        self._goodbyes.add(task)
        task.add_done_callback(self._goodbyes.discard)

    @staticmethod
    def _stop_expiry(session: Session) -> None:
        if session._expiry is not None:
            session._expiry.cancel()
            session._expiry = None


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                await client.quit()
    finally:
        client.close()
