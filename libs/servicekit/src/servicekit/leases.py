"""Keeps claimed rows leased while the work on them is in progress.

A worker that claims rows with FOR UPDATE SKIP LOCKED pushes each row's due time into the
future (the lease) so that other workers skip it. A long lease makes a crashed worker's rows
wait long before anyone takes them; a short one lets a slow but live try be taken over and
done twice. With a keeper the lease can be short: every `every` seconds it renews, in one
call, the rows still held, so only a worker that stopped renewing (it died, or lost the
database) loses them. `every` must be well under the lease: a third of it leaves room for
two missed renewals.

The keeper only renews; whether a try may still act on its row is decided by the row itself
(a fence such as the try's number), since a renewal can always come too late.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from .tasks import cancel_and_wait

log = logging.getLogger("servicekit.leases")

K = TypeVar("K", bound=Hashable)


class LeaseKeeper(Generic[K]):
    def __init__(self, renew: Callable[[list[K]], Awaitable[object]], *, every: float, name: str = "leases") -> None:
        self._renew = renew
        self._every = every
        self._name = name
        self._held: dict[K, int] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def held(self) -> list[K]:
        return list(self._held)

    @contextlib.asynccontextmanager
    async def holding(self, key: K) -> AsyncIterator[None]:
        """Renew `key`'s lease until the block ends, however it ends."""
        self._held[key] = self._held.get(key, 0) + 1
        self._ensure_running()
        try:
            yield
        finally:
            left = self._held.pop(key) - 1
            if left:
                self._held[key] = left

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"{self._name}-keeper")

    async def _run(self) -> None:
        while self._held:
            await asyncio.sleep(self._every)
            held = self.held
            if not held:
                break
            try:
                await self._renew(held)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next round tries again; the rows' fences keep this safe
                log.warning("%s: could not renew %d lease(s): %r", self._name, len(held), exc)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
