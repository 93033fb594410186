"""A service's table of domain errors turns each into its problem; what it does not name stays a 500."""

import httpx
from fastapi import FastAPI
from servicekit.http import PROBLEM_JSON, install_domain_problems, install_problem_handlers


class Refused(Exception):
    """A rule was broken; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class TooLate(Refused):
    """The closest mapping wins over its base's."""


class Invalid(ValueError):
    """Its text names the field before the message; the field's own message does not."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Gone(Exception):
    pass


class Stale(Exception):
    field = "version"

    def __init__(self, current: int) -> None:
        super().__init__(f"the thing is at version {current}")
        self.facts = {"current_version": current}


class Named(Exception):
    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title = title


class Unmapped(Exception):
    pass


def app_raising(exc: Exception) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_domain_problems(app, {
        Refused: (422, "Invalid thing"), Invalid: (422, "Invalid request"), TooLate: (409, "Too late"), Gone: (404, "Not found"),
        Stale: (409, "Version conflict"), Named: (409, None),
    })

    @app.post("/act")
    async def act() -> None:
        raise exc

    return app


async def answer(exc: Exception) -> httpx.Response:
    transport = httpx.ASGITransport(app=app_raising(exc), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/act")


async def test_a_mapped_error_is_its_problem_with_the_field_to_fix():
    response = await answer(Refused("items.0.price", "a price cannot be negative"))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": "about:blank", "title": "Invalid thing", "status": 422, "detail": "a price cannot be negative",
        "errors": [{"field": "items.0.price", "message": "a price cannot be negative"}],
    }


async def test_an_error_with_its_own_message_lists_that_beside_its_field():
    response = await answer(Invalid("lines.0.price", "must not be negative"))
    assert response.json() == {
        "type": "about:blank", "title": "Invalid request", "status": 422,
        "detail": "lines.0.price: must not be negative",
        "errors": [{"field": "lines.0.price", "message": "must not be negative"}],
    }


async def test_the_closest_mapping_wins_and_an_error_without_a_field_lists_none():
    late = await answer(TooLate("due_at", "too late for that"))
    assert (late.status_code, late.json()["title"]) == (409, "Too late")
    gone = await answer(Gone("no thing 7"))
    assert gone.status_code == 404 and gone.headers["content-type"] == PROBLEM_JSON
    assert gone.json() == {"type": "about:blank", "title": "Not found", "status": 404, "detail": "no thing 7"}


async def test_facts_go_with_the_problem_and_an_error_may_name_its_own_title():
    stale = (await answer(Stale(3))).json()
    assert stale["current_version"] == 3 and stale["errors"] == [{"field": "version", "message": stale["detail"]}]
    named = await answer(Named("Still being sent", "wait for it"))
    assert named.status_code == 409 and named.json()["title"] == "Still being sent"
    assert named.json()["detail"] == "wait for it"


async def test_an_unmapped_error_is_left_to_the_500():
    response = await answer(Unmapped("a bug"))
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["title"] == "Internal error" and "a bug" not in response.text
