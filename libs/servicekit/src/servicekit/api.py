"""The typed API contract every service shares: the problem details schema and the types of answers.

`Problem` here is the schema of what `http.Problem` (the exception) and the problem handlers
answer; it is declared once, so every operation of every service documents the same errors.
`problem_responses` documents the statuses a route can really answer, and `install_problem_schema`
puts the schema into the app's OpenAPI document in place of FastAPI's own 422, which describes
a body the services never send.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from .http import PROBLEM_JSON

PROBLEM_REF = "#/components/schemas/Problem"

# What each status means to a client, for the operations' documentation.
_DESCRIPTIONS = {
    400: "The request cannot be read",
    401: "No valid proof of the caller",
    403: "The caller may not do this",
    404: "Not found",
    409: "The thing's state does not allow it",
    413: "The request is too large",
    422: "The request breaks a rule; `errors` names the fields to fix",
    428: "The change must name the version it was made on (If-Match or `version`)",
    429: "Too many requests; try again after Retry-After",
    503: "The service is busy; try again after Retry-After",
}


class FieldError(BaseModel):
    """One input to fix: where it is (`contact.email`, `parts.0.amount`, a header's name) and why."""

    field: str
    message: str


class Problem(BaseModel):
    """Problem details (RFC 9457), as every service answers an error under application/problem+json.

    Members beyond these are allowed: a refusal may carry facts the caller acts on, such as the
    version to reload.
    """

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    # Absent rather than null when there is nothing to add, so the schema does not offer null.
    detail: str | SkipJsonSchema[None] = None
    instance: str | SkipJsonSchema[None] = None
    errors: list[FieldError] | SkipJsonSchema[None] = Field(
        default=None, description="The inputs to fix, on a 422 (and on a refusal that names one)")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route or router: each status as a Problem under application/problem+json."""
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
        }
        for status in statuses
    }


# The statuses any internal route can answer before its own code runs: no proof, a viewer's write,
# a malformed input, and load shedding.
CALLER_PROBLEMS = (401, 403, 422, 503)


# An amount as every API answers it: a string, not a number, since JSON numbers lose cents in many
# clients, and the string carries the currency's precision as the thing priced has it.
AmountText = Annotated[str, Field(description="An amount at the currency's precision, as a string",
                                  examples=["1500.00"])]


def _iso(value: datetime) -> str:
    return value.isoformat()


# A moment as the API has always written it (`+00:00`, as datetime.isoformat does), not pydantic's
# `Z`: a response model must not change a byte of what clients already parse.
Timestamp = Annotated[datetime, PlainSerializer(_iso, return_type=str, when_used="json"),
                      WithJsonSchema({"type": "string", "format": "date-time"})]


def _problem_components() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    found = schema.pop("$defs", {})
    found["Problem"] = schema
    return found


def with_problem_schema(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with Problem in its components and FastAPI's validation error gone.

    FastAPI documents a 422 `HTTPValidationError` (a `detail` list) on every operation with
    inputs; the services answer their own 422 problem instead (http.install_problem_handlers).
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.update(_problem_components())
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            default = responses.get("422", {}).get("content", {}).get("application/json", {})
            if default.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                responses["422"] = problem_responses(422)[422]
            if "requestBody" in operation:
                # A body that is not JSON at all (bytes, broken UTF-8) is refused before any rule.
                responses.setdefault("400", problem_responses(400)[400])
    return document


def amend_openapi(app: FastAPI, amend: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Apply `amend` to the app's OpenAPI document once, the first time it is asked for.

    What an app says of itself that FastAPI cannot read off its routes goes through here, so
    the document is built and amended once, not again on every request for it.
    """
    built = app.openapi
    amended: dict[str, Any] | None = None

    def openapi() -> dict[str, Any]:
        nonlocal amended
        if amended is None:
            amended = amend(built())
        return amended

    app.openapi = openapi  # type: ignore[method-assign]


def install_problem_schema(app: FastAPI) -> None:
    """The app's OpenAPI document describes its errors as the Problem it really answers."""
    amend_openapi(app, with_problem_schema)
