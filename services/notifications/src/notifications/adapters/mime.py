"""The bytes of one email: RFC 5322 headers and a multipart/alternative body (plain text, then HTML).

Written directly rather than through `email.message.EmailMessage`: with the modern policy, its
header objects (parsed and folded again on every set and every flatten), its deep copies and the
boundary check by regular expression cost about 1.8 ms of CPU per message, most of what the
sender spent on an email itself (docs/performance.md). What is written is what that built:

- From (the school's name before the platform's address), Reply-To, To, Subject, Date,
  Message-ID and the idempotency header when configured; MIME-Version and Content-Type;
- non-ASCII in a display name or the subject as RFC 2047 encoded words (UTF-8, base64), each
  at most 75 characters, on folded lines; an ASCII name with specials quoted; ASCII subjects
  folded at spaces to 78 characters where they can be;
- each part in UTF-8: 7bit when it is ASCII, 8bit when the server takes 8BITMIME, else base64;
  8bit and 7bit only with lines of at most 998 octets (RFC 5322), else base64 as well;
- CRLF line ends throughout; the boundary is random and checked against both bodies.

A header value with a line break is refused (ValueError), as `EmailMessage` refuses it.
"""

import base64
import secrets
from email.utils import formatdate

# RFC 2047: an encoded word is at most 75 characters; "=?utf-8?b?" and "?=" leave 63 for base64,
# which carries 45 octets in 60 characters.
_WORD_OCTETS = 45
_LINE = 78  # RFC 5322's recommended line length
_MAX_LINE = 998  # and its limit
# RFC 5322 specials: a display name with one of them must be quoted.
_SPECIALS = frozenset('()<>[]:;@\\,."')


def compose(
    *,
    message_id: str,
    sender_name: str,
    sender_address: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    reply_to: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
    eight_bit: bool = True,
) -> bytes:
    """The message, CRLF line ends, not yet dot-stuffed for DATA."""
    headers = [
        f"From: {_mailbox(sender_name, sender_address)}",
        *([f"Reply-To: {_plain(reply_to)}"] if reply_to else []),
        f"To: {_plain(to)}",
        _subject(subject),
        f"Date: {formatdate(localtime=False)}",
        f"Message-ID: {_plain(message_id)}",
        *(f"{_plain(name)}: {_plain(value)}" for name, value in extra),
        "MIME-Version: 1.0",
    ]
    parts = [_part("plain", text, eight_bit), _part("html", html, eight_bit)]
    boundary = _boundary(parts)
    headers.append(f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"')
    # The CRLF before each delimiter is the delimiter's (RFC 2046, 5.1.1): the part keeps its own.
    delimiter = f"\r\n--{boundary}".encode("ascii")
    # The headers are encoded once as a whole; the parts are bytes already.
    head = ("\r\n".join(headers) + f"\r\n\r\n--{boundary}\r\n").encode("utf-8")
    return head + (delimiter + b"\r\n").join(parts) + delimiter + b"--\r\n"


def _plain(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    return value


def _mailbox(name: str, address: str) -> str:
    _plain(address)
    name = _plain(name)
    if not name:
        return address
    if not name.isascii():
        words = _encoded_words(name, len("From: "))
        last = len(words.rpartition("\n")[2]) + (0 if "\n" in words else len("From: "))
        fold = "\r\n " if last + 2 + len(address) > _LINE else " "
        return f"{words}{fold}<{address}>"
    if any(c in _SPECIALS for c in name) or "=?" in name or name != " ".join(name.split()):
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{address}>'
    return f"{name} <{address}>"


def _subject(subject: str) -> str:
    subject = _plain(subject)
    if not subject.isascii() or "=?" in subject:  # "=?" could read as an encoded word
        return f"Subject: {_encoded_words(subject, len('Subject: '))}"
    return _folded(f"Subject: {subject}")


def _folded(line: str) -> str:
    """An ASCII header folded at spaces to lines of at most 78 characters where it has spaces to fold at."""
    if len(line) <= _LINE:
        return line
    lines: list[str] = []
    current = ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > _LINE:
            lines.append(current)
            current = " " + word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\r\n".join(lines)


def _encoded_words(value: str, first_line_used: int) -> str:
    """The value as UTF-8 base64 encoded words on folded lines of at most 78 characters; never a
    character split across two words (RFC 2047, 5).

    The value is encoded once and cut into octet runs: a run ends at most its room's octets on,
    moved back to where a character starts (a UTF-8 continuation octet is 0b10xxxxxx), which is
    where taking whole characters while they fit would end it."""
    octets = value.encode("utf-8")
    words: list[str] = []
    # The first word shares the line with the header's name: it carries fewer octets.
    room = min(_WORD_OCTETS, (_LINE - first_line_used - 12) // 4 * 3)
    start = 0
    while True:
        end = start + room
        if end >= len(octets):
            words.append(_word(octets[start:]))
            return "\r\n ".join(words)
        while octets[end] & 0xC0 == 0x80:
            end -= 1
        words.append(_word(octets[start:end]))
        start, room = end, _WORD_OCTETS


def _word(octets: bytes) -> str:
    return f"=?utf-8?b?{base64.b64encode(octets).decode('ascii')}?="


def _part(subtype: str, body: str, eight_bit: bool) -> bytes:
    lines = body.splitlines()
    # RFC 2045's canonical form of text: CRLF line ends. Encoded once: the lines' lengths in
    # octets are read off the encoded whole (no line holds a CR or an LF of its own).
    canonical = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    longest = max(map(len, canonical.split(b"\r\n")))
    if longest <= _MAX_LINE and (body.isascii() or eight_bit):
        encoding = b"7bit" if body.isascii() else b"8bit"
        content = canonical
    else:
        encoding = b"base64"
        content = base64.encodebytes(canonical).replace(b"\n", b"\r\n")
    return (b'Content-Type: text/' + subtype.encode("ascii") + b'; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: " + encoding + b"\r\n\r\n" + content)


def _boundary(parts: list[bytes]) -> str:
    while True:
        boundary = f"=_{secrets.token_hex(16)}"
        if not any(boundary.encode("ascii") in part for part in parts):
            return boundary
