"""Every service documents its errors as the one Problem it answers, never FastAPI's validation error."""

import asyncio
from datetime import UTC, datetime
from uuid import UUID

import httpx
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from servicekit.api import Problem, Timestamp, problem_responses
from servicekit.http import PROBLEM_JSON, AccountId
from servicekit.runtime import build_app
from servicekit.settings import ServiceSettings

REF = "#/components/schemas/Problem"


class ThingIn(BaseModel):
    name: str


class ThingOut(BaseModel):
    id: UUID
    name: str


router = APIRouter(responses=problem_responses(401, 403, 503))


@router.post("/things", status_code=201, response_model=ThingOut, responses=problem_responses(409))
async def add_thing(body: ThingIn, account: AccountId) -> ThingOut:
    return ThingOut(id=account, name=body.name)


@router.get("/things/{thing_id}", response_model=ThingOut, responses=problem_responses(404))
async def get_thing(thing_id: UUID, account: AccountId) -> ThingOut:
    return ThingOut(id=thing_id, name="a thing")


@router.get("/search")
async def search(q: str, limit: int = 10) -> dict[str, str]:
    return {"q": q}


def _app() -> FastAPI:
    # Nothing connects before the lifespan starts: the engine and the broker are only built.
    return build_app(name="things", settings=ServiceSettings(log_json=False), routers=[router])


def test_the_document_names_one_problem_and_no_validation_error() -> None:
    document = _app().openapi()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert "HTTPValidationError" not in str(document)
    problem = schemas["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "instance", "errors"}
    assert set(problem["required"]) == {"title", "status"}
    assert problem["additionalProperties"] is True
    assert schemas["FieldError"]["required"] == ["field", "message"]


def test_every_4xx_points_at_the_problem_under_problem_json() -> None:
    paths = _app().openapi()["paths"]
    seen = set()
    for path, operations in paths.items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if not status.startswith(("4", "5")):
                    continue
                seen.add((method, path, status))
                assert answer["content"] == {PROBLEM_JSON: {"schema": {"$ref": REF}}}, (method, path, status)
    # The router's statuses, each route's own, and the 422 of every operation that takes input.
    assert {("post", "/things", s) for s in ("401", "403", "409", "422", "503")} <= seen
    assert {("get", "/things/{thing_id}", s) for s in ("401", "404", "422")} <= seen
    assert ("get", "/search", "422") in seen


def test_the_documented_problem_is_what_a_refusal_answers() -> None:
    app = _app()

    async def answer() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return await client.get("/search")

    response = asyncio.run(answer())
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM_JSON
    problem = Problem.model_validate(response.json())
    assert (problem.status, problem.errors[0].field) == (422, "query.q")


def test_a_timestamp_keeps_the_offset_the_api_has_always_written() -> None:
    class Moment(BaseModel):
        at: Timestamp

    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert Moment(at=at).model_dump_json() == '{"at":"2026-03-01T09:30:00+00:00"}'
    assert Moment.model_json_schema()["properties"]["at"]["format"] == "date-time"
