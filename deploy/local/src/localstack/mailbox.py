"""The local stack's mailbox: a real SMTP server that keeps every message where a person can read it.

Each message arrives over SMTP (aiosmtpd) and is stored as an `.eml` file in a directory, named so
that names sort by arrival; the messages therefore survive a restart. A small HTTP server shows them:

- `GET /`                   the inbox as an HTML page, newest first
- `GET /messages/<id>`      one message: headers, the plain-text part, the HTML part in a sandboxed frame
- `GET /messages/<id>/html` the HTML part alone (served with a sandboxing Content-Security-Policy)
- `GET /messages/<id>.eml`  the message as it arrived
- `GET /api/messages`       JSON `[{id, from, to, subject, date, text, html, ...}]`, newest last
- `GET /api/messages/<id>`  JSON, one message
- `DELETE /api/messages`    empty the mailbox (`DELETE /api/messages/<id>` removes one)

Every recipient is accepted but those at `refused.example.com`, which are refused for good at
RCPT (`550 5.1.1`), as a real server refuses a mailbox that does not exist: what the CRM does with
such an address (the delivery refused, "Send anyway" on the card) can be tried locally.

Run it on its own with `python -m localstack.mailbox --dir D --smtp-port 1025 --http-port 8025`.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import email.utils
import html
import json
import os
import re
import signal
import threading
import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

_ID = re.compile(r"^[0-9]{20}-[0-9a-f]{8}$")
_SUFFIX = ".eml"


class _Store:
    """The directory of `.eml` files; file names are `<arrival ns, 20 digits>-<random>.eml`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._last = 0
        self._lock = threading.Lock()

    def add(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
        with self._lock:
            # Strictly increasing, so two messages in the same nanosecond still sort by arrival.
            stamp = max(time.time_ns(), self._last + 1)
            self._last = stamp
        message_id = f"{stamp:020d}-{uuid.uuid4().hex[:8]}"
        # The envelope says who the message was really sent to (Bcc included); keep it with the message.
        envelope = (
            f"X-Mailbox-Envelope-From: {mail_from}\r\n"
            f"X-Mailbox-Envelope-To: {', '.join(rcpt_tos)}\r\n"
            f"X-Mailbox-Received: {email.utils.format_datetime(datetime.now(UTC))}\r\n"
        ).encode()
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / f".{message_id}.tmp"
        tmp.write_bytes(envelope + raw)
        os.replace(tmp, self.directory / f"{message_id}{_SUFFIX}")
        return message_id

    def ids(self) -> list[str]:
        """Every stored message id, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(p.name[: -len(_SUFFIX)] for p in self.directory.glob(f"*{_SUFFIX}") if _ID.match(p.stem))

    def path(self, message_id: str) -> Path | None:
        if not _ID.match(message_id):
            return None
        path = self.directory / f"{message_id}{_SUFFIX}"
        return path if path.is_file() else None

    def raw(self, message_id: str) -> bytes | None:
        path = self.path(message_id)
        try:
            return path.read_bytes() if path else None
        except FileNotFoundError:  # removed meanwhile
            return None

    def get(self, message_id: str) -> dict[str, Any] | None:
        raw = self.raw(message_id)
        return None if raw is None else _summary(message_id, raw)

    def all(self) -> list[dict[str, Any]]:
        return [m for m in (self.get(i) for i in self.ids()) if m is not None]

    def delete(self, message_id: str) -> bool:
        path = self.path(message_id)
        if path is None:
            return False
        path.unlink(missing_ok=True)
        return True

    def clear(self) -> int:
        ids = self.ids()
        for message_id in ids:
            self.delete(message_id)
        return len(ids)


def _parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    if body is None:
        return ""
    try:
        return str(body.get_content())
    except (LookupError, ValueError):  # unknown charset or broken encoding: show what we can
        payload = body.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return "" if value is None else str(value)


def _received(message_id: str) -> datetime:
    return datetime.fromtimestamp(int(message_id.split("-", 1)[0]) / 1e9, UTC)


def _date(message: EmailMessage, message_id: str) -> datetime:
    try:
        value = email.utils.parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return _received(message_id)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _summary(message_id: str, raw: bytes) -> dict[str, Any]:
    message = _parse(raw)
    envelope_to = [a.strip() for a in _header(message, "X-Mailbox-Envelope-To").split(",") if a.strip()]
    header_to = [addr for _, addr in email.utils.getaddresses(message.get_all("To", []) + message.get_all("Cc", []))]
    return {
        "id": message_id,
        "from": _header(message, "From") or _header(message, "X-Mailbox-Envelope-From"),
        "to": envelope_to or [a for a in header_to if a],
        "subject": _header(message, "Subject"),
        "date": _date(message, message_id).isoformat(),
        "received": _received(message_id).isoformat(),
        "text": _part(message, "plain"),
        "html": _part(message, "html"),
        "headers": [[k, str(v)] for k, v in message.items() if not k.startswith("X-Mailbox-")],
    }


# Recipients here are refused for good, as a mailbox that does not exist is.
REFUSED_DOMAIN = "refused.example.com"
# The emails notifications hands to this mailbox at once (its SEND_CONCURRENCY; 8 by default, for
# a provider's limits). Each send holds its place through two commits and the SMTP exchange, which
# on a busy machine took long enough that 8 places capped the local stack at about 135 emails a
# second (three a purchase): at 50 opens/s the receipts fell seconds behind (docs/performance.md).
MAILBOX_SEND_CONCURRENCY = 32


class _Handler:
    """aiosmtpd handler: accept every recipient (but those at REFUSED_DOMAIN), store every message."""

    def __init__(self, store: _Store) -> None:
        self.store = store

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address.rpartition("@")[2].lower() == REFUSED_DOMAIN:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        self.store.add(raw or b"", envelope.mail_from or "", list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


# --- HTML ----------------------------------------------------------------------------------------

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1rem;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}
header .spacer{flex:1}
main{padding:1.2rem 1.5rem;max-width:1100px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.5rem .7rem;border-bottom:1px solid #e3e6eb;vertical-align:top}
th{font-size:.8rem;text-transform:uppercase;color:#667}
td.date{white-space:nowrap;color:#556}
a{color:#2454c5}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;background:#fff;padding:1rem;margin:0 0 1rem}
dt{font-weight:600;color:#556}dd{margin:0;word-break:break-word}
pre{background:#fff;padding:1rem;white-space:pre-wrap;word-break:break-word}
iframe{width:100%;height:70vh;border:1px solid #d5d9e0;background:#fff}
button{cursor:pointer}
.empty{color:#667;padding:2rem;background:#fff}
"""


def _page(title: str, body: str, count: int | None = None) -> bytes:
    actions = (
        "<button onclick=\"if(confirm('Delete every message?'))"
        "fetch('/api/messages',{method:'DELETE'}).then(()=>location.href='/')\">Empty the mailbox</button>"
    )
    counter = "" if count is None else f"<span>{count} message{'' if count == 1 else 's'}</span>"
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><a href=\"/\">Mailbox</a>{counter}<span class=\"spacer\"></span>{actions}</header>"
        f"<main>{body}</main></body></html>"
    ).encode()


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return iso


