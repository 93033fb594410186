"""Every letter as the contact gets it, byte for byte: subject, text, HTML and the composed message
(8bit and base64, dot-stuffed as DATA carries it) of every kind × locale × case of
bench/letter_cases.py, against SHA-256 digests recorded from the code before rendering and
composing were made cheaper. A change of wording or format shows here as the letters it moved;
when the change is meant, record again:

    python services/notifications/tests/unit/test_rendered_bytes.py --record
"""

import hashlib
import importlib.util
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from notifications.adapters import mime
from notifications.adapters.smtp import SmtpMailer, _dot_stuffed
from notifications.rendering import render

HERE = Path(__file__).parent
DIGESTS = HERE / "rendered_bytes.json"
_spec = importlib.util.spec_from_file_location("letter_cases", HERE.parents[1] / "bench" / "letter_cases.py")
assert _spec is not None and _spec.loader is not None
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

MAILER = SmtpMailer(host="mail", port=25, sender="Online school <no-reply@school.example>",
                    idempotency_header="Resend-Idempotency-Key")


@contextmanager
def fixed_date_and_boundary() -> Iterator[None]:
    """The message's only inputs that are not the letter's: the date and the random boundary."""
    saved = mime.formatdate, mime.secrets
    mime.formatdate = lambda *a, **k: "Thu, 03 Dec 2026 06:00:00 -0000"  # type: ignore[assignment]
    mime.secrets = SimpleNamespace(token_hex=lambda n: "0123456789abcdef" * (n // 8))  # type: ignore[assignment]
    try:
        yield
    finally:
        mime.formatdate, mime.secrets = saved


def _sha(data: str | bytes) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def digests() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    with fixed_date_and_boundary():
        for name, letter in cases.letters():
            rendered = render(letter)
            email = cases.outgoing(letter, rendered)
            found[name] = {
                "subject": _sha(rendered.subject), "text": _sha(rendered.text), "html": _sha(rendered.html),
                "message_8bit": _sha(_dot_stuffed(MAILER.compose(email, eight_bit=True))),
                "message_base64": _sha(_dot_stuffed(MAILER.compose(email, eight_bit=False))),
            }
    return found


def test_every_letter_is_written_as_it_was() -> None:
    recorded = json.loads(DIGESTS.read_text())
    now = digests()
    assert sorted(now) == sorted(recorded), "the letters' cases changed: record again"
    assert len(now) >= 300
    moved = [f"{name}: {part}" for name in now for part in now[name] if now[name][part] != recorded[name][part]]
    assert not moved, f"{len(moved)} parts changed, e.g. {moved[:10]}"


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    DIGESTS.write_text(json.dumps(digests(), indent=0, sort_keys=True) + "\n")
    print(f"recorded {DIGESTS}")
