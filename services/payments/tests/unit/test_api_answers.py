"""Every payments route declares what it answers, and declaring it changed no byte of the JSON.

The routes are read from the app itself (built, never started: nothing connects), so a route
added without a response model fails here the day it is written.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from payments.adapters.sealing import new_key
from payments.domain.payment import PaymentPart
from payments.entrypoints.answers import OrderPayments, PaymentCard, ProviderSettingsView, ReminderSchedule
from payments.main import create_app
from payments.settings import Settings
from pydantic import BaseModel, TypeAdapter
from servicekit.api_checks import undocumented_errors, untyped_routes

# Routes that answer something other than a JSON document of ours, and why.
NOT_JSON = {
    ("GET", "/thanks"),  # an HTML page the payer lands on
    ("GET", "/sandbox/pay/{payment_id}"),  # the sandbox's HTML payment page
    ("POST", "/sandbox/pay/{payment_id}/succeed"),  # its HTML result page
    ("POST", "/sandbox/pay/{payment_id}/decline"),  # its HTML result page
    # The provider's own acknowledgement, in the body and status each provider expects.
    ("POST", "/webhooks/{provider}/{account}"),
}


def _app() -> FastAPI:
    # The sandbox on, so its routes are among those checked.
    return create_app(Settings(log_json=False, credentials_keys=new_key(), sandbox_enabled=True))


def test_every_route_has_a_response_model_or_is_listed_on_purpose() -> None:
    assert untyped_routes(_app(), NOT_JSON) == []


def test_every_crm_error_is_documented_as_the_problem() -> None:
    paths = _app().openapi()["paths"]
    assert undocumented_errors(_app().openapi()) == []
    mark_paid = paths["/payments/{payment_id}/mark-paid"]["post"]["responses"]
    assert {"401", "403", "404", "409", "422", "503"} <= mark_paid.keys()


def _stored(value: dict[str, Any]) -> dict[str, Any]:
    # PostgreSQL's JSONB gives an object's keys back shortest first, then in byte order.
    return {key: value[key] for key in sorted(value, key=lambda k: (len(k), k))}


def _card(**changes: Any) -> dict[str, Any]:
    """A payment as payments.views builds it from a row: UTC moments as asyncpg reads them, money
    as the quantized string, the stored parts with JSONB's key order."""
    at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    card: dict[str, Any] = {
        "id": uuid4(), "order_id": uuid4(), "checkout_id": None, "number": 2, "type": "regular", "status": "paid",
        "amount": "1500.00", "currency": "UAH", "due_at": datetime(2026, 3, 2, tzinfo=UTC), "method": "cash",
        "provider": "wayforpay", "link_url": "https://pay.example/ä?x=1&y=<2>", "link_expires_at": None,
        "provider_reference": None, "closes_access": False, "attempts": 1, "last_failure": "card \"declined\"\n",
        "paid_at": at, "comment": "готівка", "link_error": None, "refunded_amount": "0.00", "marked_by": "user-1",
        "parts": [_stored(p.as_json("UAH")) for p in (PaymentPart("cash", Decimal("500")),
                                                      PaymentPart("bank_transfer", Decimal("1000"), "r-1"))],
        "created_at": at, "updated_at": at,
        "attempt_history": [{"at": at, "provider": "wayforpay", "outcome": "declined", "reason": "no funds"},
                            {"at": at, "provider": "wayforpay", "outcome": "succeeded", "reason": None}],
    }
    card.update(changes)
    return card


def _before(content: Any) -> bytes:
    # What the routes answered before they declared a model: the dict through FastAPI's encoder.
    return JSONResponse(jsonable_encoder(content)).body


def test_the_models_answer_the_same_bytes_as_the_views_did() -> None:
    samples: list[tuple[type[BaseModel], Any]] = [
        (PaymentCard, _card()),
        (PaymentCard, _card(checkout_id=uuid4(), due_at=None, paid_at=None, parts=[], attempt_history=[],
                            marked_by=None, amount="1500", currency="JPY", refunded_amount="0")),
        (OrderPayments, {"items": [_card(), _card(number=3)]}),
        (OrderPayments, {"items": []}),
        (ProviderSettingsView, {"provider": "stripe", "configured": True, "settings": {"success_url": "https://s/ok"},
                                "secrets_set": ["secret_key", "webhook_secret"],
                                "webhook_url": f"http://pay.test/webhooks/stripe/{UUID(int=1)}"}),
        (ProviderSettingsView, {"provider": "wayforpay", "configured": False, "settings": {}, "secrets_set": [],
                                "webhook_url": "http://pay.test/webhooks/wayforpay/x"}),
        (ReminderSchedule, {"offsets_hours": [-24, 0, 48]}),
    ]
    for model, content in samples:
        # As FastAPI answers with a response model: validate what the route returned, then dump it.
        answer = TypeAdapter(model)
        assert answer.dump_json(answer.validate_python(content)) == _before(content), model.__name__
