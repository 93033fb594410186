"""The composed email, read back by the standard library's parser: its headers and both parts."""

import base64
import email
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from notifications.adapters import mime
from notifications.adapters.smtp import SmtpMailer, _dot_stuffed
from notifications.domain.delivery import Outgoing
from notifications.domain.letters import Letter
from notifications.rendering import render

SENDER = "Online school <noreply@school.example>"


def an_email(**over) -> Outgoing:
    """A real payment link email in Ukrainian, as the consumers rendered it."""
    rendered = render(Letter(
        template="payment_link", event_id=uuid.uuid4(), account_id=uuid.uuid4(), order_id=uuid.uuid4(),
        correlation_id=uuid.uuid4(), contact_id=uuid.uuid4(), to="olena@example.com", locale="uk",
        school_name="Київська школа коду", contact_name="Олена", order_number=1042,
        products=("Python", "SQL"), amount=Decimal("1547.36"), currency="UAH", total=Decimal("1547.36"),
        url="https://pay.example/p/1?a=1&b=2", due_at=datetime(2026, 11, 23, 15, 30, tzinfo=UTC),
    ))
    values = dict(
        id=uuid.uuid4(), recipient="olena@example.com", subject=rendered.subject, text_body=rendered.text,
        html_body=rendered.html, attempts=1, sender_name="Київська школа коду", reply_to="office@kyiv.example",
    )
    return Outgoing(**(values | over))


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert not message.defects, message.defects
    return message


def parts(message: EmailMessage) -> tuple[EmailMessage, EmailMessage]:
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    assert not text.defects and not html.defects
    return text, html


def lines(raw: bytes) -> list[bytes]:
    assert b"\n" not in raw.replace(b"\r\n", b""), "CRLF line ends only"
    return raw.split(b"\r\n")


@pytest.mark.parametrize("eight_bit", [True, False])
def test_the_message_reads_back_as_it_was_rendered(eight_bit: bool) -> None:
    outgoing = an_email()
    raw = SmtpMailer(host="mail", port=25, sender=SENDER).compose(outgoing, eight_bit=eight_bit)
    message = parsed(raw)
    assert message["From"].addresses[0].display_name == "Київська школа коду"
    assert message["From"].addresses[0].addr_spec == "noreply@school.example"
    assert str(message["To"]) == "olena@example.com"
    assert str(message["Reply-To"]) == "office@kyiv.example"
    assert str(message["Subject"]) == outgoing.subject and not outgoing.subject.isascii()
    assert str(message["Message-ID"]) == f"<{outgoing.id}@school.example>"
    # "-0000": the time in UTC, the sender's own zone left unsaid (RFC 5322, 3.3).
    assert str(message["Date"]).endswith(" -0000")
    sent = parsedate_to_datetime(str(message["Date"])).replace(tzinfo=UTC)
    assert abs(sent - datetime.now(UTC)) < timedelta(minutes=1)
    assert str(message["MIME-Version"]) == "1.0"
    text, html = parts(message)
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert text.get_content().replace("\r\n", "\n") == outgoing.text_body
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == outgoing.html_body.rstrip("\n")
    # Without 8BITMIME nothing but ASCII may travel: the parts go as base64.
    expected = "8bit" if eight_bit else "base64"
    assert text["Content-Transfer-Encoding"] == html["Content-Transfer-Encoding"] == expected
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii(), "non-ASCII header values travel as encoded words"
    assert all(len(line) <= 78 for line in lines(head))
    if not eight_bit:
        assert raw.isascii()


def test_an_ascii_message_goes_7bit_with_its_name_quoted_and_its_idempotency_key() -> None:
    outgoing = an_email(subject="Payment for order #1042 at Kyiv Code School", text_body="Pay here.\n",
                        html_body="<p>Pay here.</p>\n", sender_name="Code, School \"Kyiv\"", reply_to=None)
    mailer = SmtpMailer(host="mail", port=25, sender=SENDER, idempotency_header="X-Idempotency-Key")
    raw = mailer.compose(outgoing)
    message = parsed(raw)
    assert message["From"].addresses[0].display_name == 'Code, School "Kyiv"'
    assert message["Reply-To"] is None
    assert str(message["X-Idempotency-Key"]) == str(outgoing.id)
    assert str(message["Subject"]) == outgoing.subject
    text, html = parts(message)
    assert text["Content-Transfer-Encoding"] == html["Content-Transfer-Encoding"] == "7bit"
    assert (text.get_content(), html.get_content()) == ("Pay here.\r\n", "<p>Pay here.</p>\r\n")
    assert raw.isascii()


def test_long_subjects_and_names_fold_and_come_back_whole() -> None:
    subject = "Оплата замовлення №1042 у " + "дуже довга назва школи програмування " * 4
    ascii_subject = "Payment for order #1042 at " + "a very long name of a programming school " * 4
    name = "Київська школа програмування та аналізу даних імені Тараса Шевченка"
    mailer = SmtpMailer(host="mail", port=25, sender=SENDER)
    for title in (subject.strip(), ascii_subject.strip()):
        raw = mailer.compose(an_email(subject=title, sender_name=name))
        message = parsed(raw)
        assert str(message["Subject"]) == title
        # Read as RFC 2047 says (the space between two encoded words is no part of the text): the
        # modern parser puts one back in a display name, for the standard library's own messages too.
        read = str(make_header(decode_header(email.message_from_bytes(raw)["From"])))
        assert read == f"{name} <noreply@school.example>"
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert all(len(line) <= 78 for line in lines(head)), head.decode()


