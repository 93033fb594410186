"""Stopping background tasks: a lost cancellation or a stuck step never keeps a process from exiting."""

import asyncio
import logging

from servicekit import tasks
from servicekit.tasks import cancel_and_wait, stop_within


async def test_a_loop_that_swallows_its_cancellation_is_cancelled_again_until_it_ends():
    swallowed = 0

    async def loop_that_loses_one_cancellation():
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                # What Python 3.11's wait_for does when the cancellation races its inner result.
                if swallowed == 0:
                    swallowed += 1
                    continue
                raise

    task = asyncio.create_task(loop_that_loses_one_cancellation())
    await asyncio.sleep(0.02)
    async with asyncio.timeout(5):
        await cancel_and_wait(task)
    assert task.cancelled() and swallowed == 1


async def test_an_ended_or_absent_task_is_left_as_it_is():
    await cancel_and_wait(None)
    done = asyncio.create_task(asyncio.sleep(0))
    await done
    await cancel_and_wait(done)
    assert done.done() and not done.cancelled()


async def test_a_task_that_fails_as_it_stops_is_reported_not_raised(caplog):
    async def fails_on_cancel():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            raise RuntimeError("connection already closed") from None

    task = asyncio.create_task(fails_on_cancel(), name="closing")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="servicekit.tasks"):
        await cancel_and_wait(task)
    assert "closing ended with RuntimeError" in caplog.text


async def test_a_step_of_the_shutdown_that_is_stuck_is_abandoned_after_its_time(caplog, monkeypatch):
    monkeypatch.setattr(tasks, "RECANCEL_S", 0.01)
    stopped = asyncio.Event()

    async def stuck_stop():
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()

    loop = asyncio.get_running_loop()
    started = loop.time()
    with caplog.at_level(logging.WARNING, logger="servicekit.tasks"):
        await stop_within(0.2, "the stuck client", stuck_stop())
    assert 0.2 <= loop.time() - started < 2
    assert stopped.is_set()
    assert "the stuck client did not stop within" in caplog.text


async def test_a_step_that_ends_in_time_is_awaited_and_its_failure_logged(caplog):
    async def quick_failure():
        raise ConnectionResetError("gone")

    with caplog.at_level(logging.WARNING, logger="servicekit.tasks"):
        await stop_within(5, "the pool", quick_failure())
    assert "the pool failed while stopping: ConnectionResetError" in caplog.text


async def test_a_step_that_ignores_every_cancellation_is_left_behind(caplog, monkeypatch):
    monkeypatch.setattr(tasks, "RECANCEL_S", 0.01)
    monkeypatch.setattr(tasks, "ABANDON_S", 0.1)
    release = asyncio.Event()

    async def stubborn():
        while not release.is_set():
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                continue

    step = asyncio.ensure_future(stubborn())
    with caplog.at_level(logging.WARNING, logger="servicekit.tasks"):
        async with asyncio.timeout(5):
            await stop_within(0.1, "the stubborn client", step)
    assert not step.done()
    assert "the stubborn client ignores its cancellation" in caplog.text
    release.set()
    await step
