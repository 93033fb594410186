"""Request bodies of the payments API, and the sandbox page's forms."""

from typing import TypeVar
from urllib.parse import parse_qsl
from uuid import uuid4

from contracts import Amount, CurrencyCode
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from servicekit.http import Problem

# The sandbox forms carry a handful of short fields; anything bigger is not from our page.
MAX_FORM_BYTES = 4096


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _new_event_id() -> str:
    return uuid4().hex


class SandboxSucceeded(_Body):
    # The page renders one id per visit, so a double-submitted form is one provider event,
    # just as a real provider repeats a notification under the same id.
    event_id: str = Field(default_factory=_new_event_id, min_length=1, max_length=200)
    amount: Amount
    currency: CurrencyCode


class SandboxDeclined(_Body):
    event_id: str = Field(default_factory=_new_event_id, min_length=1, max_length=200)
    reason: str = Field(default="Card declined (sandbox)", max_length=500)


F = TypeVar("F", bound=BaseModel)


async def read_form(request: Request, model: type[F]) -> F:
    """An HTML form post (application/x-www-form-urlencoded) as `model`, or a 422 naming the fields."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise Problem(413, "Request too large", f"a form of at most {MAX_FORM_BYTES} bytes is expected")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise Problem(413, "Request too large", f"a form of at most {MAX_FORM_BYTES} bytes is expected")
    try:
        fields = dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body)))
    except ValueError:  # not UTF-8, or not key=value pairs
        raise Problem(400, "Bad request", "the body is not a URL-encoded form") from None
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
