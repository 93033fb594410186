"""Editing a contact, on the in-memory unit of work: its active orders carry it again."""

import uuid
from dataclasses import replace

import pytest
from contracts import OrderUpdated
from orders.commands import ContactChanges
from orders.domain.actor import Actor
from orders.domain.order import Contact, InvalidOrder
from orders.domain.school import SchoolProfile
from orders.service import EmailTaken, NotFound, edit_contact


def actor_of(school) -> Actor:
    return Actor(school.account, "manager-1", uuid.uuid4())


async def test_an_edit_is_saved_and_each_active_order_announces_the_new_contact(uow, school, new_order):
    order = new_order()
    contact = order.contact
    uow.schools.profiles[school.account] = SchoolProfile(phone_region="UA")
    await edit_contact(uow, actor_of(school), contact.id,
                       ContactChanges(email="olena.k@example.com", phone="050 123 45 67"))
    saved = await uow.contacts.get(school.account, contact.id)
    assert (saved.email, saved.phone, saved.name) == ("olena.k@example.com", "+380501234567", "Olena")
    [updated] = uow.outbox.events
    assert isinstance(updated, OrderUpdated) and updated.changed == ["contact"]
    assert updated.contact.email == "olena.k@example.com" and updated.order_version == order.version + 1
    [(_, _, kind, details)] = uow.orders.history
    assert kind == "contact_updated"
    assert details["changes"] == {"email": {"before": "olena@example.com", "after": "olena.k@example.com"},
                                  "phone": {"before": None, "after": "+380501234567"}}


async def test_an_edit_that_changes_nothing_announces_nothing(uow, school, new_order):
    contact = new_order().contact
    await edit_contact(uow, actor_of(school), contact.id, ContactChanges(name="Olena", locale="uk"))
    assert not uow.outbox.events and uow.orders.saves == 0


async def test_an_email_of_another_contact_is_refused_naming_that_contact(uow, school, new_order):
    contact = new_order().contact
    other = Contact(uuid.uuid4(), "Taras", "taras@example.com")
    uow.contacts.known[other.id] = (school.account, other)
    with pytest.raises(EmailTaken) as taken:
        await edit_contact(uow, actor_of(school), contact.id, ContactChanges(email="Taras@example.com"))
    assert taken.value.contact_id == other.id
    assert await uow.contacts.get(school.account, contact.id) == contact and not uow.outbox.events


async def test_an_unknown_contact_or_an_emptied_name_is_refused(uow, school, new_order):
    contact = new_order().contact
    with pytest.raises(NotFound):
        await edit_contact(uow, actor_of(school), uuid.uuid4(), ContactChanges(name="X"))
    other_school = replace(school, account=uuid.uuid4())
    with pytest.raises(NotFound):
        await edit_contact(uow, actor_of(other_school), contact.id, ContactChanges(name="X"))
    with pytest.raises(InvalidOrder) as refused:
        await edit_contact(uow, actor_of(school), contact.id, ContactChanges.model_validate({"name": None}))
    assert refused.value.field == "name" and not uow.outbox.events
