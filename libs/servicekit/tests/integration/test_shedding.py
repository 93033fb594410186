"""Load shedding on a real uvicorn listener: past the bound a fast 503, the accepted ones complete."""

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from servicekit import health
from servicekit.http import install_problem_handlers
from servicekit.shedding import ShedLoad, install_load_shedding
from servicekit.testing import serving


def held_app(service: str, max_in_flight: int) -> tuple[FastAPI, asyncio.Event, list[str]]:
    """An app whose /work waits until released: requests stay in flight as long as the test wants."""
    app = FastAPI()
    release = asyncio.Event()
    entered: list[str] = []

    @app.get("/work")
    async def work() -> dict[str, str]:
        entered.append("in")
        await release.wait()
        return {"done": "yes"}

    install_problem_handlers(app)
    app.include_router(health.router)
    install_load_shedding(app, service, max_in_flight)
    return app, release, entered


def shed_count(metrics: str, service: str, reason: str = "in_flight") -> float:
    match = re.search(rf'^http_requests_shed_total{{reason="{reason}",service="{service}"}} (\S+)$', metrics, re.M)
    return float(match[1]) if match else 0.0


@contextlib.asynccontextmanager
async def released(release: asyncio.Event) -> AsyncIterator[None]:
    """Whatever the test finds, the held requests end, so the server can stop."""
    try:
        yield
    finally:
        release.set()


async def until(check, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not true in time"
        await asyncio.sleep(0.01)


async def test_past_the_bound_requests_get_a_fast_503_while_the_accepted_ones_complete() -> None:
    service = f"probe-{uuid.uuid4().hex[:6]}"
    app, release, entered = held_app(service, max_in_flight=3)
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client, released(release):
        accepted = [asyncio.create_task(client.get("/work")) for _ in range(3)]
        await until(lambda: len(entered) == 3)

        started = time.perf_counter()
        refused = await asyncio.wait_for(asyncio.gather(*(client.get("/work") for _ in range(5))), 5)
        elapsed = time.perf_counter() - started
        for response in refused:
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["retry-after"] == "1"
            assert response.json()["status"] == 503 and service in response.json()["detail"]
        assert elapsed < 1.0, f"five refusals took {elapsed:.2f} s"
        assert len(entered) == 3, "a refused request reached the route"
        assert not any(task.done() for task in accepted)

        # Probes and metrics are answered however busy the process is.
        assert (await client.get("/health", timeout=2)).status_code == 200
        metrics = await client.get("/metrics", timeout=2)
        assert metrics.status_code == 200
        assert shed_count(metrics.text, service) == 5
        assert re.search(rf'^http_requests_in_flight{{service="{service}"}} 3\.0$', metrics.text, re.M)

        release.set()
        for response in await asyncio.gather(*accepted):
            assert response.status_code == 200 and response.json() == {"done": "yes"}
        # The places are free again.
        assert (await client.get("/work")).status_code == 200
        assert shed_count((await client.get("/metrics")).text, service) == 5


async def test_a_request_holds_its_place_until_its_last_byte_is_sent() -> None:
    """A streamed answer (an export) is still in flight while it streams."""
    from fastapi.responses import StreamingResponse

    service = f"probe-{uuid.uuid4().hex[:6]}"
    app = FastAPI()
    release = asyncio.Event()

    @app.get("/export")
    async def export() -> StreamingResponse:
        async def rows():
            yield b"first\n"
            await release.wait()
            yield b"last\n"

        return StreamingResponse(rows(), media_type="text/plain")

    install_load_shedding(app, service, 1)
    async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client, released(release):
        async with client.stream("GET", "/export") as streaming:
            assert streaming.status_code == 200
            assert (await client.get("/export", timeout=2)).status_code == 503
            release.set()
            assert (await streaming.aread()) == b"first\nlast\n"
        assert (await client.get("/export")).status_code == 200


def steady_load(url: str, count: int, every: float) -> list[tuple[int, float, str]]:
    """`count` GETs, one every `every` seconds whatever the answers: (status, seconds, Retry-After)."""
    from concurrent.futures import ThreadPoolExecutor

    def one() -> tuple[int, float, str]:
        started = time.perf_counter()
        response = httpx.get(url, timeout=30)
        return response.status_code, time.perf_counter() - started, response.headers.get("retry-after", "")

    with ThreadPoolExecutor(count) as pool:
        futures = []
        for _ in range(count):
            futures.append(pool.submit(one))
            time.sleep(every)
        return [f.result() for f in futures]


async def test_while_the_event_loop_is_behind_new_requests_are_refused_though_few_are_in_flight() -> None:
    """Work that holds the CPU (here 0.1 s of it per request, twice what one second holds) makes
    every request wait for the loop; a count bound far away does not see it, the lag does."""
    service = f"probe-{uuid.uuid4().hex[:6]}"
    app = FastAPI()

    @app.get("/cpu")
    async def cpu() -> dict[str, str]:
        time.sleep(0.1)  # holds the event loop as CPU work does: nothing else runs meanwhile
        return {"done": "yes"}

    app.include_router(health.router)
    install_load_shedding(app, service, max_in_flight=1000)
    async with serving(app) as url:
        # The load comes from threads: a client on the server's own loop would wait for it.
        results = await asyncio.to_thread(steady_load, f"{url}/cpu", count=40, every=0.05)
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            metrics = (await client.get("/metrics")).text
    served = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] == 503]
    assert served and refused, [r[0] for r in results]
    assert all(r[2] == "1" for r in refused)
    assert shed_count(metrics, service, "loop_lag") == len(refused)
    assert shed_count(metrics, service, "in_flight") == 0
    # No bound on how long the answers took: served all, the work would have queued for about a
    # second at the median, no more than what a busy machine adds to a refused one; the refusals
    # counted by their reason above are what shows the loop's lag was seen.


def test_the_bound_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ShedLoad(FastAPI(), service="x", max_in_flight=0)
