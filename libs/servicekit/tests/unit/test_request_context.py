"""Every request's correlation id goes in and out, its logs carry it, and its time is observed
under its route and status: the kit's request context, as every service and the gateway install it."""

import uuid

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from servicekit.http import CORRELATION_HEADER, Problem, install_problem_handlers, install_request_context
from servicekit.logging import correlation_id
from servicekit.metrics import HTTP_REQUESTS


def _app(service: str) -> FastAPI:
    app = FastAPI()

    @app.get("/things/{thing}")
    async def thing(thing: str) -> dict[str, str | None]:
        if thing == "missing":
            raise Problem(404, "Not found", "no such thing")
        return {"seen": correlation_id.get()}

    @app.get("/own-header")
    async def own_header() -> JSONResponse:
        return JSONResponse({}, headers={CORRELATION_HEADER: "set-by-the-route"})

    install_problem_handlers(app)
    install_request_context(app, service)
    return app


def _observed(service: str, method: str, route: str, status: str) -> float:
    return HTTP_REQUESTS.labels(service, method, route, status)._sum.get()  # type: ignore[attr-defined]


async def test_the_callers_correlation_id_is_the_requests_and_comes_back() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app("ctx-a")), base_url="http://t") as client:
        answer = await client.get("/things/one", headers={CORRELATION_HEADER: "from-the-caller"})
    assert answer.json() == {"seen": "from-the-caller"}
    assert answer.headers[CORRELATION_HEADER] == "from-the-caller"
    assert correlation_id.get() is None  # not left behind for whatever runs next


async def test_without_one_a_new_id_is_made_and_given_back() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app("ctx-b")), base_url="http://t") as client:
        answer = await client.get("/things/one")
    made = answer.headers[CORRELATION_HEADER]
    assert uuid.UUID(made) and answer.json() == {"seen": made}


async def test_the_answer_carries_one_correlation_id_whatever_the_route_set() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app("ctx-c")), base_url="http://t") as client:
        answer = await client.get("/own-header", headers={CORRELATION_HEADER: "from-the-caller"})
    assert answer.headers.get_list(CORRELATION_HEADER) == ["from-the-caller"]


async def test_each_request_is_observed_under_its_route_and_status() -> None:
    service = f"ctx-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(service)), base_url="http://t") as client:
        assert (await client.get("/things/one")).status_code == 200
        assert (await client.get("/things/missing")).status_code == 404
        assert (await client.get("/nowhere")).status_code == 404
    assert _observed(service, "GET", "/things/{thing}", "200") > 0
    assert _observed(service, "GET", "/things/{thing}", "404") > 0
    assert _observed(service, "GET", "unmatched", "404") > 0
