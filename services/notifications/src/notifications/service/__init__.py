"""Use cases of the notifications service: one per message or command, plus the sender's bookkeeping.

Consumers only record what to send (rendered, in their transaction); the sender worker
talks to the mail server. So a redelivered event never sends twice, and a slow or broken
mail server never holds up a topic. What became of each email is published
(NotificationSent / NotificationFailed) in the transaction that records it.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

from contracts import (
    AccessChanged, Event, NotificationFailed, NotificationSent, OrderCreated, OrderUpdated, PaymentLinkIssued,
    PaymentSucceeded, ReminderRequested, SchoolUpdated,
)
from pydantic import ValidationError
from servicekit.errors import NotYet, Rejected
from servicekit.idempotency import Idempotent

from ..domain import letters
from ..domain.delivery import (
    ASKS_TO_PAY, UNCONFIRMED, Logged, Outgoing, RetryPolicy, after_failure, cancel_reason, check_resend,
)
from ..domain.letters import Letter, LetterRefused, Override, Overrides, TemplateName
from ..domain.recipient import AccessState, OrderRecipient, PaymentLink, School, changed_by
from ..rendering import Rendered, check_override, render, sample_letters
from .unit_of_work import UnitOfWork

log = logging.getLogger("notifications.service")

E = TypeVar("E", PaymentLinkIssued, PaymentSucceeded, ReminderRequested, OrderCreated)


async def on_order_created(uow: UnitOfWork, event: OrderCreated) -> None:
    order = OrderRecipient.from_event(event)
    if event.send_confirmation and not event.emails_a_link():
        # Confirmed at once: the order saved, and its school and wordings read, in one step.
        school, overrides = await uow.recipients.add_for_email(order, ("order_confirmation",))
        await _record(uow, _compose(letters.order_confirmation, order.at_school(school), event), overrides=overrides)
        return
    await uow.recipients.add(order)
    if event.send_confirmation:
        # The link email is on its way: the confirmation waits for it and becomes that email.
        await uow.confirmations.hold(event)


async def on_order_updated(uow: UnitOfWork, event: OrderUpdated) -> None:
    status = await uow.recipients.update(event.order_id, event.account_id, changed_by(event))
    if status is None:
        # Not applied: why is worth a second look only then.
        order = await uow.recipients.get(event.order_id)
        if order is None:
            raise NotYet(f"order {event.order_id} is not known here yet")
        if order.account_id != event.account_id:
            raise Rejected(f"order {event.order_id} belongs to another account")
        return  # an older version arriving late: the order is already further along
    reason = cancel_reason(status)
    if reason is not None:
        # Receipts and access emails still tell the truth about a closed order; asking to pay does not.
        cancelled = await uow.deliveries.cancel_unsent(event.account_id, event.order_id, ASKS_TO_PAY, reason)
        if cancelled:
            log.info("order %s is %s: %d unsent email(s) cancelled", event.order_id, status, cancelled)


async def on_school_updated(uow: UnitOfWork, event: SchoolUpdated) -> None:
    school = School(event.account_id, event.name, event.default_locale, event.time_zone,
                    str(event.reply_to) if event.reply_to else None)
    await uow.schools.save(school, event.occurred_at)


async def on_payment_link_issued(uow: UnitOfWork, event: PaymentLinkIssued) -> None:
    link = _link_of(event)
    if not event.send_email:
        if link is not None:
            await uow.payment_links.save(link)
        return  # before looking the order up: no email means nothing to wait for
    # The order held (as _order_of's `hold`), the confirmation that waited for this link taken, and
    # the link kept, in one step.
    found = await uow.recipients.take_for_email(event.order_id, ("payment_link", "order_confirmation"), link=link)
    if found is None:
        raise NotYet(f"order {event.order_id} is not known here yet")
    order, overrides, held = found
    if held is not None:
        letter = _compose(lambda o, e: letters.order_confirmation(o, held, link=e), order, event)
    else:
        letter = _compose(letters.payment_link, order, event)
    await _record(uow, letter, cancel_reason(order.status), overrides=overrides)


async def on_payment_succeeded(uow: UnitOfWork, event: PaymentSucceeded) -> None:
    # Who marked it paid by hand stays in the CRM: the receipt is the contact's, whoever recorded it.
    order, overrides = await _order_of(uow, event.order_id, ("receipt",))
    await _record(uow, _compose(letters.receipt, order, event), overrides=overrides)


async def on_reminder_requested(uow: UnitOfWork, event: ReminderRequested) -> None:
    order, overrides = await _order_of(uow, event.order_id, ("reminder",), hold=True, link=_link_of(event))
    await _record(uow, _compose(letters.reminder, order, event), cancel_reason(order.status), overrides=overrides)


def _link_of(event: PaymentLinkIssued | ReminderRequested) -> PaymentLink | None:
    """The link to keep whether or not this event sends an email: a later notice about the payment may offer it."""
    if not letters.is_web_address(event.url):
        return None
    return PaymentLink(event.account_id, event.order_id, event.payment_id, event.url, event.occurred_at)


async def on_access_changed(uow: UnitOfWork, event: AccessChanged) -> None:
    # The line's state stored unless a newer change is known (undone with the rest if the letter is
    # refused below), and the overdue payment's link, read with the order.
    found = await uow.recipients.for_access_change(
        event.order_id, event.account_id, ("access_opened", "access_suspended"), event.line_id,
        AccessState(event.status, event.occurred_at),
        overdue_payment_id=event.overdue_payment_id if event.status == "suspended" else None,
    )
    if found is None:
        raise NotYet(f"order {event.order_id} is not known here yet")
    order, overrides, known, link = found
    if known is not None and known.occurred_at > event.occurred_at:
        return  # an older change arriving late: the contact already heard of a newer one
    try:
        letter = letters.access_change(order, event, previous=known.status if known else None, link=link)
    except LetterRefused as exc:
        raise Rejected(str(exc)) from exc
    await _record(uow, letter, overrides=overrides)


async def _order_of(
    uow: UnitOfWork, order_id: UUID, templates: tuple[TemplateName, ...], *, hold: bool = False,
    link: PaymentLink | None = None,
) -> tuple[OrderRecipient, Overrides]:
    """The order as its school is now, and the school's own wording of these templates (one query,
    which also keeps `link`)."""
    found = await uow.recipients.for_email(order_id, templates, hold=hold, link=link)
    if found is None:
        # Topics are not ordered with each other: OrderCreated may still be on its way.
        raise NotYet(f"order {order_id} is not known here yet")
    return found


def _compose(build: Callable[[OrderRecipient, E], Letter | None], order: OrderRecipient, event: E) -> Letter | None:
    try:
        return build(order, event)
    except LetterRefused as exc:
        raise Rejected(str(exc)) from exc


async def _record(uow: UnitOfWork, letter: Letter | None, cancelled: str | None = None, *,
                  overrides: Overrides | None = None) -> None:
    """Record the email; with a reason it is recorded as cancelled, so the log shows what was not sent and why.
    `overrides`: the school's wordings read with the order, else looked up here."""
    if letter is None:
        return
    if overrides is None:
        override = await uow.wordings.get(letter.account_id, letter.template, letter.locale)
    else:
        override = overrides.get((letter.template, letter.locale))
    # A pending delivery wakes the sender when this transaction commits (the table's trigger).
    await uow.deliveries.add(letter, render(letter, override), cancel_reason=cancelled)


