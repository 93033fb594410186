"""Where an order lands and the funnel a school starts with: the pipeline's rules, without I/O."""

import uuid

import pytest
from orders.domain.order import Contact, Funnel, InvalidOrder, filled_by_a_visit
from orders.domain.pipeline import DEFAULT_STAGES, Pipeline, Stage, new_default_pipeline, placement


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
