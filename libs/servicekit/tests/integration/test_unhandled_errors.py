"""An unhandled exception answers a 500 problem and keeps the keep-alive connection open.

A real server and a real client with a single pooled connection: the server reports the peer's
port, so the test sees whether the request after a crash came on the same connection.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import uvicorn
from fastapi import FastAPI, Request
from localstack.ports import free_port
from servicekit.http import install_problem_handlers, install_request_context
from servicekit.inputs import install_input_rules


def crashing_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_input_rules(app)
    install_request_context(app, "test")

    @app.get("/peer")
    async def peer(request: Request) -> dict[str, int]:
        assert request.client is not None
        return {"port": request.client.port}

    @app.post("/crash")
    async def crash() -> None:
        raise RuntimeError("a bug nobody caught")

    return app


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_a_crash_answers_a_problem_and_the_connection_is_kept():
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with served(crashing_app()) as url, httpx.AsyncClient(base_url=url, limits=limits) as client:
        before = (await client.get("/peer")).json()["port"]
        for _ in range(3):
            crashed = await client.post("/crash", json={})
            assert crashed.status_code == 500
            assert crashed.headers["content-type"] == "application/problem+json"
            assert crashed.json()["title"] == "Internal error"
            # The next request rides the same connection: the server did not drop it.
            assert (await client.get("/peer")).json()["port"] == before
            # And the crash went through the request context like any answer (its id, its metric).
            assert "X-Correlation-Id" in crashed.headers
