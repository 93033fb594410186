"""Every offers route declares what it answers, and declaring it changed no byte of the JSON.

The routes are read from the app itself (built, never started: nothing connects), so a route
added without a response model fails here the day it is written. The samples are made by the
views from domain objects, as the routes make them.
"""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from contracts import AccessEnd, AccessStart, AccessTerms, LessonDelay, Period
from fastapi import FastAPI
from offers import views
from offers.domain.offer import Item, Offer
from offers.domain.pricing import Discount, PlanPayment
from offers.domain.product import CourseDefaults, ModuleDraft, Product
from offers.entrypoints.answers import (
    CheckoutOpened, CheckoutStatusView, OfferCard, OfferList, OfferVersions, ProductCard, ProductList, PublicOffer,
    SchoolCard,
)
from offers.main import create_app
from offers.settings import Settings
from pydantic import BaseModel, TypeAdapter
from servicekit.api_checks import undocumented_errors, untyped_routes

# Routes that answer something other than a JSON document of ours, and why: none, every offers
# route (the public ones too) answers JSON.
NOT_JSON: set[tuple[str, str]] = set()

AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
KYIV = timezone(timedelta(hours=2))


def _app() -> FastAPI:
    return create_app(Settings(log_json=False))


def test_every_route_has_a_response_model_or_is_listed_on_purpose() -> None:
    assert untyped_routes(_app(), NOT_JSON) == []


def test_every_error_is_documented_as_the_problem() -> None:
    document = _app().openapi()
    assert undocumented_errors(document) == []
    paths = document["paths"]
    edit = paths["/offers/{offer_id}"]["patch"]
    assert {"401", "403", "404", "409", "422", "428", "503"} <= edit["responses"].keys()
    assert "403" not in paths["/offers/{offer_id}"]["get"]["responses"]  # a viewer may read
    assert {"404", "409", "422", "503"} <= paths["/public/offers/{offer_id}/checkouts"]["post"]["responses"].keys()
    assert "401" not in paths["/public/offers/{offer_id}/checkouts"]["post"]["responses"]  # no proof asked


def test_query_parameters_and_headers_are_in_the_document() -> None:
    paths = _app().openapi()["paths"]

    def inputs(path: str, method: str) -> set[tuple[str, str]]:
        return {(p["in"], p["name"]) for p in paths[path][method].get("parameters", [])}

    assert ("query", "include_system_copies") in inputs("/offers", "get")
    assert ("query", "wait") in inputs("/public/checkouts/{checkout_id}", "get")
    assert ("header", "if-match") in inputs("/offers/{offer_id}", "patch")
    assert ("header", "Idempotency-Key") in inputs("/public/offers/{offer_id}/checkouts", "post")


def _before(content: Any) -> bytes:
    # What the routes answered before they declared a model: FastAPI took their return
    # annotation, dict[str, Any], for one, and pydantic wrote the dict as it was (a datetime
    # with `Z` for UTC, a UUID as its text, strings as they are).
    return TypeAdapter(dict[str, Any]).dump_json(content)


def _as_jsonb(value: Any) -> Any:
    # A snapshot as PostgreSQL's JSONB gives it back: JSON text, each object's keys shortest first,
    # then in byte order, at every depth.
    if isinstance(value, dict):
        return {key: _as_jsonb(value[key]) for key in sorted(value, key=lambda k: (len(k.encode()), k.encode()))}
    if isinstance(value, list):
        return [_as_jsonb(item) for item in value]
    return value


def _course() -> Product:
    product = Product(id=uuid4(), account_id=uuid4(), title="Python для початківців", kind="group")
    product.restructure([ModuleDraft("Основи", ((None, "Вступ «перший»"), (None, "Types & <tags>"))),
                         ModuleDraft("Web", ())])
    lesson = product.modules[0].lessons[0].id
    product.defaults = CourseDefaults(lesson_delays=((lesson, 3),), practice_lesson_ids=(lesson,), checkpoints=True,
                                      certificate="conditional", certificate_conditions="усі домашні \"завдання\"")
    product.validate_defaults()
    return product


