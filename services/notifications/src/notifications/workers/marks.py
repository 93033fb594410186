"""Marks the emails the server took as sent, the sends that end together in one transaction.

Each send that got the server's "250" used to record it in a transaction of its own (the mark,
then NotificationSent into the outbox): two statements, a BEGIN and a COMMIT and a connection
taken from the pool, per email, about half of what the sender spent on an email once composing
was cheap (docs/performance.md). The sends of a batch are handed over together (handovers.py)
and so mostly hear back together: here those that get their answer while a mark is being written
wait for it to end and then share the next one, two statements for all of them. No send waits for
another that is still talking to the server: the first to finish starts a transaction at once.

A transaction that fails fails for each send in it; each then tries again as before (sender.py).
"""

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service
from ..adapters.unit_of_work import SqlUnitOfWork
from ..domain.delivery import Outgoing

_Waiting = tuple[Outgoing, "asyncio.Future[None]"]


class SentMarks:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._waiting: list[_Waiting] = []
        self._flushing: asyncio.Task[None] | None = None

    async def mark(self, delivery: Outgoing) -> None:
        """Return once the delivery's mark (if its try still decides it) is committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush(), name="email-sent-marks")
        await future

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # the sends that get here in this same turn join this transaction
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                async with SqlUnitOfWork.begin(self._engine) as uow:
                    await service.record_sent(uow, *(delivery for delivery, _ in batch))
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
