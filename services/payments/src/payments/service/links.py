"""Provider links: issued at once by an inline provider, otherwise wanted now and issued by the worker."""

import logging
from collections.abc import Mapping
from datetime import timedelta
from uuid import UUID

from contracts import Event, utcnow

from ..domain.payment import Link, LinkOrder, Payment, provider_for
from ..domain.providers import PaymentProvider
from ..domain.records import LinkRequest, OrderState
from ..domain.reports import AnswerKeptUnderKey, ProviderUnavailable
from .unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("payments.links")

# The registry: every provider this deployment knows, by name (built in main.py).
Providers = Mapping[str, PaymentProvider]

_NO_MARGIN = timedelta(0)

# What the worker emits once the link exists, per purpose of the request.
_REMINDER_REASON = {"reminder_manual": "manual", "reminder_scheduled": "scheduled"}


def _events_for(
    payment: Payment, *, purpose: str, send_email: bool, correlation_id: UUID, causation_id: UUID | None
) -> list[Event]:
    issued = payment.link_issued_now(
        send_email=send_email and purpose == "link", correlation_id=correlation_id, causation_id=causation_id,
    )
    if purpose == "link":
        return [issued]
    reminder = payment.reminder(
        reason=_REMINDER_REASON[purpose], correlation_id=correlation_id, causation_id=causation_id,
    )
    return [issued, reminder]


async def request_link(
    uow: UnitOfWork, payment: Payment, order: OrderState, providers: Providers, *, purpose: str,
    send_email: bool, correlation_id: UUID, causation_id: UUID | None = None, saved: bool = True,
) -> bool:
    """A fresh link is wanted for `payment` (already locked, or new when `saved` is False).

    An inline provider issues it here and the events go out with this transaction; any other
    provider is asked by the worker after commit, never inside an open transaction. True if
    the link was issued here.
    """
    provider = provider_for(providers, payment.provider)
    generation = payment.want_fresh_link()
    if provider.inline:
        link = await provider.create_link(LinkOrder(
            payment=payment, contact=order.contact, description=order.description, generation=generation,
            settings={}, locale=order.contact.locale,
        ))
        payment.attach_link(link)
    if saved:
        await uow.payments.save(payment)
    else:
        await uow.payments.add([payment])
    if provider.inline:
        await uow.outbox.add(*_events_for(
            payment, purpose=purpose, send_email=send_email, correlation_id=correlation_id, causation_id=causation_id,
        ))
        return True
    await uow.link_requests.want(
        payment, purpose=purpose, send_email=send_email, correlation_id=correlation_id,
        causation_id=causation_id,
    )
    return False


def backoff_seconds(attempts: int) -> float:
    return float(min(2 ** max(attempts - 1, 0), 600))


async def issue_pending_links(unit_of_work: UnitOfWorkFactory, providers: Providers, *, limit: int = 20) -> int:
    """Ask providers for the links that are wanted; returns how many requests were handled.

    Each request is leased in a short transaction, the provider is called with no transaction
    open, and the result is stored in a new one. A crash leaves the lease to run out, and the
    same generation means the same idempotency key at the provider, so nothing is made twice.
    """
    async with unit_of_work() as uow:
        leased = await uow.link_requests.lease(limit=limit, lease_seconds=60)
    for request in leased:
        await _issue(unit_of_work, providers, request)
    return len(leased)


async def _issue(unit_of_work: UnitOfWorkFactory, providers: Providers, request: LinkRequest) -> None:
    async with unit_of_work() as uow:
        payment = await uow.payments.get(request.payment_id)
        order = await uow.orders.get(payment.order_id) if payment else None
        settings = await uow.credentials.get(payment.account_id, payment.provider) if payment else None
    link: Link | None = None
    if payment is not None and order is not None and payment.takes_link \
            and payment.link_generation == request.generation and not payment.link_url:
        try:
            provider = provider_for(providers, payment.provider)
            if provider.settings_model is not None and settings is None:
                raise ProviderUnavailable(f"the school has no {payment.provider} credentials configured")
            link = await provider.create_link(LinkOrder(
                payment=payment, contact=order.contact, description=order.description,
                generation=request.generation, settings=settings or {}, locale=order.contact.locale,
            ))
        except Exception as exc:  # any provider trouble: keep the request and try again later
            delay = backoff_seconds(request.attempts)
            log.warning("link for payment %s not issued (attempt %d), retrying in %.0fs: %s",
                        request.payment_id, request.attempts, delay, exc)
            async with unit_of_work() as uow:
                await uow.link_requests.postpone(request, delay_seconds=delay, error=str(exc) or repr(exc))
                if isinstance(exc, AnswerKeptUnderKey):
                    await _next_generation(uow, request, error=str(exc))
            return
    async with unit_of_work() as uow:
        await complete_link(uow, request.payment_id, link)


async def _next_generation(uow: UnitOfWork, request: LinkRequest, *, error: str) -> None:
    """The provider keeps its failure under this generation's key: the retry becomes a new request."""
    payment = await uow.payments.get(request.payment_id, for_update=True)
    if payment is None or not payment.takes_link or payment.link_generation != request.generation \
            or payment.link_url:
        return  # a newer link is already wanted or issued; its own request carries on
    payment.want_fresh_link()
    payment.link_error = error[:1000]
    await uow.payments.save(payment)
    await uow.link_requests.move(payment.id, from_generation=request.generation,
                                  to_generation=payment.link_generation)
    log.info("payment %s: the provider keeps its failure under generation %d; retrying as generation %d",
             payment.id, request.generation, payment.link_generation)


async def complete_link(uow: UnitOfWork, payment_id: UUID, link: Link | None) -> None:
    """Store a link the provider issued and emit what each waiting request asked for."""
    payment = await uow.payments.get(payment_id, for_update=True)
    waiting = await uow.link_requests.pending(payment_id)
    if payment is None or not payment.takes_link:
        await uow.link_requests.drop(payment_id)
        return
    current = [r for r in waiting if r.generation == payment.link_generation]
    if link is not None and current and not payment.link_url:
        payment.attach_link(link)
        await uow.payments.save(payment)
    if not payment.link_usable(utcnow(), margin=_NO_MARGIN):
        return  # a newer generation is still wanted; its own request will finish it
    events: list[Event] = []
    for request in current:
        events += _events_for(
            payment, purpose=request.purpose, send_email=request.send_email,
            correlation_id=request.correlation_id, causation_id=request.causation_id,
        )
    await uow.outbox.add(*events)
    await uow.link_requests.drop(payment_id)
