"""The card's edit as a use case: load, edit, save, on the in-memory unit of work."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from contracts import AccessChanged, OrderUpdated
from orders.entrypoints.bodies import OrderChanges
from orders.domain.actor import Actor
from orders.domain.order import Contact, InvalidOrder, StaleVersion, Unchanged
from orders.service import NotFound
from orders.service.editing import edit_order


def actor_of(school) -> Actor:
    return Actor(school.account, "manager-1", uuid.uuid4())


async def test_an_edit_is_saved_recorded_and_announced_at_the_next_version(uow, school, new_order):
    order = new_order()
    changes = OrderChanges(tags=[" vip ", "vip", ""], comment="call back", version=1)
    await edit_order(uow, actor_of(school), order.id, 1, changes)
    saved = uow.orders.saved[order.id]
    assert (saved.version, saved.tags, saved.comment) == (2, ["vip"], "call back")
    [(_, actor, kind, details)] = uow.orders.history
    assert (actor, kind, details["version"]) == ("manager-1", "updated", 2)
    assert details["changes"] == {"tags": {"before": [], "after": ["vip"]},
                                  "comment": {"before": None, "after": "call back"}}
    [updated] = uow.outbox.events
    assert isinstance(updated, OrderUpdated)
    assert (updated.order_version, updated.changed) == (2, ["comment", "tags"])


async def test_a_stale_or_unknown_order_is_refused_before_anything_is_looked_at(uow, school, new_order):
    order = new_order(version=3)
    with pytest.raises(StaleVersion) as stale:
        await edit_order(uow, actor_of(school), order.id, 2, OrderChanges(contact_id=uuid.uuid4()))
    assert stale.value.current == 3
    with pytest.raises(NotFound):
        await edit_order(uow, actor_of(school), uuid.uuid4(), 1, OrderChanges(comment="x"))
    assert uow.orders.saves == 0 and not uow.outbox.events


async def test_an_edit_that_changes_nothing_writes_nothing(uow, school, new_order):
    order = new_order(comment="same")
    with pytest.raises(Unchanged):
        await edit_order(uow, actor_of(school), order.id, 1, OrderChanges(comment="same", tags=["  "]))
    assert uow.orders.saves == 0 and uow.orders.saved[order.id].version == 1


async def test_a_discount_down_to_what_was_paid_is_a_full_payment(uow, school, new_order):
    order = new_order(paid=Decimal("800.00"), payment_status="partially_paid")
    await edit_order(uow, actor_of(school), order.id, 1, OrderChanges(discount={"kind": "percent", "value": "20"}))
    saved = uow.orders.saved[order.id]
    assert (saved.discount, saved.discount_percent, saved.total) == (Decimal("200.00"), Decimal("20"), Decimal("800.00"))
    assert saved.payment_status == "paid" and saved.paid_at is not None
    assert saved.stage_id == school.stages[2]  # the pipeline's on_full_payment stage
    [updated] = uow.outbox.of(OrderUpdated)
    assert updated.changed == ["discount", "discount_percent", "paid_at", "payment_status", "stage_id", "total"]


async def test_cancelling_moves_to_the_cancel_stage_and_revokes_access(uow, school, new_order):
    order = new_order(paid=Decimal("1000.00"), payment_status="paid",
                      first_paid_at=datetime.now(UTC) - timedelta(days=1))
    await edit_order(uow, actor_of(school), order.id, 1, OrderChanges(status="cancelled"))
    saved = uow.orders.saved[order.id]
    assert (saved.state, saved.stage_id) == ("cancelled", school.stages[3]) and saved.closed_at is not None
    revoked = uow.outbox.of(AccessChanged)
    assert [(e.status, e.reason) for e in revoked] == [("revoked", "cancelled")] * 2
    [(_, _, kind, details)] = uow.orders.history
    assert kind == "updated" and "closed_at" not in details["changes"]


async def test_reopening_starts_the_funnel_again(uow, school, new_order):
    order = new_order(state="cancelled", stage_id=school.stages[3])
    await edit_order(uow, actor_of(school), order.id, 1, OrderChanges(status="active"))
    saved = uow.orders.saved[order.id]
    assert (saved.state, saved.stage_id) == ("active", school.stages[0]) and saved.reopened_at is not None
    assert uow.orders.history[0][2] == "reopened"


async def test_another_contact_of_the_school_is_announced_with_the_order(uow, school, new_order):
    order = new_order()
    other = Contact(uuid.uuid4(), "Taras", "taras@example.com")
    uow.contacts.known[other.id] = (school.account, other)
    await edit_order(uow, actor_of(school), order.id, 1, OrderChanges(contact_id=other.id))
    [updated] = uow.outbox.events
    assert (updated.contact_id, updated.contact.name, updated.changed) == (other.id, "Taras", ["contact"])
    elsewhere = Contact(uuid.uuid4(), "Someone", "someone@example.com")
    uow.contacts.known[elsewhere.id] = (uuid.uuid4(), elsewhere)
    with pytest.raises(InvalidOrder) as refused:
        await edit_order(uow, actor_of(school), order.id, 2, OrderChanges(contact_id=elsewhere.id))
    assert refused.value.field == "contact_id"


async def test_placement_is_checked_where_it_always_was(uow, school, new_order):
    order = new_order()
    foreign_stage = uuid.uuid4()
    with pytest.raises(InvalidOrder) as refused:
        await edit_order(uow, actor_of(school), order.id, 1, OrderChanges(stage_id=foreign_stage))
    assert refused.value.field == "stage_id"
    # A bad discount in the same request is named first, as the edit's rules come to it first.
    with pytest.raises(InvalidOrder) as refused:
        await edit_order(uow, actor_of(school), order.id, 1,
                         OrderChanges(stage_id=foreign_stage, discount=Decimal("5000")))
    assert refused.value.field == "discount"
    await edit_order(uow, actor_of(school), order.id, 1, OrderChanges(stage_id=school.stages[1]))
    assert uow.orders.saved[order.id].stage_id == school.stages[1]
