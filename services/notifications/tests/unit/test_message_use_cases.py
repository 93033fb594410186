"""The consumers' use cases on an in-memory unit of work: which email each event records, and when none."""

from datetime import timedelta
from decimal import Decimal

import pytest
from notifications import service
from notifications.domain.letters import Override
from servicekit.errors import NotYet, Rejected


async def test_an_order_is_remembered_and_a_link_records_its_email(uow, events):
    order = events.an_order_created()
    await service.on_order_created(uow, order)
    assert uow.deliveries.rows == {}  # an order alone sends nothing
    link = events.a_link(order)
    await service.on_payment_link_issued(uow, link)
    [email] = uow.deliveries.of(order.order_id)
    assert (email.template, email.recipient, email.status, email.locale) == (
        "payment_link", "olena@example.com", "pending", "uk")
    assert (email.event_id, email.correlation_id) == (link.event_id, order.correlation_id)
    assert "https://pay.example/p/1" in email.text_body
    assert order.order_id in uow.recipients.held  # read shared-locked: a close waits for it
    assert uow.payment_links.saved[link.payment_id][2] == "https://pay.example/p/1"
    assert uow.outbox.events == []  # nothing is published until the email's fate is known


async def test_the_same_event_again_records_one_email(uow, events):
    order = events.an_order_created()
    await service.on_order_created(uow, order)
    link = events.a_link(order)
    await service.on_payment_link_issued(uow, link)
    await service.on_payment_link_issued(uow, link)
    assert len(uow.deliveries.of(order.order_id)) == 1


async def test_an_email_for_an_order_not_heard_of_yet_waits(uow, events):
    order = events.an_order_created()
    for use_case, event in [(service.on_payment_link_issued, events.a_link(order)),
                            (service.on_payment_succeeded, events.a_payment(order)),
                            (service.on_reminder_requested, events.a_reminder(order)),
                            (service.on_access_changed, events.an_access(order, "open"))]:
        with pytest.raises(NotYet):
            await use_case(uow, event)
    assert uow.deliveries.rows == {}


async def test_a_link_without_an_email_is_remembered_even_for_an_order_not_heard_of(uow, events):
    order = events.an_order_created()
    link = events.a_link(order, send_email=False)
    await service.on_payment_link_issued(uow, link)
    assert uow.payment_links.saved[link.payment_id][2] == link.url
    assert uow.deliveries.rows == {}
    # A link that is not a web address is never kept to be offered.
    odd = events.a_link(order, send_email=False, url="javascript:alert(1)")
    await service.on_payment_link_issued(uow, odd)
    assert odd.payment_id not in uow.payment_links.saved


async def test_receipt_and_reminder(uow, events):
    order = events.an_order_created()
    await service.on_order_created(uow, order)
    await service.on_payment_succeeded(uow, events.a_payment(order, marked_by="manager@school.example"))
    await service.on_reminder_requested(uow, events.a_reminder(order))
    emails = {e.template: e for e in uow.deliveries.of(order.order_id)}
    assert set(emails) == {"receipt", "reminder"}
    assert "manager@school.example" not in emails["receipt"].text_body + emails["receipt"].html_body
    assert all(e.status == "pending" for e in emails.values())


async def test_an_event_that_contradicts_the_order_is_rejected(uow, events):
    order = events.an_order_created()
    await service.on_order_created(uow, order)
    with pytest.raises(Rejected):
        await service.on_payment_succeeded(uow, events.a_payment(order, currency="EUR"))
    assert uow.deliveries.rows == {}


async def test_the_school_named_now_signs_the_email_and_its_wording_is_used(uow, events):
    order = events.an_order_created()
    await service.on_order_created(uow, order)
    await service.on_school_updated(uow, events.a_school(order.account_id, "Lviv Data School"))
    # An older profile arriving late changes nothing.
    old = events.a_school(order.account_id, "Old name", at=events.when - timedelta(days=1))
    await service.on_school_updated(uow, old)
    uow.wordings.saved[(order.account_id, "receipt", "uk")] = Override(
        subject="Дякуємо, {{ contact_name }}", html="<p>{{ school_name }}</p>", text="{{ school_name }}")
    await service.on_payment_succeeded(uow, events.a_payment(order))
    [email] = uow.deliveries.of(order.order_id)
    assert (email.sender_name, email.subject, email.text_body.strip()) == (
        "Lviv Data School", "Дякуємо, Olena", "Lviv Data School")


async def test_a_manual_order_with_nothing_to_pay_by_link_is_confirmed_at_once(uow, events):
    order = events.a_manual_order(paid_by_link=False)
    await service.on_order_created(uow, order)
    [email] = uow.deliveries.of(order.order_id)
    assert email.template == "order_confirmation" and email.event_id == order.event_id
    assert uow.confirmations.held == {}
    # Without asking for it, no confirmation.
    plain = events.an_order_created()
    await service.on_order_created(uow, plain)
    assert uow.deliveries.of(plain.order_id) == []


