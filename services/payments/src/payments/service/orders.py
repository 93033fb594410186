"""Use cases driven by the orders service's events."""

from uuid import UUID

from contracts import OrderCreated, OrderUpdated
from servicekit.errors import NotYet, Rejected

from ..domain.payment import PlanInvalid, UnknownProvider, first_open, plan_payments, provider_for
from .crm import OrderNotFound
from .links import Providers, request_link
from .schedule import plan_reminders
from .unit_of_work import UnitOfWork

# An order in one of these states owes nothing more.
CLOSED_ORDER_STATUSES = ("cancelled", "expired")


async def create_order_payments(uow: UnitOfWork, order: OrderCreated, providers: Providers) -> None:
    """A new order: the payments of its plan, and a link for the first one to pay."""
    try:
        payments = plan_payments(order)
        first = first_open(payments)
        if first is not None:
            provider_for(providers, order.provider)
    except (PlanInvalid, UnknownProvider) as exc:
        if await uow.payments.order_has_any(order.order_id):
            return  # an order planned before, whatever this copy of it says
        raise Rejected(f"order {order.order_id}: {exc}") from None
    # The inbox stops a redelivery; this stops the same order arriving under another event id.
    state = await uow.orders.add_unless_planned(order)
    if state is None:
        return
    rest = [p for p in payments if p is not first]
    await uow.payments.add(rest)
    if first is not None:
        await request_link(
            uow, first, state, providers, purpose="link", send_email=order.send_payment_link,
            correlation_id=order.correlation_id, causation_id=order.event_id, saved=False,
        )
    # Already paid entries (a manual order's cash, say) are facts the order must hear once.
    await uow.outbox.add(*[
        p.succeeded(fallback_correlation_id=order.correlation_id) for p in payments if p.status == "paid"
    ])
    for payment in payments:
        await plan_reminders(uow, payment, new=True)


async def apply_order_update(uow: UnitOfWork, event: OrderUpdated) -> None:
    """Keep the order's contact and currency; a cancelled or expired order's unpaid payments end."""
    # Kept only when newer than the picture we keep, and of the same school; if not, why not.
    if not await uow.orders.update(event):
        state = await uow.orders.get(event.order_id, for_update=True)
        if state is None:
            raise NotYet(f"order {event.order_id} is not known yet")
        if state.account_id != event.account_id:
            raise Rejected(f"order {event.order_id} belongs to another account")
        return  # an older picture of the order than the one we keep
    if event.status not in CLOSED_ORDER_STATUSES:
        return
    cancelled = []
    for payment in await uow.payments.of_order(event.order_id, for_update=True):
        if payment.status != "unpaid":
            continue
        payment.cancel()
        await uow.payments.save_settled(payment)
        cancelled.append(payment)
    await uow.outbox.add(*[
        p.cancelled(correlation_id=event.correlation_id, causation_id=event.event_id) for p in cancelled
    ])


async def find_order(uow: UnitOfWork, account_id: UUID, ref: UUID | int) -> UUID:
    """The order a CRM route names by its id or number; unknown to this school is OrderNotFound."""
    found = await uow.orders.id_of(account_id, ref)
    if found is None:
        raise OrderNotFound(f"no order {ref}")
    return found