def test_a_line_longer_than_smtp_allows_goes_as_base64() -> None:
    html = "<p>" + "x" * 2000 + "</p>\n"
    raw = SmtpMailer(host="mail", port=25, sender=SENDER).compose(an_email(html_body=html))
    assert all(len(line) <= 998 for line in lines(raw))
    _, part = parts(parsed(raw))
    assert part["Content-Transfer-Encoding"] == "base64"
    assert part.get_content().replace("\r\n", "\n") == html


def test_the_boundary_never_occurs_in_a_body_and_dots_survive_the_transfer() -> None:
    text = ".\n..leading dots\n--=_not-the-boundary\nend\n"
    raw = SmtpMailer(host="mail", port=25, sender=SENDER).compose(an_email(text_body=text))
    boundary = parsed(raw).get_boundary()
    assert boundary and boundary not in text
    # DATA doubles a leading "." (RFC 5321, 4.5.2); the server takes one off again.
    data = _dot_stuffed(raw)
    assert b"\r\n..\r\n" in data and b"\r\n...leading dots\r\n" in data
    received = b"\r\n".join(line[1:] if line.startswith(b".") else line for line in data.split(b"\r\n"))
    text_part, _ = parts(parsed(received))
    assert text_part.get_content().replace("\r\n", "\n") == text


@pytest.mark.parametrize("field", ["subject", "recipient", "reply_to", "sender_name"])
def test_a_header_value_with_a_line_break_is_refused(field: str) -> None:
    with pytest.raises(ValueError):
        SmtpMailer(host="mail", port=25, sender=SENDER).compose(an_email(**{field: "a\r\nBcc: x@example.com"}))


def dot_stuffed_line_by_line(message: bytes) -> bytes:
    """DATA's transparency as RFC 5321 (4.5.2) words it, line by line: the reference."""
    message = re.sub(rb"\r\n|\r|\n", b"\r\n", message)
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    return re.sub(rb"(?m)^\.", b"..", message)


@pytest.mark.parametrize("message", [
    b"", b".", b"..", b".\r\n", b"a", b"a\r\n.", b"a\n.b\r.c\r\n.d", b".a\r\n.\r\n..\r\n", b"\r\r\n.",
    b"\n\n.\n", b"\r.\r", b"a.\r\n b.\r\n", b"x\r\n\r\n.\r\n",
])
def test_dot_stuffing_doubles_every_leading_dot_and_ends_every_line_with_crlf(message: bytes) -> None:
    data = _dot_stuffed(message)
    assert data == dot_stuffed_line_by_line(message)
    bare = data.replace(b"\r\n", b"")
    assert data.endswith(b"\r\n") and b"\n" not in bare and b"\r" not in bare
    assert not any(line.startswith(b".") and not line.startswith(b"..") for line in data.split(b"\r\n"))


@settings(database=None, derandomize=True, max_examples=300)
@given(st.lists(st.sampled_from([b".", b"..", b"\r", b"\n", b"\r\n", b"a", b" ", b"\xd0\x9e"]), max_size=30))
def test_dot_stuffing_is_what_the_line_by_line_reference_writes(pieces: list[bytes]) -> None:
    message = b"".join(pieces)
    assert _dot_stuffed(message) == dot_stuffed_line_by_line(message)


def encoded_words_char_by_char(value: str, first_line_used: int) -> str:
    """Whole characters taken while they fit each word's octets: the reference."""
    words, chunk, size = [], "", 0
    room = min(45, (78 - first_line_used - 12) // 4 * 3)
    for char in value:
        octets = len(char.encode("utf-8"))
        if chunk and size + octets > room:
            words.append(chunk)
            chunk, size, room = "", 0, 45
        chunk += char
        size += octets
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words)


@settings(database=None, derandomize=True, max_examples=300)
@given(st.text(alphabet=st.sampled_from("aZ é€ЖЄ😀\u0301中"), min_size=1, max_size=120), st.sampled_from([6, 9]))
def test_encoded_words_never_split_a_character(value: str, used: int) -> None:
    assert mime._encoded_words(value, used) == encoded_words_char_by_char(value, used)


@pytest.mark.parametrize("subject", [
    "Ж" * 21 + "😀" * 30,  # a four-octet character right at a word's end
    "é", "😀", "€" * 15, "a" * 44 + "é", "Оплата =?utf-8?b?not-a-word?=", "=?ascii but looks encoded",
])
def test_non_ascii_and_word_like_subjects_come_back_whole(subject: str) -> None:
    raw = SmtpMailer(host="mail", port=25, sender=SENDER).compose(an_email(subject=subject, sender_name="Школа 😀"))
    message = parsed(raw)
    assert str(message["Subject"]) == subject
    assert message["From"].addresses[0].display_name == "Школа 😀"
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and all(len(line) <= 78 for line in lines(head))
    for word in re.findall(rb"=\?utf-8\?b\?([^?]*)\?=", head):
        base64.b64decode(word).decode("utf-8")  # each word whole UTF-8 on its own (RFC 2047, 5)


@pytest.mark.parametrize("eight_bit", [True, False])
def test_bodies_with_any_line_ends_go_as_crlf_lines(eight_bit: bool) -> None:
    text = "one\r\ntwo\rthree\nfour\r\n\r\n.five\u2028six\n"
    raw = SmtpMailer(host="mail", port=25, sender=SENDER).compose(an_email(text_body=text), eight_bit=eight_bit)
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    part, _ = parts(parsed(raw))
    assert part.get_content().split("\r\n")[:7] == ["one", "two", "three", "four", "", ".five", "six"]
    assert _dot_stuffed(raw) == dot_stuffed_line_by_line(raw)