def _rich_offer() -> Offer:
    """Everything an offer can carry, in a currency without minor units."""
    course = _course()
    terms = AccessTerms(
        start=AccessStart(kind="at_date", at=AT),
        end=AccessEnd(kind="after_period", period=Period(unit="months", count=6)),
        module_ids=[course.modules[0].id], lesson_delays="custom",
        delay_overrides=[LessonDelay(lesson_id=course.modules[0].lessons[1].id, days=7)], practice="none",
        comments=False, certificate="conditional", certificate_conditions="іспит ≥ 80%",
    )
    offer = Offer(
        id=uuid4(), account_id=course.account_id, title="Стандарт (Copy system)", currency="JPY",
        items=[Item(course.id, course.title, Decimal("15000"), terms), Item(uuid4(), "Review <1:1>", Decimal("5000"))],
        discount=Discount("percent", Decimal("12.5")), provider="stripe", status="archived", version=3,
        plan=[PlanPayment("prepayment", Decimal("7500")),
              PlanPayment("surcharge", Decimal("5000"), AT + timedelta(days=30), closes_access=True),
              PlanPayment("surcharge", Decimal("5000"), datetime(2026, 5, 1, 8, 0, 0, 500, tzinfo=KYIV), True)],
        curators=["Олена", "user-7"], is_system_copy=True, source_offer_id=uuid4(),
    )
    offer.validate()
    return offer


def _plain_offer() -> Offer:
    """The least an offer carries: one line with the default terms, no discount, one payment."""
    offer = Offer(id=uuid4(), account_id=uuid4(), title="Standard", currency="UAH",
                  items=[Item(uuid4(), "Python course", Decimal("1500"))])
    offer.validate()
    return offer


def _version(offer: Offer, number: int) -> dict[str, Any]:
    # As views.offer_versions builds it from a row: the number, the moment asyncpg read, the stored snapshot.
    return {"version": number, "created_at": AT + timedelta(minutes=number),
            **_as_jsonb(json.loads(json.dumps(offer.snapshot())))}


def _public(offer: Offer, school_name: str) -> dict[str, Any]:
    # As views.public_offer builds it from the offer and its school's name.
    return {"id": offer.id, "title": offer.title, "school_name": school_name, "currency": offer.currency,
            "items": [{"title": i.product_title, "price": offer.money(i.price)} for i in offer.items],
            "discount": offer.money(offer.discount_amount), "total": offer.money(offer.total)}


def test_the_models_answer_the_same_bytes_as_the_views_did() -> None:
    rich, plain = _rich_offer(), _plain_offer()
    bare = Product(id=uuid4(), account_id=uuid4(), title="Consultation", kind="consultation")
    samples: list[tuple[type[BaseModel], Any]] = [
        (SchoolCard, {"name": "Kyiv Code School «Ґ»", "default_locale": "uk", "time_zone": "Europe/Kyiv",
                      "reply_to": "hello@school.example"}),
        (SchoolCard, {"name": "School", "default_locale": "en", "time_zone": None, "reply_to": None}),
        (ProductCard, views.product_view(_course())),
        (ProductCard, views.product_view(bare)),
        (ProductList, {"items": [views.product_view(_course()), views.product_view(bare)]}),
        (ProductList, {"items": []}),
        (OfferCard, views.offer_view(rich)),
        (OfferCard, views.offer_view(plain)),
        (OfferList, {"items": [views.offer_view(plain), views.offer_view(rich)]}),
        (OfferList, {"items": []}),
        (OfferVersions, {"items": [_version(plain, 1), _version(rich, 2)]}),
        (PublicOffer, _public(rich, "Школа «Код»")),
        (PublicOffer, _public(plain, "School")),
        (CheckoutOpened, {"checkout_id": uuid4(),
                          "status_url": f"https://school.example/public/v1/checkouts/{UUID(int=7)}"}),
        (CheckoutStatusView, {"status": "pending", "order_number": None, "payment_url": None}),
        (CheckoutStatusView, {"status": "ready", "order_number": 1042, "payment_url": "https://pay.example/ä?x=1&y=2"}),
    ]
    for model, content in samples:
        # As FastAPI answers with a response model: validate what the route returned, then write it.
        answer = TypeAdapter(model)
        assert answer.dump_json(answer.validate_python(content)) == _before(content), model.__name__


def test_the_samples_cover_what_the_answers_can_hold() -> None:
    card, version = views.offer_view(_rich_offer()), _version(_rich_offer(), 2)
    written = _before({"card": card, "version": version}).decode()
    assert '"due_at":"2026-03-31T09:30:15.123456Z"' in written  # a datetime the view hands over
    assert '"due_at":"2026-03-31T09:30:15.123456+00:00"' in written  # the text a snapshot holds
    assert '"due_at":"2026-05-01T08:00:00.000500+02:00"' in written
    assert card["total"] == "17500" and card["discount_rule"] == {"kind": "percent", "value": "12.5"}
    assert list(version["items"][0]) == ["price", "access", "product_id", "product_title"]
    assert views.offer_view(_plain_offer())["payment_plan"] == [
        {"type": "regular", "amount": "1500.00", "due_at": None, "closes_access": False}]
