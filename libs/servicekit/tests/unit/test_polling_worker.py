"""A polling worker's pace on its own: a full batch is followed at once, failures back off, stop waits its grace."""

import asyncio

from servicekit.backoff import Backoff
from servicekit.testing import CountingWorker as Counting
from servicekit.workers import PollingWorker


async def eventually(check, timeout: float = 10):
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.05)
    return result


async def _more(worker: Counting, than: int) -> bool:
    return worker.passes > than


async def test_a_full_batch_is_followed_at_once_and_failures_back_off():
    worker = Counting([8, 8, 3], poll=60, full_batch=8)
    await worker.start()
    await eventually(lambda: _more(worker, 2), timeout=2)  # 8, 8 (again at once), 3 (then it waits)
    await asyncio.sleep(0.2)
    assert worker.passes == 3
    await worker.stop()

    failing = Counting([RuntimeError("database away")] * 100, poll=0.01, backoff=Backoff(first=0.05, cap=0.2))
    await failing.start()
    await asyncio.sleep(1.0)
    await failing.stop()
    # 0.05 + 0.1 + 0.2 + 0.2 + 0.2 + 0.2: a handful of passes a second, never a spin.
    assert 3 <= failing.passes <= 8, failing.passes


async def test_stopping_lets_a_pass_finish_within_its_grace_and_cancels_one_past_it():
    finished = []

    class Slow(PollingWorker):
        async def run_once(self) -> int:
            await asyncio.sleep(0.3)
            finished.append(True)
            return 0

    patient = Slow(poll=60, grace=2)
    await patient.start()
    await asyncio.sleep(0.1)
    await patient.stop()
    assert finished == [True]

    hasty = Slow(poll=60, grace=0.05)
    await hasty.start()
    await asyncio.sleep(0.1)
    await hasty.stop()
    assert finished == [True]  # cancelled mid-pass
