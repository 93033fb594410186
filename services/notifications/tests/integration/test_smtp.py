"""The mail server adapter against a real SMTP server: what it sends, and how it reads refusals."""

import contextlib
import ssl
import subprocess
import uuid
from dataclasses import replace

import pytest
from aiosmtpd.controller import Controller
from localstack.ports import free_port
from notifications.adapters.smtp import NotHandedOver, SendFailed, SmtpMailer, Unconfirmed
from notifications.domain.delivery import Outgoing

from .conftest import Mailbox
from .tap import SmtpTap


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


async def test_the_school_is_named_in_from_and_gets_the_replies_while_the_platform_sends(mailbox):
    to = f"{uuid.uuid4().hex}@example.com"
    email = replace(an_email(to), sender_name="Київська школа коду", reply_to="hello@kyiv-code.example")
    await mailer(mailbox.port).send(email)
    [envelope] = mailbox.envelopes_to(to)
    assert envelope.mail_from == "no-reply@school.local"  # SPF and DKIM are the platform's
    [message] = mailbox.messages_to(to)
    assert message["From"].addresses[0].display_name == "Київська школа коду"
    assert message["From"].addresses[0].addr_spec == "no-reply@school.local"
    assert message["Reply-To"] == "hello@kyiv-code.example"
    plain = f"{uuid.uuid4().hex}@example.com"
    await mailer(mailbox.port).send(replace(an_email(plain), sender_name="Kyiv Code School"))
    [without] = mailbox.messages_to(plain)
    assert without["From"] == "Kyiv Code School <no-reply@school.local>" and without["Reply-To"] is None


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


async def test_the_handover_comes_after_the_whole_message_and_before_its_end(mailbox):
    to = f"{uuid.uuid4().hex}@example.com"
    seen: list[int] = []

    async def handing_over(end_of_data) -> bool:
        seen.append(mailbox.data_tries[to])  # the server has not had the end of the message yet
        end_of_data()
        return True

    await mailer(mailbox.port).send(an_email(to), handing_over)
    assert seen == [0] and len(mailbox.envelopes_to(to)) == 1


async def test_a_message_withdrawn_at_the_handover_never_reaches_the_server(mailbox):
    to = f"{uuid.uuid4().hex}@example.com"

    async def withdrawn(end_of_data) -> bool:
        return False

    with pytest.raises(NotHandedOver):
        await mailer(mailbox.port).send(an_email(to), withdrawn)
    assert mailbox.rcpt_tries[to] == 1 and mailbox.data_tries[to] == 0 and mailbox.envelopes_to(to) == []


async def test_anything_going_wrong_after_the_end_of_the_message_is_unconfirmed(mailbox):
    to = f"{uuid.uuid4().hex}@example.com"

    async def ended_then_broke(end_of_data) -> bool:
        end_of_data()
        raise RuntimeError("a bug of ours")

    with pytest.raises(Unconfirmed):
        await mailer(mailbox.port).send(an_email(to), ended_then_broke)


async def test_no_answer_to_the_end_of_the_message_is_unconfirmed_not_a_failure(mailbox):
    to = f"{uuid.uuid4().hex}@example.com"
    async with SmtpTap(mailbox.port, hold="after-end") as tap:
        with pytest.raises(Unconfirmed):
            await mailer(tap.port).send(an_email(to))
    assert len(mailbox.envelopes_to(to)) == 1


async def test_no_server_is_a_failure_worth_retrying():
    with pytest.raises(SendFailed) as failed:
        await mailer(free_port()).send(an_email("someone@example.com"))
    assert failed.value.permanent is False


async def test_required_tls_the_server_does_not_offer_is_worth_retrying_after_a_fix(mailbox):
    with pytest.raises(SendFailed) as failed:
        await mailer(mailbox.port, tls="starttls").send(an_email(f"{uuid.uuid4().hex}@example.com"))
    assert failed.value.permanent is False


# --- TLS: implicit and STARTTLS, with the certificate checked against a given authority -----------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: the test's own authority."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return str(cert), context


@contextlib.contextmanager
def tls_server(box: Mailbox, context: ssl.SSLContext, *, implicit: bool):
    box.port = free_port()
    options = {"ssl_context": context} if implicit else {"tls_context": context, "require_starttls": True}
    controller = Controller(box, hostname="127.0.0.1", port=box.port, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.mark.parametrize("mode", ["tls", "starttls"])
async def test_tls_with_a_trusted_certificate_delivers(certificate, mode):
    ca_file, context = certificate
    with tls_server(Mailbox(), context, implicit=mode == "tls") as box:
        to = f"{uuid.uuid4().hex}@example.com"
        await mailer(box.port, tls=mode, ca_file=ca_file).send(an_email(to))
        [message] = box.messages_to(to)
        assert message["Subject"] == "Payment for order #7 at Školа"


@pytest.mark.parametrize("mode", ["tls", "starttls"])
async def test_an_untrusted_certificate_is_refused_unless_checks_are_off(certificate, mode):
    _, context = certificate
    with tls_server(Mailbox(), context, implicit=mode == "tls") as box:
        to = f"{uuid.uuid4().hex}@example.com"
        with pytest.raises(SendFailed) as failed:
            await mailer(box.port, tls=mode).send(an_email(to))
        assert failed.value.permanent is False and box.accepted == []
        await mailer(box.port, tls=mode, validate_certs=False).send(an_email(to))
        assert len(box.messages_to(to)) == 1


async def test_a_server_that_requires_starttls_refuses_plain_smtp_until_configured(certificate):
    _, context = certificate
    with tls_server(Mailbox(), context, implicit=False) as box:
        with pytest.raises(SendFailed) as failed:
            await mailer(box.port).send(an_email(f"{uuid.uuid4().hex}@example.com"))
        assert failed.value.permanent is False and "530" in str(failed.value)


def test_the_sender_takes_its_tls_settings():
    from notifications.workers.sender import email_sender
    from notifications.settings import Settings

    settings = Settings(smtp_tls="tls", smtp_port=465, smtp_validate_certs=False, smtp_ca_file="/etc/ca.pem")
    mail = email_sender(engine=_NoEngine(), settings=settings)._mailer  # type: ignore[arg-type]
    assert (mail._tls, mail._port, mail._validate_certs, mail._ca_file) == ("tls", 465, False, "/etc/ca.pem")
    assert Settings().smtp_validate_certs is True and Settings().smtp_tls == "none"


class _NoEngine:
    url = type("U", (), {"render_as_string": lambda self, hide_password: "postgresql+asyncpg://x@127.0.0.1/x"})()
