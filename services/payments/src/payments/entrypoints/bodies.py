"""Request bodies of the payments API, and the sandbox page's forms."""

from functools import cache
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl
from uuid import uuid4

from contracts import Amount, CurrencyCode, ProviderName
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from contracts.events import PaymentMethod, PaymentType
from pydantic import AwareDatetime, BaseModel, Field, ValidationError, create_model, model_validator
from pydantic.fields import FieldInfo
from servicekit.http import Problem
from servicekit.inputs import Input

# The sandbox forms carry a handful of short fields; anything bigger is not from our page.
MAX_FORM_BYTES = 4096


class _Body(Input):
    """Unknown fields, control characters and numbers beyond the columns are refused (servicekit.inputs)."""


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


def form_body(model: type[BaseModel]) -> dict[str, Any]:
    """The `openapi_extra` of a route that reads `model` through read_form: its body, documented."""
    return {"requestBody": {"required": True, "content": {
        "application/x-www-form-urlencoded": {"schema": model.model_json_schema()}}}}


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


# --- the CRM's bodies --------------------------------------------------------------------

Comment = Field(default=None, max_length=2_000)


class PartBody(_Body):
    method: PaymentMethod
    amount: Amount
    reference: str | None = Field(default=None, max_length=200)


# More parts than anyone splits one payment into is a mistake, not a payment.
Parts = Field(default=None, min_length=1, max_length=20)


class NewPaymentBody(_Body):
    type: PaymentType = "regular"
    status: Literal["unpaid", "paid"] = "unpaid"
    amount: Amount = Field(ge=0)
    due_at: AwareDatetime | None = None  # a future date-time makes it a planned payment
    paid_at: AwareDatetime | None = None  # for a paid payment; now if not given
    method: PaymentMethod = "cashless"
    provider: ProviderName | None = None  # the order's provider if not given
    comment: str | None = Comment
    closes_access: bool = False
    send_email: bool = False  # email the link of an unpaid payment to the contact
    parts: list[PartBody] | None = Parts  # a paid payment split across methods; its method follows them

    @model_validator(mode="after")
    def _paid_at_only_when_paid(self) -> "NewPaymentBody":
        if self.paid_at is not None and self.status != "paid":
            raise ValueError("paid_at is for a paid payment")
        return self


class PaymentPatch(_Body):
    due_at: AwareDatetime | None = None
    amount: Amount | None = Field(default=None, ge=0)
    comment: str | None = Comment
    closes_access: bool | None = None
    status: Literal["cancelled"] | None = None


class MarkPaidBody(_Body):
    comment: str = Field(min_length=1, max_length=2_000)
    method: PaymentMethod | None = None
    external_reference: str | None = Field(default=None, max_length=200)
    parts: list[PartBody] | None = Parts  # money that came in several methods, adding up to the amount


class ReminderScheduleBody(_Body):
    # Hours relative to the planned date: negative before it, positive after.
    offsets_hours: list[int] = Field(max_length=10)


async def parse_json_body(request: Request, model: type[F]) -> F:
    """A JSON body as `model` when the model depends on the path, or a 422 naming the fields."""
    body = await request.body()
    if len(body) > 64_000:
        raise Problem(413, "Request too large", "a body of at most 64000 bytes is expected")
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise body_problem(exc) from None


def body_problem(exc: ValidationError) -> RequestValidationError:
    """A body's refusal as the 422 naming its fields, wherever in the route it was checked."""
    return RequestValidationError(
        [{**e, "loc": ("body", *e["loc"])} if e["type"] != "json_invalid" else {**e, "loc": ("body",)}
         for e in exc.errors()]
    )


@cache
def changes_model(model: type[F]) -> type[BaseModel]:
    """`model` with every field optional and none defaulted: the body of a partial change, each
    field sent checked by the same rules, each field left out left out of the result."""
    fields: dict[str, Any] = {
        name: (info.annotation | None, FieldInfo.merge_field_infos(info, default=None))
        for name, info in model.model_fields.items()
    }
    return create_model(f"{model.__name__}Changes", __base__=model, __doc__=(
        f"Some of {model.__name__}: the fields sent change, null clears an optional one, the rest are kept"), **fields)