async def claim_due(
    uow: UnitOfWork, limit: int, lease: timedelta, *, retry_unconfirmed: bool = False
) -> list[Outgoing]:
    return await uow.deliveries.claim_due(limit, lease, retry_unconfirmed=retry_unconfirmed)


async def renew_leases(uow: UnitOfWork, held: list[tuple[UUID, int]], lease: timedelta) -> int:
    return await uow.deliveries.renew_leases(held, lease)


async def hand_over(uow: UnitOfWork, tries: list[Outgoing], lease: timedelta) -> set[UUID]:
    """The ids of the tries that may hand their message over; once this commits, no other try
    sends them blindly again."""
    return await uow.deliveries.hand_over(tries, lease)


async def withdraw_handover(uow: UnitOfWork, tries: list[Outgoing]) -> None:
    await uow.deliveries.withdraw_handover(tries)


async def record_sent(uow: UnitOfWork, *deliveries: Outgoing) -> None:
    """These tries' messages were taken by the server: marked sent, and NotificationSent for each
    that was still its try's to decide; two statements however many there are."""
    rows = await uow.deliveries.mark_sent_many(deliveries)
    await uow.outbox.add(*(event for row in rows if (event := _sent_event(row)) is not None))


async def record_unconfirmed(
    uow: UnitOfWork, delivery: Outgoing, error: str, *, retry: bool, policy: RetryPolicy
) -> None:
    """The try handed its message over and saw no answer (the connection broke, or timed out)."""
    # Another try is safe only where the server drops a repeat (`retry`), and never for a delivery
    # cancelled meanwhile: that one is logged as sent, since it may well have gone out.
    row = await uow.deliveries.mark_sent(delivery, unconfirmed=UNCONFIRMED, cancelled_only=retry)
    if row is None and retry:
        await record_failure(uow, delivery, error, permanent=False, policy=policy)
        return
    if row is not None:
        await _published_sent(uow, row)


async def settle_unconfirmed(uow: UnitOfWork, limit: int, *, retry: bool) -> int:
    """Decide the deliveries whose sender died after handing them over; how many.

    Cancelled ones (the order closed meanwhile) are never sent again; the others only when the
    server drops repeats (`retry`), and then by the next claim, not here.
    """
    rows = await uow.deliveries.settle_unconfirmed(limit, UNCONFIRMED, pending_too=not retry)
    await _published_settled(uow, rows)
    return len(rows)


