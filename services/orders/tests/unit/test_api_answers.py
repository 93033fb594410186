"""Every orders route declares what it answers, and declaring it changed no byte of the JSON.

The routes are read from the app itself (built, never started: nothing connects), so a route
added without a response model fails here the day it is written.
"""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

from contracts import AccessEnd, AccessStart, AccessTerms, LessonDelay, Period
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from orders.entrypoints.answers import (
    ContactCard, ContactPage, OrderCard, OrderHistory, OrderPage, OrderSummary, PipelineList, PipelineView,
    SchoolSettingsView,
)
from orders.main import create_app
from orders.settings import Settings
from pydantic import BaseModel, TypeAdapter
from servicekit.api_checks import undocumented_errors, untyped_routes

# Routes that answer something other than a JSON document of ours, and why.
NOT_JSON = {
    ("GET", "/orders/export.csv"),  # a CSV file, streamed
    ("DELETE", "/pipelines/{pipeline_id}"),  # 204, no content
}

AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def _app() -> FastAPI:
    return create_app(Settings(log_json=False))


def test_every_route_has_a_response_model_or_is_listed_on_purpose() -> None:
    assert untyped_routes(_app(), NOT_JSON) == []


def test_every_error_is_documented_as_the_problem() -> None:
    document = _app().openapi()
    assert undocumented_errors(document) == []
    paths = document["paths"]
    edit = paths["/orders/{id_or_number}"]["patch"]["responses"]
    assert {"401", "403", "404", "409", "422", "428", "503"} <= edit.keys()
    assert {"401", "403", "404", "409", "422", "503"} <= paths["/pipelines/{pipeline_id}"]["delete"]["responses"].keys()
    assert "403" not in paths["/orders"]["get"]["responses"]  # a viewer may read


def test_the_list_filters_are_parameters_spelled_from_the_shared_sets() -> None:
    document = _app().openapi()
    parameters = {p["name"]: p for p in document["paths"]["/orders"]["get"]["parameters"]}
    assert {"q", "cursor", "limit", "payment_status", "type", "status", "source", "sort"} <= parameters.keys()

    def values(name: str) -> list[str]:
        schema = next(s for s in parameters[name]["schema"]["anyOf"] if s.get("type") != "null")
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema["enum"]

    # Enums of the shared types (a client's type is their union), in the order the types list them.
    assert values("payment_status") == ["not_paid", "partially_paid", "paid", "overpaid", "refunded"]
    assert values("type") == ["regular", "renewal", "upsell", "gift"]
    assert values("status") == ["active", "cancelled", "expired"]
    assert values("source") == ["page", "widget", "manual"]


def _summary(**changes: Any) -> dict[str, Any]:
    """An order as views._summary builds it from a row: UTC moments as asyncpg reads them, money
    as the quantized string."""
    contact_id = uuid4()
    summary: dict[str, Any] = {
        "id": uuid4(), "number": 12, "created_at": AT,
        "pipeline": {"id": uuid4(), "name": "Продажі"}, "stage": {"id": uuid4(), "name": "Нове \"гаряче\""},
        "payment_status": "partially_paid", "status": "active", "type": "regular", "source": "page",
        "managers": ["олена", "user-2"], "tags": ["vip", "<b>"],
        "contact": {"id": contact_id, "name": "Іван Петренко", "email": "ivan@example.com",
                    "phone": "+380501234567", "link": f"/api/v1/contacts/{contact_id}"},
        "currency": "UAH", "total": "1500.00", "paid": "500.00", "due": "1000.00", "paid_at": None,
        "offer_id": uuid4(), "repeat_of": 3, "repeats": 2, "version": 7,
    }
    summary.update(changes)
    return summary


def _terms() -> dict[str, Any]:
    terms = AccessTerms(
        start=AccessStart(kind="at_date", at=AT),
        end=AccessEnd(kind="after_period", period=Period(unit="months", count=3)),
        lesson_delays="custom", delay_overrides=[LessonDelay(lesson_id=UUID(int=7), days=2)],
        certificate="conditional", certificate_conditions="пройти всі уроки",
    )
    return terms.model_dump(mode="json")


