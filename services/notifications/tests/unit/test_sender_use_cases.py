"""The sender's bookkeeping on an in-memory unit of work: claims, handovers, and what each outcome publishes."""

from datetime import timedelta

from contracts import NotificationFailed, NotificationSent
from notifications import service
from notifications.domain.delivery import UNCONFIRMED, RetryPolicy

LEASE = timedelta(seconds=15)


async def test_a_claim_counts_the_try_and_leases_the_delivery(uow):
    due = uow.deliveries.put()
    later = uow.deliveries.put(next_attempt_at=uow.clock.now + timedelta(minutes=1))
    uow.deliveries.put(status="sent")
    [claimed] = await service.claim_due(uow, 10, LEASE)
    assert (claimed.id, claimed.attempts, claimed.recipient) == (due.id, 1, due.recipient)
    assert due.next_attempt_at == uow.clock.now + LEASE
    assert await service.claim_due(uow, 10, LEASE) == []  # leased: nobody else takes it meanwhile
    uow.clock.pass_(60)
    assert {d.id for d in await service.claim_due(uow, 10, LEASE)} == {due.id, later.id}
    assert due.attempts == 2


async def test_the_server_taking_the_messages_marks_them_sent_and_publishes_each_once(uow):
    rows = [uow.deliveries.put() for _ in range(3)]
    tries = await service.claim_due(uow, 10, LEASE)
    assert await service.hand_over(uow, tries, LEASE) == {r.id for r in rows}
    await service.record_sent(uow, *tries)
    assert {r.status for r in rows} == {"sent"} and all(r.sent_at == uow.clock.now for r in rows)
    sent = uow.outbox.of(NotificationSent)
    assert {e.delivery_id for e in sent} == {r.id for r in rows}
    assert {e.causation_id for e in sent} == {r.event_id for r in rows}  # caused by the event that asked for it
    # The same marks again (a retried commit) decide nothing and publish nothing more.
    await service.record_sent(uow, *tries)
    assert len(uow.outbox.events) == 3


async def test_a_stale_try_decides_nothing(uow):
    row = uow.deliveries.put()
    [stale] = await service.claim_due(uow, 10, timedelta(0))
    [current] = await service.claim_due(uow, 10, LEASE)  # its lease ran out: taken again
    assert await service.hand_over(uow, [stale], LEASE) == set()
    await service.record_failure(uow, stale, "550 no such mailbox", permanent=True, policy=RetryPolicy())
    assert (row.status, row.last_error) == ("pending", None)
    await service.record_sent(uow, stale)
    assert row.status == "pending" and uow.outbox.events == []
    assert await service.renew_leases(uow, [(stale.id, stale.attempts)], LEASE) == 0
    assert await service.renew_leases(uow, [(current.id, current.attempts)], LEASE) == 1


async def test_a_cancelled_delivery_is_not_handed_over_but_one_handed_over_first_is_logged_as_sent(uow):
    cancelled, handed = uow.deliveries.put(), uow.deliveries.put()
    tries = {t.id: t for t in await service.claim_due(uow, 10, LEASE)}
    assert await service.hand_over(uow, [tries[handed.id]], LEASE) == {handed.id}
    for row in (cancelled, handed):
        row.status, row.cancel_reason = "cancelled", "order_cancelled"
    assert await service.hand_over(uow, [tries[cancelled.id]], LEASE) == set()
    await service.record_sent(uow, tries[handed.id])
    assert (handed.status, handed.cancel_reason) == ("sent", None)
    assert [e.delivery_id for e in uow.outbox.of(NotificationSent)] == [handed.id]
    assert cancelled.status == "cancelled"


async def test_failures_are_retried_then_published_once_when_final(uow):
    row = uow.deliveries.put()
    policy = RetryPolicy(first=5, cap=60, max_attempts=2)
    [first] = await service.claim_due(uow, 10, LEASE)
    await service.record_failure(uow, first, "451 try later", permanent=False, policy=policy)
    assert (row.status, row.last_error, row.next_attempt_at) == ("pending", "451 try later", uow.clock.now +
                                                                 timedelta(seconds=5))
    assert uow.outbox.events == []  # a retry is not news
    uow.clock.pass_(5)
    [second] = await service.claim_due(uow, 10, LEASE)
    await service.record_failure(uow, second, "451 still later", permanent=False, policy=policy)
    assert (row.status, row.refused) == ("failed", False)
    [failed] = uow.outbox.of(NotificationFailed)
    assert (failed.delivery_id, failed.attempts, failed.error, failed.failed_at) == (
        row.id, 2, "451 still later", uow.clock.now)


