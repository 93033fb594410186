"""Use cases of the orders service: one per command or message."""

from decimal import Decimal
from uuid import UUID, uuid4

from contracts import OfferOpened, OrderCreated, OrderLine, PaymentSucceeded
from servicekit.errors import Rejected
from servicekit.outbox import add_to_outbox
from sqlalchemy.ext.asyncio import AsyncConnection

from .adapters import repository as repo
from .adapters.tables import outbox
from .domain.order import PaymentMismatch, PaymentStatus, payment_status

SYSTEM = "system"


async def on_offer_opened(conn: AsyncConnection, event: OfferOpened) -> None:
    """Every visit to an offer page makes a new order, with the offer's terms as they were."""
    account = event.account_id
    existing, pipeline_id, stage_id = await repo.placement_for_checkout(conn, account, event.checkout_id)
    if existing is not None:
        return
    contact = event.contact
    contact_id = await repo.upsert_contact(
        conn, account, name=contact.name, email=str(contact.email), phone=contact.phone, locale=contact.locale
    )
    number = await repo.next_order_number(conn, account)
    order_id = uuid4()
    lines = [
        OrderLine(line_id=uuid4(), product_id=line.product_id, product_title=line.product_title, price=line.price)
        for line in event.lines
    ]
    subtotal = sum((line.price for line in lines), Decimal(0))
    await repo.add_order(
        conn,
        {
            "id": order_id, "account_id": account, "number": number, "checkout_id": event.checkout_id,
            "offer_id": event.offer_id, "contact_id": contact_id, "pipeline_id": pipeline_id, "stage_id": stage_id,
            "type": "regular", "source": event.source, "currency": event.currency, "subtotal": subtotal,
            "discount": event.discount, "total": event.total,
            "payment_status": payment_status(event.total, Decimal(0)).value,
        },
        [
            {"id": line.line_id, "order_id": order_id, "position": n, "product_id": line.product_id,
             "product_title": line.product_title, "offer_id": event.offer_id, "offer_title": event.offer_title,
             "price": line.price}
            for n, line in enumerate(lines)
        ],
    )
    await repo.add_history(conn, order_id, account, SYSTEM, "created", {
        "source": event.source, "offer_id": str(event.offer_id), "offer_version": event.offer_version,
        "checkout_id": str(event.checkout_id),
    })
    await add_to_outbox(conn, outbox, OrderCreated.caused_by(
        event,
        order_id=order_id, order_number=number, checkout_id=event.checkout_id, offer_id=event.offer_id,
        school_name=event.school_name, contact_id=contact_id, contact=contact, currency=event.currency,
        lines=lines, discount=event.discount, total=event.total, payment_plan=event.payment_plan,
        provider=event.provider, send_payment_link=True,
    ))


async def on_payment_succeeded(conn: AsyncConnection, event: PaymentSucceeded) -> None:
    """Money arrived: count it once, recompute the payment status, move the stage on full payment."""
    loaded = await repo.load_for_payment(conn, event.order_id, event.account_id)
    if loaded is None:
        raise Rejected(f"no order {event.order_id} in account {event.account_id}")
    order, pipeline_id = loaded
    before = order.status
    try:
        counted = order.record_payment(event.payment_id, event.amount, event.currency)
    except PaymentMismatch as exc:
        raise Rejected(str(exc)) from None
    if not counted:
        return
    fully_paid = before not in (PaymentStatus.PAID, PaymentStatus.OVERPAID) and order.status in (
        PaymentStatus.PAID, PaymentStatus.OVERPAID)
    if fully_paid:
        order.stage_id = await repo.full_payment_stage(conn, pipeline_id) or order.stage_id
    await repo.save_payment(conn, order, event.payment_id, event.amount, event.paid_at, fully_paid=fully_paid)
    await repo.add_history(conn, order.id, order.account_id, event.provider or SYSTEM, "payment_received", {
        "payment_id": str(event.payment_id), "amount": format(event.amount, "f"), "currency": event.currency,
        "payment_status": order.status.value,
    })


def order_ref(value: str) -> UUID | int:
    """An order is found by its id or by its number."""
    if value.isdigit():
        return int(value)
    return UUID(value)
