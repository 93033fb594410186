"""New orders: from a visit to an offer, or made by hand in the CRM."""

from datetime import tzinfo
from uuid import UUID, uuid4

from contracts import OfferOpened, PlannedPayment
from servicekit.idempotency import Idempotent

from ..entrypoints.bodies import ContactFields, NewOrder, PaymentFields
from ..domain.actor import Actor
from ..domain.catalog import check_line
from ..domain.order import Contact, Discount, InvalidOrder, Line, Order, check_amount, check_plan, priced
from ..domain.pipeline import Intake
from ..domain.school import SchoolProfile
from ..domain.zones import instant, terms_in_zone, zone_named
from .contacts import contact_of_visit, phone_in
from .placement import default_pipeline, place
from .unit_of_work import UnitOfWork


async def open_order_from_offer(uow: UnitOfWork, event: OfferOpened) -> None:
    """Every visit to an offer makes a new order, with the offer's terms as they were: what the school
    has for the visit is read at once, the order goes in with its contact in one go, then its events."""
    account, email = event.account_id, str(event.contact.email)
    visit = await uow.orders.visit(account, event.checkout_id, email)
    if visit.existing_order is not None:
        return
    default = visit.default or await default_pipeline(uow.pipelines, account)
    order_id, contact_id = uuid4(), uuid4()
    intake, events = Intake.of_visit(event, visit, default=default, order_id=order_id, new_contact_id=contact_id)
    if not await uow.orders.intake(intake):
        # A concurrent visit gave the school this email first: the order is for that contact.
        known = await uow.contacts.with_email(account, email, for_update=True)
        assert known is not None  # the email is taken, and contacts are never deleted
        intake, events = Intake.of_visit(event, visit._replace(contact=known), default=default, order_id=order_id,
                                         new_contact_id=contact_id)
        written = await uow.orders.intake(intake)
        assert written, "the school's contact is locked: nothing can take it away"
    await uow.outbox.add(*events)


async def create_order(
    uow: UnitOfWork, actor: Actor, command: NewOrder, *, idempotency: Idempotent | None = None,
    default_zone: tzinfo,
) -> UUID:
    """An order made by hand: placed, priced and announced like one from an offer, source "manual".
    Its dates typed without an offset are read in the school's zone, else `default_zone`."""
    account = actor.account_id
    if (earlier := await uow.idempotency.made_before(str(account), idempotency)) is not None:
        return earlier
    pipeline_id, stage_id = await place(uow.pipelines, account, command.pipeline_id, command.stage_id)
    school = await uow.schools.profile(account) or SchoolProfile()
    zone = zone_named(school.time_zone, default_zone)
    lines = []
    for n, line in enumerate(command.lines):
        terms = terms_in_zone(line.access, zone, at=f"lines.{n}.")
        catalog_title = check_line(await uow.catalog.product(account, line.product_id), line.product_id, terms,
                                   at=f"lines.{n}.")
        check_amount(f"lines.{n}.price", line.price, command.currency)
        lines.append(Line(uuid4(), line.product_id, line.product_title or catalog_title, line.price, terms,
                          offer_id=line.offer_id, offer_title=line.offer_title, position=n))
    discount = Discount.of(command.discount)
    prices = priced([line.price for line in command.lines], discount, command.currency)
    check_plan([p.amount for p in command.payments], prices.total, command.currency)
    contact = await choose_contact(uow, account, school, command.contact_id, command.contact)
    order, events = Order.by_hand(
        actor, order_id=uuid4(), number=await uow.orders.next_number(account), currency=command.currency,
        contact=contact, pipeline_id=pipeline_id, stage_id=stage_id, lines=lines, prices=prices, discount=discount,
        payments=[_planned(p, zone) for p in command.payments], type=command.type, managers=command.managers,
        tags=command.tags, comment=command.comment, provider=command.provider,
        send_payment_link=command.send_payment_link, send_confirmation=command.send_confirmation,
        school_name=school.name, school_locale=school.locale,
    )
    await uow.orders.add(order)
    await uow.outbox.add(*events)
    await uow.idempotency.remember(str(account), idempotency, order.id)
    return order.id


def _planned(payment: PaymentFields, zone: tzinfo) -> PlannedPayment:
    values = payment.model_dump()
    for field in ("due_at", "paid_at"):
        if values[field] is not None:
            values[field] = instant(values[field], zone)
    return PlannedPayment(**values)


async def choose_contact(
    uow: UnitOfWork, account: UUID, school: SchoolProfile, contact_id: UUID | None, inline: ContactFields | None
) -> Contact:
    """The chosen contact, or the one typed in: an email the school knows reuses that contact."""
    if contact_id is not None:
        found = await uow.contacts.get(account, contact_id)
        if found is None:
            raise InvalidOrder("contact_id", f"no contact {contact_id} in this school")
        return found
    assert inline is not None
    return await contact_of_visit(
        uow, account, name=inline.name, email=str(inline.email),
        phone=phone_in(school.phone_region, inline.phone, "contact.phone"), locale=inline.locale)