async def test_a_refusal_for_good_fails_the_delivery_and_marks_the_address_refused(uow):
    row = uow.deliveries.put()
    [taken] = await service.claim_due(uow, 10, LEASE)
    await service.record_failure(uow, taken, "550 5.1.1 no such mailbox", permanent=True, policy=RetryPolicy())
    assert (row.status, row.refused) == ("failed", True)
    assert len(uow.outbox.of(NotificationFailed)) == 1


async def test_a_failed_try_of_a_cancelled_delivery_is_not_retried_nor_published(uow):
    row = uow.deliveries.put()
    [taken] = await service.claim_due(uow, 10, LEASE)
    await service.hand_over(uow, [taken], LEASE)
    row.status, row.cancel_reason = "cancelled", "order_expired"
    await service.record_failure(uow, taken, "451 try later", permanent=False, policy=RetryPolicy(first=0))
    assert (row.status, row.cancel_reason, row.handed_over_at) == ("cancelled", "order_expired", None)
    assert uow.outbox.events == []
    uow.clock.pass_(60)
    assert await service.claim_due(uow, 10, LEASE) == []


async def test_an_unanswered_handover_is_counted_sent_unless_the_server_drops_repeats(uow):
    row = uow.deliveries.put()
    [taken] = await service.claim_due(uow, 10, LEASE)
    await service.hand_over(uow, [taken], LEASE)
    handed_at = row.handed_over_at
    uow.clock.pass_(1)
    await service.record_unconfirmed(uow, taken, "timed out", retry=False, policy=RetryPolicy())
    assert (row.status, row.last_error, row.sent_at) == ("sent", UNCONFIRMED, handed_at)
    assert [e.delivery_id for e in uow.outbox.of(NotificationSent)] == [row.id]

    again = uow.deliveries.put()
    [taken] = await service.claim_due(uow, 10, LEASE)
    await service.hand_over(uow, [taken], LEASE)
    await service.record_unconfirmed(uow, taken, "timed out", retry=True, policy=RetryPolicy(first=0))
    assert (again.status, again.last_error, again.handed_over_at) == ("pending", "timed out", None)
    assert len(uow.outbox.events) == 1


async def test_handovers_of_a_sender_that_died_are_settled_as_sent_once_their_lease_is_over(uow):
    pending, cancelled = uow.deliveries.put(), uow.deliveries.put()
    tries = await service.claim_due(uow, 10, LEASE)
    await service.hand_over(uow, tries, LEASE)
    cancelled.status = "cancelled"
    assert await service.settle_unconfirmed(uow, 10, retry=False) == 0  # still leased: its sender may be alive
    uow.clock.pass_(LEASE.total_seconds())
    # With a server that drops repeats, the pending one is tried again by the next claim instead.
    assert await service.settle_unconfirmed(uow, 10, retry=True) == 1
    assert (cancelled.status, pending.status) == ("sent", "pending")
    assert await service.settle_unconfirmed(uow, 10, retry=False) == 1
    assert pending.status == "sent" and pending.last_error == UNCONFIRMED
    assert {e.delivery_id for e in uow.outbox.of(NotificationSent)} == {pending.id, cancelled.id}


async def test_a_handover_not_ended_is_withdrawn_and_the_delivery_claimed_again(uow):
    row = uow.deliveries.put()
    [taken] = await service.claim_due(uow, 10, LEASE)
    await service.hand_over(uow, [taken], LEASE)
    await service.withdraw_handover(uow, [taken])
    assert row.handed_over_at is None
    uow.clock.pass_(LEASE.total_seconds())
    assert [t.attempts for t in await service.claim_due(uow, 10, LEASE)] == [2]


async def test_an_outcome_that_cannot_become_an_event_is_still_recorded(uow):
    row = uow.deliveries.put(template="no_such_template")
    [taken] = await service.claim_due(uow, 10, LEASE)
    await service.record_sent(uow, taken)
    assert row.status == "sent" and uow.outbox.events == []


async def test_a_pass_settles_a_dead_senders_handovers_and_claims_the_due_ones_together(uow):
    orphan = uow.deliveries.put()
    [taken] = await service.claim_due(uow, 10, LEASE)
    await service.hand_over(uow, [taken], LEASE)
    due = uow.deliveries.put()
    uow.clock.pass_(LEASE.total_seconds())
    claimed = await service.settle_and_claim(uow, 10, LEASE)
    assert [t.id for t in claimed] == [due.id]
    assert (orphan.status, orphan.last_error) == ("sent", UNCONFIRMED)
    assert [e.delivery_id for e in uow.outbox.of(NotificationSent)] == [orphan.id]
