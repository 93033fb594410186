"""The mail server adapter against a real SMTP server: what it sends, and how it reads refusals."""

import uuid

import pytest
from localstack.ports import free_port
from notifications.adapters.smtp import SendFailed, SmtpMailer
from notifications.domain.delivery import Outgoing


def an_email(to: str) -> Outgoing:
    return Outgoing(
        id=uuid.uuid4(), recipient=to, subject="Payment for order #7 at Školа", text_body="Pay UAH1,547.36\n",
        html_body="<p>Pay <strong>UAH1,547.36</strong></p>", attempts=1,
    )


def mailer(port: int, **over) -> SmtpMailer:
    return SmtpMailer(host="127.0.0.1", port=port, sender="Online school <no-reply@school.local>", timeout=2, **over)


async def test_sends_text_with_an_html_alternative(mailbox):
    to = f"{uuid.uuid4().hex}@example.com"
    email = an_email(to)
    await mailer(mailbox.port).send(email)
    [envelope] = mailbox.envelopes_to(to)
    assert envelope.mail_from == "no-reply@school.local" and envelope.rcpt_tos == [to]
    [message] = mailbox.messages_to(to)
    assert message["Subject"] == "Payment for order #7 at Školа"
    assert message["From"] == "Online school <no-reply@school.local>"
    assert message["Message-ID"] == f"<{email.id}@school.local>"
    assert message.get_content_type() == "multipart/alternative"
    text, html = mailbox.parts(message)
    assert text.strip() == "Pay UAH1,547.36" and "<strong>UAH1,547.36</strong>" in html


@pytest.mark.parametrize(
    "local, permanent, code",
    [("defer-once", False, "451"), ("bounce", True, "550"), ("reject", True, "554")],
)
async def test_refusals_are_final_only_when_the_server_says_so(mailbox, local, permanent, code):
    to = f"{local}-{uuid.uuid4().hex}@example.com"
    with pytest.raises(SendFailed) as failed:
        await mailer(mailbox.port).send(an_email(to))
    assert failed.value.permanent is permanent
    assert code in str(failed.value)


async def test_no_server_is_a_failure_worth_retrying():
    with pytest.raises(SendFailed) as failed:
        await mailer(free_port()).send(an_email("someone@example.com"))
    assert failed.value.permanent is False


async def test_required_tls_the_server_does_not_offer_is_worth_retrying_after_a_fix(mailbox):
    with pytest.raises(SendFailed) as failed:
        await mailer(mailbox.port, tls="starttls").send(an_email(f"{uuid.uuid4().hex}@example.com"))
    assert failed.value.permanent is False