def _card(**changes: Any) -> dict[str, Any]:
    """An order's card as views.order_card builds it: the summary, the contact's locale, then the rest."""
    card = _summary()
    card["contact"]["locale"] = "uk"
    card.update({
        "lines": [
            {"id": uuid4(), "product_id": uuid4(), "product_title": "Курс «Python»",
             "offer": {"id": uuid4(), "title": "Весна", "system_copy": False}, "customised": False,
             "price": "1500.00", "access": _terms(),
             "granted": {"lesson_ids": [str(UUID(int=7)), str(UUID(int=8))],
                         "lesson_delays": [{"lesson_id": str(UUID(int=7)), "days": 2}],
                         "practice_lesson_ids": []},
             "window": {"status": "open", "starts_at": AT, "ends_at": AT + timedelta(days=90)}},
            {"id": uuid4(), "product_id": uuid4(), "product_title": "Extra", "offer": None, "customised": True,
             "price": "0.00", "access": AccessTerms().model_dump(mode="json"),
             "granted": {"lesson_ids": None, "lesson_delays": None, "practice_lesson_ids": None},
             "window": None},
        ],
        "subtotal": "1500.00", "discount": "0.00", "discount_percent": None, "refunded": "0.00",
        "comment": "Дзвонити після 18:00\n", "first_paid_at": AT, "updated_at": AT + timedelta(microseconds=1),
        "access_suspended": True,
        "overdue_payment": {"payment_id": uuid4(), "amount": "500.00", "currency": "UAH",
                            "due_at": "2026-03-05T00:00:00+02:00"},
        "repeat_orders": [{"id": uuid4(), "number": 3, "created_at": AT, "status": "expired",
                           "payment_status": "not_paid"}],
        "history": [
            {"at": AT, "actor": "system", "kind": "created", "details": {"source": "page"}},
            {"at": AT.astimezone(timezone(timedelta(hours=2))), "actor": "user-1", "kind": "order_edited",
             "details": {"tags": {"before": [], "after": ["vip"]}, "discount": {"before": "0", "after": None}}},
        ],
    })
    card.update(changes)
    return card


def _contact(**changes: Any) -> dict[str, Any]:
    contact = {"id": uuid4(), "name": "Ганна", "email": "hanna@example.com", "phone": None, "locale": None,
               "created_at": AT, "updated_at": AT}
    contact.update(changes)
    return contact


def _pipeline(**changes: Any) -> dict[str, Any]:
    pipeline = {"id": uuid4(), "name": "Основна", "is_default": True,
                "stages": [{"id": uuid4(), "name": "Нове", "position": 0, "on_full_payment": False, "on_cancel": False},
                           {"id": uuid4(), "name": "Оплачено", "position": 1, "on_full_payment": True,
                            "on_cancel": False}]}
    pipeline.update(changes)
    return pipeline


def _before(content: Any) -> bytes:
    # What the routes answered before they declared a model: the dict through FastAPI's encoder.
    return JSONResponse(jsonable_encoder(content)).body


def test_the_models_answer_the_same_bytes_as_the_views_did() -> None:
    yen = {"currency": "JPY", "total": "1500", "paid": "0", "due": "1500"}
    samples: list[tuple[type[BaseModel], Any]] = [
        (OrderSummary, _summary()),
        (OrderSummary, _summary(paid_at=AT, offer_id=None, repeat_of=None, repeats=0, managers=[], tags=[],
                                payment_status="not_paid", type="gift", source="manual", status="cancelled",
                                contact={"id": UUID(int=1), "name": "N", "email": "n@example.com", "phone": None,
                                         "link": f"/api/v1/contacts/{UUID(int=1)}"}, **yen)),
        (OrderPage, {"items": [_summary(), _summary(number=13)], "next_cursor": "Y3JlYXRlZF9hdA"}),
        (OrderPage, {"items": [], "next_cursor": None}),
        (OrderCard, _card()),
        (OrderCard, _card(lines=[], overdue_payment=None, access_suspended=False, repeat_orders=[], history=[],
                          first_paid_at=None, comment=None, discount_percent="12.5", subtotal="1500",
                          discount="188", refunded="0", **yen)),
        (OrderCard, _card(overdue_payment={"payment_id": uuid4(), "amount": None, "currency": None, "due_at": None})),
        (OrderHistory, {"items": _card()["history"]}),
        (OrderHistory, {"items": []}),
        (ContactCard, _contact()),
        (ContactCard, _contact(phone="+380501234567", locale="uk", updated_at=AT + timedelta(days=1))),
        (ContactPage, {"items": [_contact(), _contact(name="Zoë")], "next_cursor": "R2FubmE"}),
        (ContactPage, {"items": [], "next_cursor": None}),
        (PipelineView, _pipeline()),
        (PipelineView, _pipeline(is_default=False, stages=[])),
        (PipelineList, {"items": [_pipeline(), _pipeline(is_default=False)]}),
        (PipelineList, {"items": []}),
        (SchoolSettingsView, {"unpaid_expiry_days": 7, "phone_region": None}),
        (SchoolSettingsView, {"unpaid_expiry_days": 30, "phone_region": "UA"}),
    ]
    for model, content in samples:
        # As FastAPI answers with a response model: validate what the route returned, then dump it.
        answer = TypeAdapter(model)
        assert answer.dump_json(answer.validate_python(content)) == _before(content), model.__name__
