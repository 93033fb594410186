"""Course structure, access terms against it, versions and system copies: rules without I/O."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from contracts import AccessEnd, AccessStart, AccessTerms, LessonDelay, OfferCopyLine, Period
from offers.domain.errors import OfferArchived, OfferError, OfferUnavailable, StaleVersion
from offers.domain.offer import Item, Offer
from offers.domain.pricing import Discount, PlanPayment
from offers.domain.product import CourseDefaults, ModuleDraft, Product

D = Decimal
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def course() -> Product:
    product = Product(id=uuid.uuid4(), account_id=uuid.uuid4(), title="Python")
    product.restructure([ModuleDraft("Basics", ((None, "Intro"), (None, "Types"))),
                         ModuleDraft("Web", ((None, "HTTP"),))])
    return product


def test_restructuring_keeps_the_ids_it_is_given_and_makes_new_ones():
    product = course()
    basics, web = product.modules
    intro, types = basics.lessons
    product.restructure([
        ModuleDraft("Web first", ((web.lessons[0].id, "HTTP/2"), (None, "REST")), web.id),
        ModuleDraft("Basics", ((types.id, "Types"),), basics.id),
    ])
    assert [m.id for m in product.modules] == [web.id, basics.id]
    assert product.modules[0].lessons[0] == type(intro)(web.lessons[0].id, "HTTP/2")
    assert product.modules[0].lessons[1].id not in {intro.id, types.id, web.lessons[0].id}
    assert intro.id not in product.lesson_ids()


@pytest.mark.parametrize("draft, field", [
    (lambda p: [ModuleDraft("M", ((uuid.uuid4(), "Made up"),))], "modules.0.lessons.0.id"),
    (lambda p: [ModuleDraft("M", (), uuid.uuid4())], "modules.0.id"),
    (lambda p: [ModuleDraft("M", ((p.modules[0].lessons[0].id, "A"), (p.modules[0].lessons[0].id, "B")))],
     "modules.0.lessons.1.id"),
])
def test_a_structure_naming_ids_the_product_does_not_have_is_refused(draft, field):
    product = course()
    with pytest.raises(OfferError) as caught:
        product.restructure(draft(product))
    assert caught.value.field == field


def test_course_defaults_name_only_its_lessons():
    product = course()
    lesson = product.modules[0].lessons[0].id
    product.defaults = CourseDefaults(lesson_delays=((lesson, 3),), practice_lesson_ids=(lesson,))
    product.validate_defaults()
    product.defaults = CourseDefaults(practice_lesson_ids=(lesson, uuid.uuid4()))
    with pytest.raises(OfferError) as caught:
        product.validate_defaults()
    assert caught.value.field == "defaults.practice_lesson_ids.1"


def test_access_terms_name_only_modules_and_lessons_of_the_product():
    product = course()
    basics, web = product.modules
    product.check_access(AccessTerms(module_ids=[basics.id], lesson_ids=[basics.lessons[1].id]), "items.0.access")
    cases = [
        (AccessTerms(module_ids=[uuid.uuid4()]), "items.0.access.module_ids.0"),
        (AccessTerms(module_ids=[basics.id], lesson_ids=[web.lessons[0].id]), "items.0.access.lesson_ids.0"),
        (AccessTerms(lesson_delays="custom", delay_overrides=[LessonDelay(lesson_id=uuid.uuid4(), days=1)]),
         "items.0.access.delay_overrides.0.lesson_id"),
        (AccessTerms(practice="custom", practice_lesson_ids=[basics.lessons[0].id, uuid.uuid4()]),
         "items.0.access.practice_lesson_ids.1"),
    ]
    for terms, field in cases:
        with pytest.raises(OfferError) as caught:
            product.check_access(terms, "items.0.access")
        assert caught.value.field == field


def tariff(**kw) -> Offer:
    defaults = dict(id=uuid.uuid4(), account_id=uuid.uuid4(), title="Standard", currency="UAH",
                    items=[Item(uuid.uuid4(), "Python", D("1000.00")), Item(uuid.uuid4(), "Chat", D("500.00"))])
    return Offer(**{**defaults, **kw})


def test_a_change_is_a_new_version_and_no_change_is_none():
    o = tariff()
    assert o.changed(title="Standard") is None
    assert o.changed(discount=Discount("amount", D("0.00"))) is None  # the same discount, written otherwise
    following = o.changed(title="Standard+")
    assert following.version == 2 and following.title == "Standard+" and o.version == 1
    with pytest.raises(StaleVersion):
        o.check_version(2)
    with pytest.raises(OfferError):
        o.changed(discount=Discount("amount", D("2000.00")))


def test_opening_snapshots_terms_plan_and_locale_and_refuses_archived_offers_and_copies():
    access = AccessTerms(start=AccessStart(kind="at_date", at=NOW), end=AccessEnd(kind="after_period",
                                                                                 period=Period(unit="months", count=3)))
    o = tariff(items=[Item(uuid.uuid4(), "Python", D("1500.00"), access)],
               plan=[PlanPayment("prepayment", D("500.00")),
                     PlanPayment("surcharge", D("1000.00"), NOW + timedelta(days=30), True)])
    opened = o.open(checkout_id=uuid.uuid4(), school_name="S", contact={"name": "A", "email": "a@example.com"},
                    source="page", correlation_id=uuid.uuid4(), school_locale="uk")
    assert opened.lines[0].access == access and opened.school_locale == "uk"
    assert [(p.type, p.amount, p.closes_access) for p in opened.payment_plan] == [
        ("prepayment", D("500.00"), False), ("surcharge", D("1000.00"), True)]
    with pytest.raises(OfferArchived):
        tariff(status="archived").open(checkout_id=uuid.uuid4(), school_name="S", contact=opened.contact,
                                       source="page", correlation_id=uuid.uuid4())
    with pytest.raises(OfferUnavailable):
        tariff(is_system_copy=True).open(checkout_id=uuid.uuid4(), school_name="S", contact=opened.contact,
                                         source="page", correlation_id=uuid.uuid4())


def test_a_system_copy_takes_the_given_lines_and_keeps_the_rest():
    source = tariff(discount=Discount("percent", D("10")))
    python, chat = source.items
    terms = AccessTerms(end=AccessEnd(kind="after_period", period=Period(unit="days", count=30)))
    copy_id = uuid.uuid4()
    lines = [OfferCopyLine(product_id=python.product_id, price=D("800.00"), access=terms)]
    copy = source.system_copy(copy_id, lines, {})
    assert (copy.id, copy.title, copy.is_system_copy, copy.source_offer_id) == (
        copy_id, "Standard (Copy system)", True, source.id)
    assert [(i.product_id, i.price, i.access) for i in copy.items] == [
        (python.product_id, D("800.00"), terms), (chat.product_id, D("500.00"), chat.access)]
    assert copy.total == D("1170.00") and copy.version == 1
    assert copy.system_copy(uuid.uuid4(), [], {}).title == "Standard (Copy system)"  # never doubled


def test_a_copy_keeps_the_plan_where_it_still_adds_up_and_clamps_an_amount_discount():
    plan = [PlanPayment("prepayment", D("500.00")), PlanPayment("surcharge", D("1000.00"), NOW)]
    source = tariff(plan=plan)
    same = source.system_copy(uuid.uuid4(), [OfferCopyLine(product_id=source.items[0].product_id, price=D("1000.00"),
                                                           access=AccessTerms())], {})
    assert same.plan == plan
    cheaper = source.system_copy(uuid.uuid4(), [OfferCopyLine(product_id=source.items[0].product_id, price=D("10.00"),
                                                              access=AccessTerms())], {})
    assert cheaper.plan is None and cheaper.total == D("510.00")
    generous = tariff(discount=Discount("amount", D("1400.00")))
    free = generous.system_copy(uuid.uuid4(), [
        OfferCopyLine(product_id=i.product_id, price=D("100.00"), access=AccessTerms()) for i in generous.items], {})
    assert free.discount_amount == D("200.00") and free.total == D("0.00")
