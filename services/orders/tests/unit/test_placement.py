"""Where an order lands, what a visit's order is, and the funnel a school starts with: the pipeline's
rules, without I/O."""

import uuid
from decimal import Decimal

import pytest
from contracts import ContactData, OfferLine, OfferOpened
from orders.domain.order import Contact, Funnel, InvalidOrder, filled_by_a_visit
from orders.domain.pipeline import (
    DEFAULT_STAGES, Intake, Pipeline, Stage, Visit, new_default_pipeline, placement,
)


def funnel_of(*marks: str) -> Pipeline:
    return Pipeline(uuid.uuid4(), tuple(Stage(uuid.uuid4(), m, on_full_payment=m == "paid", on_cancel=m == "lost")
                                        for m in marks))


def test_a_stage_given_is_where_the_order_lands_in_its_own_pipeline():
    webinars = funnel_of("new", "paid")
    stage = webinars.stages[1].id
    assert placement(pipeline_id=None, stage_id=stage, chosen=None, of_stage=webinars, default=None) == (
        webinars.id, stage)
    assert placement(pipeline_id=webinars.id, stage_id=stage, chosen=webinars, of_stage=webinars,
                     default=None) == (webinars.id, stage)


def test_a_pipeline_given_alone_takes_its_first_stage_and_nothing_given_the_defaults():
    webinars, sales = funnel_of("new", "paid"), funnel_of("first", "paid")
    assert placement(pipeline_id=webinars.id, stage_id=None, chosen=webinars, of_stage=None,
                     default=None) == (webinars.id, webinars.stages[0].id)
    assert placement(pipeline_id=None, stage_id=None, chosen=None, of_stage=None, default=sales) == (
        sales.id, sales.stages[0].id)


@pytest.mark.parametrize(("given", "field", "words"), [
    ("unknown pipeline", "pipeline_id", "no pipeline"),
    ("unknown stage", "stage_id", "no stage"),
    ("stage of another pipeline", "stage_id", "another pipeline"),
])
def test_what_the_school_has_not_is_refused_naming_the_field(given, field, words):
    webinars, courses = funnel_of("new"), funnel_of("new")
    stage = courses.stages[0].id
    chosen, of_stage = {
        "unknown pipeline": (None, courses), "unknown stage": (webinars, None),
        "stage of another pipeline": (webinars, courses)}[given]
    with pytest.raises(InvalidOrder) as refused:
        placement(pipeline_id=webinars.id, stage_id=stage, chosen=chosen, of_stage=of_stage, default=None)
    assert refused.value.field == field and words in refused.value.message


def test_a_school_starts_with_the_sales_funnel_paid_on_full_payment():
    ids = iter(uuid.UUID(int=n) for n in range(1, 100))
    made = new_default_pipeline(lambda: next(ids))
    assert (made.id, made.name, made.is_default) == (uuid.UUID(int=1), "Sales", True)
    assert [s.name for s in made.stages] == [s.name for s in DEFAULT_STAGES]
    assert made.funnel == Funnel(made.id, made.stages[0].id, made.stages[3].id, made.stages[4].id)
    assert made.funnel.on_full_payment != made.funnel.on_cancel


def test_the_funnel_is_the_first_stage_and_the_marked_ones_in_any_order():
    pipeline = funnel_of("lost", "new", "paid")
    assert pipeline.funnel == Funnel(pipeline.id, pipeline.stages[0].id, pipeline.stages[2].id,
                                     pipeline.stages[0].id)
    assert funnel_of("new").funnel.on_full_payment is None
    assert Pipeline(uuid.uuid4(), ()).funnel.first_stage is None  # a pipeline whose stages are gone


def test_a_visit_gives_a_known_contact_only_what_it_lacks():
    known = Contact(uuid.uuid4(), "Olena", "olena@example.com", phone=None, locale="uk")
    assert filled_by_a_visit(known, phone="+380501234567", locale="en") == {"phone": "+380501234567"}
    assert filled_by_a_visit(known, phone=None, locale=None) == {}
    full = Contact(uuid.uuid4(), "Olena", "olena@example.com", phone="+380500000000", locale="uk")
    assert filled_by_a_visit(full, phone="+380501234567", locale="en") == {}


def visit_of(email: str, phone: str | None, locale: str | None) -> OfferOpened:
    return OfferOpened(
        account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), checkout_id=uuid.uuid4(), offer_id=uuid.uuid4(),
        offer_version=2, offer_title="Spring", school_name="Code school", school_locale="uk", currency="UAH",
        contact=ContactData(name="Olena P.", email=email, phone=phone, locale=locale),
        lines=[OfferLine(product_id=uuid.uuid4(), product_title="Python", price=Decimal("1200.00")),
               OfferLine(product_id=uuid.uuid4(), product_title="SQL", price=Decimal("300.00"))],
        discount=Decimal("500.00"), total=Decimal("1000.00"), payment_plan=[], provider="sandbox")


def test_an_intake_is_the_offers_order_in_the_default_pipelines_first_stage_for_a_new_contact():
    default = funnel_of("new", "paid", "lost")
    event = visit_of("olena@example.com", "+380501234567", "uk")
    contact_id = uuid.uuid4()
    intake, [created] = Intake.of_visit(event, Visit(None, default, None, 12), default=default,
                                        order_id=uuid.uuid4(), new_contact_id=contact_id)
    order = intake.order
    assert (order.number, order.pipeline_id, order.stage_id) == (12, default.id, default.first_stage)
    assert (order.subtotal, order.discount, order.total) == (Decimal("1500.00"), Decimal("500.00"), Decimal("1000.00"))
    assert [line.position for line in order.lines] == [0, 1] and [e.kind for e in order.entries] == ["created"]
    assert intake.contact == Contact(contact_id, "Olena P.", "olena@example.com", "+380501234567", "uk")
    assert (intake.school_name, intake.school_locale) == ("Code school", "uk")
    assert (created.order_number, created.contact_id) == (12, contact_id)


def test_an_intake_for_a_known_contact_keeps_it_and_gives_it_only_what_it_lacks():
    default = funnel_of("new", "paid")
    known = Contact(uuid.uuid4(), "Olena", "Olena@example.com", None, "en")
    intake, [created] = Intake.of_visit(visit_of("OLENA@example.com", "+380501234567", "uk"),
                                        Visit(None, default, known, 3), default=default, order_id=uuid.uuid4(),
                                        new_contact_id=uuid.uuid4())
    assert intake.contact == Contact(known.id, "Olena", "Olena@example.com", "+380501234567", "en")
    assert created.contact_id == known.id