def _inbox_page(messages: list[dict[str, Any]]) -> bytes:
    if not messages:
        return _page("Mailbox", '<p class="empty">No messages yet.</p>', 0)
    rows = "".join(
        "<tr>"
        f"<td class=\"date\">{html.escape(_when(m['date']))}</td>"
        f"<td>{html.escape(m['from'])}</td>"
        f"<td>{html.escape(', '.join(m['to']))}</td>"
        f"<td><a href=\"/messages/{m['id']}\">{html.escape(m['subject'] or '(no subject)')}</a></td>"
        "</tr>"
        for m in reversed(messages)
    )
    table = f"<table><thead><tr><th>Date</th><th>From</th><th>To</th><th>Subject</th></tr></thead><tbody>{rows}</tbody></table>"
    return _page("Mailbox", table, len(messages))


def _message_page(m: dict[str, Any]) -> bytes:
    headers = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in m["headers"])
    parts = [f"<h1>{html.escape(m['subject'] or '(no subject)')}</h1>", f"<dl>{headers}</dl>"]
    parts.append(f"<p><a href=\"/messages/{m['id']}.eml\">Download .eml</a> · <a href=\"/api/messages/{m['id']}\">JSON</a></p>")
    if m["html"]:
        # A sandboxed frame with no permissions: the message's scripts and forms cannot run.
        parts.append(f"<h2>HTML</h2><iframe sandbox=\"\" src=\"/messages/{m['id']}/html\" title=\"HTML part\"></iframe>")
    if m["text"]:
        parts.append(f"<h2>Plain text</h2><pre>{html.escape(m['text'])}</pre>")
    if not m["html"] and not m["text"]:
        parts.append('<p class="empty">The message has no text or HTML part.</p>')
    return _page(m["subject"] or "Message", "".join(parts))


