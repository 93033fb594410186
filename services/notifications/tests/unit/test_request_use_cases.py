"""The CRM's use cases on an in-memory unit of work: a resend, and a school's own wording of a template."""

import uuid

import pytest
from notifications import service
from notifications.domain.delivery import NotResendable
from notifications.domain.letters import Override
from servicekit.idempotency import IdempotencyKeyReused, Idempotent


async def test_a_resend_repeats_what_the_contact_received_as_a_new_delivery(uow):
    original = uow.deliveries.put(status="sent", attempts=3, subject="Receipt No. 17", text_body="as sent",
                                  html_body="<p>as sent</p>", sender_name="Kyiv Code School",
                                  reply_to="office@school.example")
    asked = uuid.uuid4()
    new_id = await service.resend(uow, original.account_id, original.id, asked)
    new = uow.deliveries.rows[new_id]
    assert new_id != original.id
    assert (new.status, new.attempts, new.resend_of, new.correlation_id) == ("pending", 0, original.id, asked)
    assert (new.recipient, new.subject, new.text_body, new.html_body, new.sender_name, new.reply_to) == (
        original.recipient, "Receipt No. 17", "as sent", "<p>as sent</p>", "Kyiv Code School",
        "office@school.example")
    assert new.event_id != original.event_id  # apart from every other delivery of the original's event
    assert uow.outbox.events == []


async def test_a_resend_of_a_delivery_not_the_schools_finds_nothing(uow):
    original = uow.deliveries.put(status="sent")
    assert await service.resend(uow, uuid.uuid4(), original.id, uuid.uuid4()) is None
    assert await service.resend(uow, original.account_id, uuid.uuid4(), uuid.uuid4()) is None
    assert len(uow.deliveries.rows) == 1


@pytest.mark.parametrize("status", ["pending", "cancelled"])
async def test_an_email_not_sent_yet_or_never_is_not_resent(uow, status):
    original = uow.deliveries.put(status=status, cancel_reason="order_cancelled" if status == "cancelled" else None)
    with pytest.raises(NotResendable):
        await service.resend(uow, original.account_id, original.id, uuid.uuid4())
    assert len(uow.deliveries.rows) == 1


async def test_an_address_refused_for_good_is_written_to_again_only_when_asked(uow):
    original = uow.deliveries.put(status="failed", refused=True, last_error="550 5.1.1 No such mailbox")
    with pytest.raises(NotResendable) as refused:
        await service.resend(uow, original.account_id, original.id, uuid.uuid4())
    assert refused.value.facts == {"recipient": original.recipient, "refusal": "550 5.1.1 No such mailbox"}
    assert len(uow.deliveries.rows) == 1
    assert await service.resend(uow, original.account_id, original.id, uuid.uuid4(), to_refused_address=True)
    # One that only ran out of tries goes again without it.
    tired = uow.deliveries.put(status="failed", last_error="451 try later")
    assert await service.resend(uow, tired.account_id, tired.id, uuid.uuid4())


async def test_the_same_key_gets_the_same_resend_and_another_request_under_it_is_refused(uow):
    original = uow.deliveries.put(status="sent")
    key = Idempotent("k-1", "fingerprint-a")
    first = await service.resend(uow, original.account_id, original.id, uuid.uuid4(), idempotency=key)
    again = await service.resend(uow, original.account_id, original.id, uuid.uuid4(), idempotency=key)
    assert first == again and len(uow.deliveries.rows) == 2
    with pytest.raises(IdempotencyKeyReused):
        await service.resend(uow, original.account_id, original.id, uuid.uuid4(),
                             idempotency=Idempotent("k-1", "fingerprint-b"))
    # The key is the school's: another school's same key makes its own.
    other = uow.deliveries.put(status="sent")
    assert await service.resend(uow, other.account_id, other.id, uuid.uuid4(), idempotency=key) not in (None, first)


async def test_a_wording_that_renders_is_stored_and_one_that_does_not_is_not(uow):
    account = uuid.uuid4()
    good = Override(subject="Thanks, {{ contact_name }}", html="<p>{{ school_name }}</p>", text="{{ school_name }}")
    assert await service.save_override(uow, account, "receipt", "en", good) == []
    assert uow.wordings.saved == {(account, "receipt", "en"): good}
    # A receipt has no link to name: refused, and the stored one stays.
    bad = Override(subject="Pay {{ url }}", html="<p>x</p>", text="x")
    errors = await service.save_override(uow, account, "receipt", "en", bad)
    assert [e["field"] for e in errors] == ["subject"]
    assert uow.wordings.saved == {(account, "receipt", "en"): good}
    assert service.preview_override("receipt", "en", bad) == errors


async def test_removing_a_wording_goes_back_to_the_standard_and_says_whether_there_was_one(uow):
    account = uuid.uuid4()
    uow.wordings.saved[(account, "reminder", "uk")] = Override(subject="s", html="h", text="t")
    assert await service.remove_override(uow, account, "reminder", "uk") is True
    assert await service.remove_override(uow, account, "reminder", "uk") is False
    assert uow.wordings.saved == {}
