"""The local mailbox: a real SMTP server whose messages are read back over HTTP."""

import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
import pytest

from localstack.mailbox import Mailbox
from localstack.ports import free_port

SUBJECT = "Ваше замовлення №1042 — посилання на оплату"
TEXT = "Вітаємо, Олено!\nОплатіть курс «Англійська B2» за посиланням: https://pay.example/abc\n"
HTML = "<p>Вітаємо, <b>Олено</b>!</p><p><a href=\"https://pay.example/abc\">Оплатити</a></p><script>alert(1)</script>"


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    box = Mailbox(tmp_path / "mail", smtp_port=free_port(), http_port=free_port())
    box.start()
    try:
        yield box
    finally:
        box.stop()


def _message(to: str, subject: str = SUBJECT) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Школа англійської <school@example.com>"
    message["To"] = f"Олена Коваль <{to}>"
    message["Subject"] = subject
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    return message


async def _send(box: Mailbox, message: EmailMessage) -> None:
    await aiosmtplib.send(message, hostname=box.host, port=box.smtp_port)


async def _api(box: Mailbox) -> list[dict]:
    async with httpx.AsyncClient(base_url=box.url) as client:
        response = await client.get("/api/messages")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def test_a_multipart_utf8_message_is_read_back_through_the_api(mailbox: Mailbox) -> None:
    to = f"olena-{uuid.uuid4().hex[:8]}@example.com"
    await _send(mailbox, _message(to))

    [stored] = await _api(mailbox)
    assert stored["subject"] == SUBJECT
    assert stored["to"] == [to]
    assert "school@example.com" in stored["from"]
    assert "Школа англійської" in stored["from"]
    assert stored["text"].strip() == TEXT.strip()
    assert "<b>Олено</b>" in stored["html"]
    assert stored["date"] and stored["id"]
    assert set(stored) >= {"id", "from", "to", "subject", "date", "text", "html"}


async def test_messages_are_listed_oldest_first_in_the_api_and_newest_first_in_the_inbox(mailbox: Mailbox) -> None:
    for n in range(3):
        await _send(mailbox, _message("reader@example.com", subject=f"Лист {n}"))

    assert [m["subject"] for m in await _api(mailbox)] == ["Лист 0", "Лист 1", "Лист 2"]

    async with httpx.AsyncClient(base_url=mailbox.url) as client:
        page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    positions = [page.text.index(f"Лист {n}") for n in range(3)]
    assert positions == sorted(positions, reverse=True)


async def test_the_html_inbox_links_to_a_readable_message(mailbox: Mailbox) -> None:
    await _send(mailbox, _message("reader@example.com"))
    [stored] = await _api(mailbox)

    async with httpx.AsyncClient(base_url=mailbox.url) as client:
        inbox = await client.get("/")
        assert SUBJECT in inbox.text
        assert "reader@example.com" in inbox.text
        assert f'href="/messages/{stored["id"]}"' in inbox.text

        page = await client.get(f"/messages/{stored['id']}")
        assert page.status_code == 200
        assert "Оплатіть курс «Англійська B2»" in page.text  # the plain-text part
        assert "<iframe sandbox=" in page.text  # the HTML part, in a frame with no permissions
        assert "<script>alert(1)</script>" not in page.text

        part = await client.get(f"/messages/{stored['id']}/html")
        assert part.status_code == 200
        assert "<b>Олено</b>" in part.text
        assert part.headers["content-security-policy"].startswith("sandbox")

        raw = await client.get(f"/messages/{stored['id']}.eml")
        assert raw.status_code == 200 and b"Subject:" in raw.content

        assert (await client.get("/messages/00000000000000000000-00000000")).status_code == 404
        assert (await client.get("/messages/..%2F..%2Fetc%2Fpasswd")).status_code == 404


async def test_bcc_recipients_are_listed_from_the_envelope(mailbox: Mailbox) -> None:
    message = _message("visible@example.com")
    await aiosmtplib.send(
        message, hostname=mailbox.host, port=mailbox.smtp_port,
        recipients=["visible@example.com", "hidden@example.com"],
    )
    [stored] = await _api(mailbox)
    assert stored["to"] == ["visible@example.com", "hidden@example.com"]


async def test_messages_survive_a_restart_and_delete_empties_the_mailbox(tmp_path: Path) -> None:
    box = Mailbox(tmp_path / "mail", smtp_port=free_port(), http_port=free_port())
    box.start()
    try:
        await _send(box, _message("first@example.com"))
    finally:
        box.stop()
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1

    box.start()  # same ports, same directory
    try:
        await _send(box, _message("second@example.com", subject="Нагадування"))
        stored = await _api(box)
        assert [m["to"] for m in stored] == [["first@example.com"], ["second@example.com"]]
        assert [m["subject"] for m in stored] == [SUBJECT, "Нагадування"]

        async with httpx.AsyncClient(base_url=box.url) as client:
            response = await client.delete("/api/messages")
        assert response.status_code == 200
        assert response.json() == {"deleted": 2}
        assert await _api(box) == []
        assert box.messages() == []
    finally:
        box.stop()

    fresh = Mailbox(tmp_path / "mail", smtp_port=free_port(), http_port=free_port())
    with fresh:
        assert await _api(fresh) == []


async def test_a_recipient_at_the_refused_domain_is_refused_for_good_and_nothing_is_kept(mailbox: Mailbox) -> None:
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await _send(mailbox, _message("nobody@refused.example.com"))
    [recipient] = refused.value.recipients
    assert recipient.code == 550
    assert await _api(mailbox) == []
    await _send(mailbox, _message("somebody@example.com"))  # everyone else still gets theirs
    assert [m["to"] for m in await _api(mailbox)] == [["somebody@example.com"]]
