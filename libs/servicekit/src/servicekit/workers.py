"""The shape of every background worker of a service: one loop, one backoff, one way to stop.

A worker does its work in passes (`run_once`: claim a batch of due rows, handle them, return how
many). After a pass that found less than a full batch (by default: nothing) it waits: until a notice wakes it
(notices.py), or `poll` seconds, whichever comes first; a timer is always there because a notice
is only a hint. A pass that fails (the database is restarting, say) is retried after a pause that
doubles up to a cap, so a worker never spins; the next pass that works resets it.

Stopping lets a pass in progress finish for up to `grace` seconds (an email being handed over
should end, not wait out its lease), then cancels it.
"""

import asyncio
import logging
from collections.abc import Iterable

from .backoff import Backoff
from .notices import Notices
from .statements import tallied
from .tasks import cancel_and_wait

log = logging.getLogger("servicekit.workers")


class PollingWorker:
    """Subclasses set `name` and implement `run_once`."""

    name = "worker"

    def __init__(self, *, poll: float = 1.0, full_batch: int = 1, notices: Notices | None = None,
                 channels: Iterable[str] = (), owns_notices: bool = False, backoff: Backoff = Backoff(),
                 grace: float = 0.0) -> None:
        """`notices`: the process's, on which `channels` wake it; `owns_notices`: a worker made on
        its own (in a test, say) starts and stops the notices it was given."""
        self.poll = poll
        self.full_batch = full_batch
        self.backoff = backoff
        self.grace = grace
        self._wake = asyncio.Event()
        self._heard = [notices.wake_on(channel) for channel in channels] if notices is not None else []
        self._owned = notices if owns_notices else None
        self._task: asyncio.Task[None] | None = None
        self.stopping = False

    async def run_once(self) -> int:
        raise NotImplementedError

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self.stopping = False
        if self._owned is not None:
            await self._owned.start()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self.stopping = True
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), self.grace)
            except TimeoutError:
                await cancel_and_wait(self._task)
            self._task = None
        if self._owned is not None:
            await self._owned.stop()

    async def _run(self) -> None:
        failures = 0
        while not self.stopping:
            try:
                with tallied(f"worker {self.name}"):
                    done = await self.run_once()
                failures = 0
                if done < self.full_batch:  # a full batch: there may be more due, look again at once
                    await self._pause(self.poll)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database or network trouble: back off, never spin
                failures += 1
                delay = self.backoff.delay(failures)
                log.warning("%s failed, retrying in %.1fs: %r", self.name, delay, exc)
                await self._pause(delay)

    async def _pause(self, seconds: float) -> None:
        """Until woken (a notice, `wake()`, stopping) or `seconds` have passed."""
        waits = [asyncio.ensure_future(e.wait()) for e in (self._wake, *self._heard)]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        if not self.stopping:
            self._wake.clear()
            for notice in self._heard:
                notice.clear()
