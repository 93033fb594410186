"""Every notifications route declares what it answers, and declaring it changed no byte of the JSON.

The routes are read from the app itself (built, never started: nothing connects), so a route
added without a response model fails here the day it is written.
"""

from datetime import UTC, datetime
from typing import Any, get_args
from uuid import uuid4

from contracts import OrderStatus
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from notifications.domain.delivery import CancelReason, cancel_reason
from notifications.domain.letters import SUPPORTED_LOCALES, TEMPLATES
from notifications.entrypoints.answers import (
    NotificationCard, NotificationPage, NotificationSummary, TemplateList, TemplateView,
)
from notifications.main import create_app
from notifications.rendering import render, sample_letters, template_variables
from notifications.settings import Settings
from pydantic import BaseModel, TypeAdapter
from servicekit.api_checks import undocumented_errors, untyped_routes
from servicekit.pagination import encode_cursor

# Routes that answer something other than a JSON document of ours, and why.
NOT_JSON = {
    ("DELETE", "/templates/{template}/{locale}"),  # 204: no content
}


def _app() -> FastAPI:
    return create_app(Settings(log_json=False))


def test_every_route_has_a_response_model_or_is_listed_on_purpose() -> None:
    assert untyped_routes(_app(), NOT_JSON) == []


def test_every_crm_error_is_documented_as_the_problem() -> None:
    document = _app().openapi()
    assert undocumented_errors(document) == []
    paths = document["paths"]
    resend = paths["/notifications/{delivery_id}/resend"]["post"]["responses"]
    assert {"401", "403", "404", "409", "422", "503"} <= resend.keys()
    assert {"401", "404", "422", "503"} <= paths["/notifications/{delivery_id}"]["get"]["responses"].keys()
    assert {"403", "404"} <= paths["/templates/{template}/{locale}"]["delete"]["responses"].keys()
    # The log's paging is in the document, as parameters a client can generate.
    log = paths["/orders/{order}/notifications"]["get"]
    assert {(p["name"], p["in"]) for p in log["parameters"]} >= {("limit", "query"), ("cursor", "query")}


def test_the_cancel_reasons_the_log_names_are_those_of_a_closed_order() -> None:
    given = {cancel_reason(status) for status in get_args(OrderStatus)} - {None}
    assert given == set(get_args(CancelReason))


# As asyncpg reads a timestamptz: aware, in UTC, with its microseconds.
AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def _summary(**changes: Any) -> dict[str, Any]:
    """A delivery as notifications.views builds it from a row, in the order of its columns."""
    summary: dict[str, Any] = {
        "id": uuid4(), "template": "payment_link", "recipient": "олена@приклад.укр", "status": "sent",
        "attempts": 2, "last_error": None, "subject": "Оплата — «Школа» \"№1\" <b>&</b>", "created_at": AT,
        "sent_at": datetime(2026, 3, 1, 9, 31, tzinfo=UTC), "order_id": uuid4(), "contact_id": uuid4(),
        "locale": "uk", "resend_of": None, "cancel_reason": None, "refused": False,
    }
    summary.update(changes)
    return summary


def _card(**changes: Any) -> dict[str, Any]:
    card = {**_summary(), "next_attempt_at": None, "text_body": "Добрий день!\n\tСума: 1 500 ₴\u00a0\n",
            "html_body": "<p>Добрий день! <a href=\"https://pay.example/ä?x=1&amp;y=2\">Сплатити</a></p>"}
    card.update(changes)
    return card


def _template_view(template: str, locale: str, *, overridden: bool) -> dict[str, Any]:
    """What notifications.views.template builds: the preview is the real rendering of the sample letter."""
    preview = render(sample_letters(template, locale)[0])  # type: ignore[arg-type]
    return {
        "template": template, "locale": locale, "overridden": overridden,
        "subject": "Ваш рахунок — {{ school_name }}" if overridden else None,
        "html": "<p>{{ _('Pay') }} {{ amount | money(currency) }}</p>" if overridden else None,
        "text": "{{ url }}\n" if overridden else None,
        "preview": {"subject": preview.subject, "html": preview.html, "text": preview.text},
        "variables": template_variables(template),  # type: ignore[arg-type]
    }


def _before(content: Any) -> bytes:
    # What the routes answered before they declared a model: the dict through FastAPI's encoder.
    return JSONResponse(jsonable_encoder(content)).body


def test_the_models_answer_the_same_bytes_as_the_views_did() -> None:
    samples: list[tuple[type[BaseModel], Any]] = [
        (NotificationSummary, _summary()),
        (NotificationSummary, _summary(
            status="cancelled", attempts=0, sent_at=None, contact_id=None, cancel_reason="order_expired",
            template="reminder", locale="en", subject="Reminder", recipient="a@example.com")),
        (NotificationSummary, _summary(
            status="failed", refused=True, last_error="550 5.1.1 <a@example.com>: No such mailbox",
            resend_of=uuid4(), sent_at=None, template="order_confirmation", locale="de")),
        (NotificationCard, _card()),
        (NotificationCard, _card(status="pending", attempts=1, last_error="421 try again later", sent_at=None,
                                 next_attempt_at=datetime(2026, 3, 1, 9, 35, 0, 1, tzinfo=UTC))),
        (NotificationPage, {"items": [_summary(), _summary(status="pending", sent_at=None)],
                            "next_cursor": encode_cursor(AT.isoformat(), str(uuid4()))}),
        (NotificationPage, {"items": [], "next_cursor": None}),
        (TemplateList, {"items": [
            {"template": name, "locales": list(SUPPORTED_LOCALES), "overridden": ["uk", "de"] if i % 2 else [],
             "variables": template_variables(name)}  # type: ignore[arg-type]
            for i, name in enumerate(TEMPLATES)
        ]}),
        (TemplateView, _template_view("payment_link", "uk", overridden=True)),
        (TemplateView, _template_view("order_confirmation", "pl", overridden=False)),
        (TemplateView, _template_view("receipt", "en", overridden=False)),
    ]
    for model, content in samples:
        # As FastAPI answers with a response model: validate what the route returned, then dump it.
        answer = TypeAdapter(model)
        assert answer.dump_json(answer.validate_python(content)) == _before(content), model.__name__
