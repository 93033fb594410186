"""Contacts on the in-memory unit of work: one per email in a school, never overwritten; an edit's
active orders carry it again."""

import uuid
from dataclasses import replace

import pytest
from contracts import OrderUpdated
from orders.entrypoints.bodies import ContactChanges, ContactFields
from orders.domain.actor import Actor
from orders.domain.order import Contact, InvalidOrder
from orders.domain.school import SchoolProfile
from orders.service import EmailTaken, NotFound, create_contact, edit_contact


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


async def test_a_new_contact_is_made_with_its_phone_read_in_the_schools_region(uow, school):
    uow.schools.profiles[school.account] = SchoolProfile(phone_region="UA")
    contact_id = await create_contact(uow, actor_of(school), ContactFields(
        name="Taras", email="Taras@example.com", phone="050 123 45 67", locale="uk"))
    assert await uow.contacts.get(school.account, contact_id) == Contact(
        contact_id, "Taras", "Taras@example.com", "+380501234567", "uk")
    assert not uow.outbox.events


async def test_a_new_contact_with_a_known_email_is_refused_naming_the_contact_and_changing_nothing(uow, school):
    known = Contact(uuid.uuid4(), "Taras", "taras@example.com")
    uow.contacts.known[known.id] = (school.account, known)
    with pytest.raises(EmailTaken) as taken:
        await create_contact(uow, actor_of(school), ContactFields(name="T.", email="TARAS@example.com",
                                                                  phone="+380501234567"))
    assert taken.value.contact_id == known.id and taken.value.facts == {"contact_id": str(known.id)}
    assert list(uow.contacts.known.values()) == [(school.account, known)] and not uow.contacts.filled


async def test_another_schools_contact_with_the_email_is_no_obstacle(uow, school):
    other = Contact(uuid.uuid4(), "Taras", "taras@example.com")
    uow.contacts.known[other.id] = (uuid.uuid4(), other)
    contact_id = await create_contact(uow, actor_of(school), ContactFields(name="Taras", email="taras@example.com"))
    assert contact_id != other.id and (await uow.contacts.get(school.account, contact_id)).name == "Taras"


async def test_a_phone_that_cannot_be_read_is_refused_before_anything_is_made(uow, school):
    with pytest.raises(InvalidOrder) as refused:
        await create_contact(uow, actor_of(school), ContactFields(name="Taras", email="t@example.com", phone="12"))
    assert refused.value.field == "phone" and not uow.contacts.known