async def test_a_confirmation_waits_for_its_link_and_becomes_that_email(uow, events):
    order = events.a_manual_order(paid_by_link=True)
    await service.on_order_created(uow, order)
    assert uow.deliveries.rows == {} and order.order_id in uow.confirmations.held
    await service.on_payment_link_issued(uow, events.a_link(order))
    [email] = uow.deliveries.of(order.order_id)
    assert email.template == "order_confirmation" and "https://pay.example/p/1" in email.text_body
    assert uow.confirmations.held == {}  # taken: the next link is a link email
    await service.on_payment_link_issued(uow, events.a_link(order, url="https://pay.example/p/next"))
    assert sorted(e.template for e in uow.deliveries.of(order.order_id)) == ["order_confirmation", "payment_link"]


async def test_an_order_closing_cancels_its_unsent_emails_asking_to_pay(uow, events):
    order = events.an_order_created()
    await service.on_order_created(uow, order)
    await service.on_payment_link_issued(uow, events.a_link(order))
    await service.on_reminder_requested(uow, events.a_reminder(order))
    await service.on_payment_succeeded(uow, events.a_payment(order))
    await service.on_order_updated(uow, events.an_update(order, 2, "cancelled"))
    log = {e.template: (e.status, e.cancel_reason) for e in uow.deliveries.of(order.order_id)}
    assert log == {"payment_link": ("cancelled", "order_cancelled"), "reminder": ("cancelled", "order_cancelled"),
                   "receipt": ("pending", None)}
    # While it is closed, a link is recorded as cancelled: the log shows what was not sent.
    await service.on_payment_link_issued(uow, events.a_link(order, url="https://pay.example/p/late"))
    late = [e for e in uow.deliveries.of(order.order_id) if "p/late" in e.text_body]
    assert [(e.status, e.cancel_reason) for e in late] == [("cancelled", "order_cancelled")]
    # An older version arriving late does not reopen it; a newer active one does.
    await service.on_order_updated(uow, events.an_update(order, 1, "active"))
    assert uow.recipients.saved[order.order_id].status == "cancelled"
    await service.on_order_updated(uow, events.an_update(order, 3, "active"))
    await service.on_payment_link_issued(uow, events.a_link(order, url="https://pay.example/p/again"))
    again = [e for e in uow.deliveries.of(order.order_id) if "p/again" in e.text_body]
    assert [e.status for e in again] == ["pending"]


async def test_an_update_of_an_order_not_here_waits_and_one_of_another_account_is_rejected(uow, events):
    order = events.an_order_created()
    with pytest.raises(NotYet):
        await service.on_order_updated(uow, events.an_update(order, 1))
    await service.on_order_created(uow, order)
    stranger = events.an_update(order, 2).model_copy(update={"account_id": events.an_order_created().account_id})
    with pytest.raises(Rejected):
        await service.on_order_updated(uow, stranger)
    assert uow.recipients.saved[order.order_id].order_version == 0


async def test_access_emails_go_out_on_a_change_only(uow, events):
    order = events.an_order_created()
    await service.on_order_created(uow, order)
    await service.on_access_changed(uow, events.an_access(order, "open"))
    # New dates on an already open line send nothing; an older change arriving late neither.
    await service.on_access_changed(uow, events.an_access(order, "open", at=events.when + timedelta(hours=1),
                                                          ends_at=events.when + timedelta(days=120)))
    await service.on_access_changed(uow, events.an_access(order, "suspended", at=events.when - timedelta(hours=1)))
    assert [e.template for e in uow.deliveries.of(order.order_id)] == ["access_opened"]
    await service.on_access_changed(uow, events.an_access(order, "suspended", at=events.when + timedelta(hours=2)))
    assert sorted(e.template for e in uow.deliveries.of(order.order_id)) == ["access_opened", "access_suspended"]


async def test_a_suspension_for_an_overdue_payment_offers_its_known_link(uow, events):
    order = events.an_order_created(contact=events.an_order_created().contact.model_copy(update={"locale": "en"}))
    await service.on_order_created(uow, order)
    link = events.a_link(order, send_email=False, url="https://pay.example/p/overdue")
    await service.on_payment_link_issued(uow, link)
    await service.on_access_changed(uow, events.an_access(
        order, "suspended", overdue_payment_id=link.payment_id, overdue_amount=Decimal("500.00"), currency="UAH"))
    [email] = uow.deliveries.of(order.order_id)
    assert "https://pay.example/p/overdue" in email.text_body and "500.00" in email.text_body
    # Another currency than the order's is refused (the whole unit of work with it).
    other = events.an_order_created()
    await service.on_order_created(uow, other)
    with pytest.raises(Rejected):
        await service.on_access_changed(uow, events.an_access(
            other, "suspended", overdue_payment_id=link.payment_id, overdue_amount=Decimal("5.00"), currency="EUR"))