class _HTTPHandler(BaseHTTPRequestHandler):
    server: "_HTTPServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
        pass

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8")

    def _not_found(self) -> None:
        if self.path.startswith("/api/"):
            self._json(404, {"title": "Not Found", "status": 404})
        else:
            self._send(404, _page("Not found", '<p class="empty">No such message.</p>'), "text/html; charset=utf-8")

    def do_GET(self) -> None:  # noqa: N802
        store = self.server.store
        path = unquote(self.path.split("?", 1)[0]).rstrip("/") or "/"
        if path == "/":
            self._send(200, _inbox_page(store.all()), "text/html; charset=utf-8")
        elif path == "/api/messages":
            self._json(200, store.all())
        elif path == "/health":
            self._json(200, {"status": "ok"})
        elif m := re.fullmatch(r"/api/messages/([^/]+)", path):
            found = store.get(m[1])
            if found is None:
                return self._not_found()
            self._json(200, found)
        elif m := re.fullmatch(r"/messages/([^/]+)\.eml", path):
            raw = store.raw(m[1])
            if raw is None:
                return self._not_found()
            self._send(200, raw, "message/rfc822", {"Content-Disposition": f'attachment; filename="{m[1]}.eml"'})
        elif m := re.fullmatch(r"/messages/([^/]+)/html", path):
            found = store.get(m[1])
            if found is None:
                return self._not_found()
            csp = "sandbox; default-src 'none'; img-src * data:; style-src * 'unsafe-inline'; font-src * data:"
            self._send(200, found["html"].encode(), "text/html; charset=utf-8", {"Content-Security-Policy": csp})
        elif m := re.fullmatch(r"/messages/([^/]+)", path):
            found = store.get(m[1])
            if found is None:
                return self._not_found()
            self._send(200, _message_page(found), "text/html; charset=utf-8")
        else:
            self._not_found()

    do_HEAD = do_GET

    def do_DELETE(self) -> None:  # noqa: N802
        store = self.server.store
        path = unquote(self.path.split("?", 1)[0]).rstrip("/")
        if path == "/api/messages":
            self._json(200, {"deleted": store.clear()})
        elif (m := re.fullmatch(r"/api/messages/([^/]+)", path)) and store.delete(m[1]):
            self._json(200, {"deleted": 1})
        else:
            self._not_found()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: _Store) -> None:
        self.store = store
        super().__init__(address, _HTTPHandler)


# --- the mailbox ---------------------------------------------------------------------------------


class Mailbox:
    """SMTP in, `.eml` files on disk, an HTML and JSON view over HTTP."""

    def __init__(self, directory: Path, smtp_port: int, http_port: int, host: str = "127.0.0.1") -> None:
        self.directory = Path(directory)
        self.smtp_port = smtp_port
        self.http_port = http_port
        self.host = host
        self._store = _Store(self.directory)
        self._smtp: Controller | None = None
        self._http: _HTTPServer | None = None
        self._http_thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where a person reads the mailbox."""
        return f"http://{self.host}:{self.http_port}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._http = _HTTPServer((self.host, self.http_port), self._store)
        self._http_thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name="mailbox-http", daemon=True
        )
        self._http_thread.start()
        self._smtp = Controller(
            _Handler(self._store), hostname=self.host, port=self.smtp_port,
            server_hostname="mailbox.local", enable_SMTPUTF8=True,
        )
        try:
            self._smtp.start()
        except BaseException:
            self._smtp = None
            self.stop()
            raise

    def stop(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._http_thread is not None:
            self._http_thread.join(5)
            self._http_thread = None

    def __enter__(self) -> "Mailbox":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def messages(self) -> list[dict[str, Any]]:
        """Every stored message, oldest first (the same shape as `GET /api/messages`)."""
        return self._store.all()

    def clear(self) -> int:
        return self._store.clear()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localstack.mailbox", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(".local/mailbox"), help="where messages are kept")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    mailbox = Mailbox(args.dir, args.smtp_port, args.http_port, args.host)
    mailbox.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"mailbox: SMTP on {args.host}:{args.smtp_port}, inbox at {mailbox.url}, messages in {args.dir}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        mailbox.stop()


if __name__ == "__main__":
    main()
