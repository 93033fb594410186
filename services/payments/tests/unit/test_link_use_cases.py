"""Provider links on the in-memory unit of work: wanted by a use case, issued by the worker's pass
(its transactions opened from the factory, the provider called between them), and stored once."""

import uuid
from decimal import Decimal

import pytest
from contracts import PaymentLinkIssued, ReminderRequested
from payments import service
from payments.domain.payment import Link, Payment
from payments.domain.reports import AnswerKeptUnderKey, ProviderUnavailable


@pytest.fixture
async def wanted(uow, providers, remote, order_created) -> Payment:
    """A remote provider's order whose first payment waits for its link."""
    order = order_created(provider=remote.name)
    await service.create_order_payments(uow, order, providers)
    (payment,) = await uow.payments.of_order(order.order_id)
    return payment


async def test_the_worker_asks_the_provider_and_emits_the_link(uow, providers, remote, wanted):
    handled = await service.issue_pending_links(uow.begin, providers)

    assert handled == 1
    (asked,) = remote.asked
    assert (asked.payment.id, asked.generation, asked.description, asked.locale) == (
        wanted.id, 1, "Kyiv Code School, order 42", "uk")
    stored = uow.payments.stored(wanted.id)
    assert stored.link_url == f"https://remotepay.test/rp-{wanted.id}-1" and stored.provider_reference == \
        f"rp-{wanted.id}-1"
    (issued,) = uow.outbox.events
    assert isinstance(issued, PaymentLinkIssued) and issued.send_email and issued.url == stored.link_url
    assert await uow.link_requests.pending(wanted.id) == []
    # Leased in one transaction, read in a second, stored in a third: the provider is called outside them.
    assert uow.transactions == 3
    assert await service.issue_pending_links(uow.begin, providers) == 0


async def test_a_failing_provider_keeps_the_request_for_later(uow, providers, remote, wanted):
    remote.failure = ProviderUnavailable("remotepay is down")

    await service.issue_pending_links(uow.begin, providers)

    (request,) = await uow.link_requests.pending(wanted.id)
    assert request.attempts == 1 and uow.link_requests.errors[wanted.id, "link"] == "remotepay is down"
    assert uow.payments.stored(wanted.id).link_error == "remotepay is down"
    assert uow.outbox.events == []


async def test_a_failure_kept_under_the_key_is_retried_as_a_new_generation(uow, providers, remote, wanted):
    remote.failure = AnswerKeptUnderKey("the provider keeps its refusal")

    await service.issue_pending_links(uow.begin, providers)

    stored = uow.payments.stored(wanted.id)
    assert (stored.link_generation, stored.link_error) == (2, "the provider keeps its refusal")
    (request,) = await uow.link_requests.pending(wanted.id)
    assert request.generation == 2


async def test_a_provider_that_needs_credentials_waits_for_them(uow, providers, remote, wanted):
    remote.settings_model = dict  # any model: the school must set its credentials first

    await service.issue_pending_links(uow.begin, providers)
    assert remote.asked == [] and uow.payments.stored(wanted.id).link_error is not None

    await service.set_credentials(uow, wanted.account_id, remote.name, {"key": "k"}, correlation_id=uuid.uuid4())
    await service.issue_pending_links(uow.begin, providers)

    assert [o.settings for o in remote.asked] == [{"key": "k"}]
    assert uow.outbox.names() == ["PaymentProvidersUpdated", "PaymentLinkIssued"]


async def test_a_link_for_an_older_generation_is_not_stored(uow, wanted):
    payment = await uow.payments.get(wanted.id)
    payment.want_fresh_link()  # a newer link is wanted meanwhile (the amount changed, say)
    await uow.payments.save(payment)

    await service.complete_link(uow, wanted.id, Link(url="https://remotepay.test/old"))

    assert uow.payments.stored(wanted.id).link_url is None and uow.outbox.events == []


async def test_a_payment_that_no_longer_takes_a_link_drops_its_requests(uow, wanted):
    payment = await uow.payments.get(wanted.id)
    payment.cancel()
    await uow.payments.save(payment)

    await service.complete_link(uow, wanted.id, Link(url="https://remotepay.test/late"))

    assert await uow.link_requests.pending(wanted.id) == [] and uow.outbox.events == []


async def test_each_waiting_request_gets_what_it_asked_for(uow, providers, wanted):
    payment = await uow.payments.get(wanted.id)
    order = await uow.orders.get(wanted.order_id)
    await service.request_link(uow, payment, order, providers, purpose="reminder_manual", send_email=False,
                               correlation_id=uuid.uuid4())
    assert {r.generation for r in await uow.link_requests.pending(wanted.id)} == {2}

    await service.complete_link(uow, wanted.id, Link(url="https://remotepay.test/fresh"))

    assert sorted(uow.outbox.names()) == ["PaymentLinkIssued", "PaymentLinkIssued", "ReminderRequested"]
    (reminder,) = uow.outbox.of(ReminderRequested)
    assert reminder.reason == "manual"
    assert [e.send_email for e in uow.outbox.of(PaymentLinkIssued)].count(True) == 1


async def test_an_inline_provider_issues_the_link_in_the_use_cases_transaction(uow, providers):
    payment = uow.payments.put(Payment(account_id=uuid.uuid4(), order_id=uuid.uuid4(), number=1,
                                       amount=Decimal("10.00"), currency="UAH", provider="sandbox"))
    order = uow.orders.add(_order_for(payment))

    issued_here = await service.request_link(uow, payment, order, providers, purpose="reminder_scheduled",
                                             send_email=True, correlation_id=uuid.uuid4())

    assert issued_here is True and uow.link_requests.waiting == {}
    assert uow.payments.stored(payment.id).link_url.endswith(f"/sandbox/pay/{payment.id}")
    assert uow.outbox.names() == ["PaymentLinkIssued", "ReminderRequested"]
    assert uow.outbox.of(PaymentLinkIssued)[0].send_email is False  # only a "link" request emails the link


def _order_for(payment: Payment):
    from contracts import ContactData, OrderCreated, OrderLine

    return OrderCreated(
        account_id=payment.account_id, correlation_id=uuid.uuid4(), order_id=payment.order_id, order_number=7,
        checkout_id=uuid.uuid4(), offer_id=uuid.uuid4(), school_name="School", contact_id=uuid.uuid4(),
        contact=ContactData(name="Ann", email="ann@example.com"), currency="UAH",
        lines=[OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="A", price=payment.amount)],
        discount=Decimal(0), total=payment.amount, payment_plan=[], provider="sandbox",
    )