async def settle_and_claim(
    uow: UnitOfWork, limit: int, lease: timedelta, *, retry_unconfirmed: bool = False
) -> list[Outgoing]:
    """A sender's pass begins here: settle_unconfirmed, then claim_due, in one statement (and one
    more for the settled ones' NotificationSent, when there are any)."""
    settled, claimed = await uow.deliveries.settle_and_claim(
        limit, lease, UNCONFIRMED, retry_unconfirmed=retry_unconfirmed
    )
    await _published_settled(uow, settled)
    return claimed


async def _published_settled(uow: UnitOfWork, rows: list[Any]) -> None:
    for row in rows:
        log.warning("delivery %s was handed over by a sender that stopped before the answer: "
                    "counted as sent, not sent again", row.id)
    # All of their NotificationSent in one insert, as record_sent's.
    await uow.outbox.add(*(event for row in rows if (event := _sent_event(row)) is not None))


async def _published_sent(uow: UnitOfWork, row: Any) -> None:
    await _publish(uow, row, lambda: _sent(row))


def _sent(row: Any) -> NotificationSent:
    return NotificationSent(
        **_envelope(row), delivery_id=row.id, order_id=row.order_id, template=row.template,
        recipient=row.recipient, locale=row.locale, subject=row.subject, attempts=row.attempts, sent_at=row.sent_at,
    )


def _sent_event(row: Any) -> NotificationSent | None:
    try:
        return _sent(row)
    except ValidationError:  # as _publish: the email's fate is recorded either way
        log.exception("delivery %s: its outcome could not be published", row.id)
        return None


async def record_failure(
    uow: UnitOfWork, delivery: Outgoing, error: str, *, permanent: bool, policy: RetryPolicy
) -> None:
    step = after_failure(delivery.attempts, permanent=permanent, policy=policy)
    row = await uow.deliveries.mark_failed_try(
        delivery, error=error, status=step.status, retry_in=step.retry_in, refused=step.refused
    )
    if row is None or row.status != "failed":
        return
    await _publish(uow, row, lambda: NotificationFailed(
        **_envelope(row), delivery_id=row.id, order_id=row.order_id, template=row.template,
        recipient=row.recipient, attempts=row.attempts, error=error[:1000], failed_at=row.now,
    ))


async def _publish(uow: UnitOfWork, row: Any, build: Callable[[], Event]) -> None:
    try:
        event = build()
    except ValidationError:
        # The email's fate is recorded either way: a row that could not become an event must not
        # keep the delivery pending and so get it sent again.
        log.exception("delivery %s: its outcome could not be published", row.id)
        return
    await uow.outbox.add(event)


def _envelope(row: Any) -> dict[str, Any]:
    return {
        "account_id": row.account_id,
        "correlation_id": row.correlation_id or uuid4(),
        "causation_id": row.event_id,
    }


async def resend(
    uow: UnitOfWork, account_id: UUID, delivery_id: UUID, correlation_id: UUID,
    *, idempotency: Idempotent | None = None, to_refused_address: bool = False,
) -> UUID | None:
    """The same rendered message again, as a new delivery; None if there is no such delivery here.
    A repeat under the same Idempotency-Key gets the delivery the first request made.

    Raises NotResendable when it may not go again (still pending, cancelled, or refused for good
    without `to_refused_address`).
    """
    if (earlier := await uow.idempotency.made_before(str(account_id), idempotency)) is not None:
        return earlier
    original = await uow.deliveries.get(account_id, delivery_id)
    if original is None:
        return None
    check_resend(Logged(original.status, original.recipient, original.cancel_reason, original.refused,
                        original.last_error), to_refused_address=to_refused_address)
    new_id = await uow.deliveries.add_resend(original, correlation_id)
    await uow.idempotency.remember(str(account_id), idempotency, new_id)
    return new_id


async def save_override(
    uow: UnitOfWork, account_id: UUID, template: TemplateName, locale: str, override: Override
) -> list[dict[str, str]]:
    """Store a school's wording if it renders; otherwise what is wrong with it, and nothing stored."""
    errors = check_override(template, locale, override)
    if not errors:
        await uow.wordings.put(account_id, template, locale, override)
    return errors


def preview_override(template: TemplateName, locale: str, override: Override) -> Rendered | list[dict[str, str]]:
    """A school's wording as it would read, on the same sample letter the template's view shows,
    without storing it; or what is wrong with it, as a save would say."""
    errors = check_override(template, locale, override)
    return errors or render(sample_letters(template, locale)[0], override)


async def remove_override(uow: UnitOfWork, account_id: UUID, template: TemplateName, locale: str) -> bool:
    return await uow.wordings.delete(account_id, template, locale)
