"""Stopping a background task so that it really stops.

Every loop of a service (the relay, the batch consumer, the notices connection, the lease
keeper, the rewinder, a worker past its grace) is stopped by cancelling its task and waiting for
it. A cancellation can be lost: Python 3.11's `asyncio.wait_for` drops one that arrives as its
inner await finishes, and a library may catch it while closing a connection. A `while True`
loop that lost its cancellation runs on, and a stop that waits for it waits for ever (a process
that never exits, a pod killed at the end of its grace period). So the stop cancels again until
the task has ended, and says so when that takes long.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable

log = logging.getLogger("servicekit.tasks")

# Between two cancellations of a task that has not ended yet.
RECANCEL_S = 0.2
# A task still running after this long is named in the log (and still cancelled until it ends).
SLOW_STOP_S = 5.0
# How long an abandoned step of the shutdown is cancelled before the process leaves it behind.
ABANDON_S = 2.0


async def cancel_and_wait(task: asyncio.Task[object] | None, patience: float | None = None) -> bool:
    """Cancel `task` and return once it has ended, whatever it did with the first cancellation;
    with `patience`, give up after that many seconds. Whether it has ended."""
    if task is None:
        return True
    loop = asyncio.get_running_loop()
    started = loop.time()
    warned = False
    while not task.done():
        if patience is not None and loop.time() - started > patience:
            return False
        task.cancel()
        # asyncio.wait neither raises the task's outcome nor cancels it on a timeout.
        await asyncio.wait({task}, timeout=RECANCEL_S)
        if not task.done() and not warned and loop.time() - started > SLOW_STOP_S:
            warned = True
            log.warning("task %s still running %.0fs after it was cancelled; cancelling it again",
                        task.get_name(), loop.time() - started)
    with contextlib.suppress(asyncio.CancelledError):
        exc = task.exception()
        if exc is not None:
            log.warning("task %s ended with %r while it was being stopped", task.get_name(), exc)
    return True


async def stop_within(seconds: float, what: str, stopping: Awaitable[object]) -> None:
    """Await one step of a process's shutdown for at most `seconds`, then abandon it (cancelled,
    named in the log), so that one stuck step never keeps the process from exiting. What a step
    leaves undone is safe to leave: offsets not committed bring their records again (the inbox
    absorbs them), a relay's rows not marked are published again (consumers absorb them)."""
    task = asyncio.ensure_future(stopping)
    await asyncio.wait({task}, timeout=seconds)
    if not task.done():
        log.warning("%s did not stop within %.0fs; abandoning it", what, seconds)
        if not await cancel_and_wait(task, patience=ABANDON_S):
            log.warning("%s ignores its cancellation; the process goes on without it", what)
        return
    with contextlib.suppress(asyncio.CancelledError):
        exc = task.exception()
        if exc is not None:
            log.warning("%s failed while stopping: %r", what, exc)
