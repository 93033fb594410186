"""Hands rendered emails to the mail server (aiosmtplib) and says whether a failure is final, or unknown."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Literal

import aiosmtplib

from ..domain.delivery import Outgoing
from . import mime
from .sessions import Session, Sessions


class SendFailed(Exception):
    """The mail server did not take the email. `permanent`: trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Unconfirmed(Exception):
    """The end of the message may have reached the server, but its answer was not seen."""


class NotHandedOver(Exception):
    """`handing_over` said no: the message was withdrawn before its end, so the server has nothing."""


# Given the function that writes the end of the message, says whether the try may hand it over.
# Saying yes, it must have called that function, at once (no await) after the handover became
# durable: the time between the two is the one window in which a crash loses the email.
HandingOver = Callable[[Callable[[], None]], Awaitable[bool]]


async def _go_ahead(end_of_data: Callable[[], None]) -> bool:
    end_of_data()
    return True


def _refused_for_good(code: int) -> bool:
    return 500 <= code < 600


class SmtpMailer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        tls: Literal["none", "starttls", "tls"] = "none",
        validate_certs: bool = True,
        ca_file: str | None = None,
        timeout: float = 10,
        idempotency_header: str | None = None,
        idle_timeout: float = 30,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._username = username
        self._password = password
        self._tls = tls
        self._validate_certs = validate_certs
        self._ca_file = ca_file
        self._timeout = timeout
        self._idempotency_header = idempotency_header
        self._sender_name, self._sender_address = parseaddr(sender)
        self._domain = self._sender_address.rpartition("@")[2] or "localhost"
        self._sessions = Sessions(self._connect, idle_timeout=idle_timeout)

    @property
    def timeout(self) -> float:
        """The longest wait for one answer of the server (the one to the end of the message included)."""
        return self._timeout

    @property
    def deadline(self) -> float:
        """The longest one email may take, connecting included."""
        return self._timeout * 3

    @property
    def drops_repeats(self) -> bool:
        """Whether the server drops a second copy of a message (it honours our idempotency key)."""
        return bool(self._idempotency_header)  # an empty value is no key

    def _connect(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            use_tls=self._tls == "tls",
            start_tls=self._tls == "starttls",
            validate_certs=self._validate_certs,
            cert_bundle=self._ca_file,
            timeout=self._timeout,
        )

    def compose(self, email: Outgoing, *, eight_bit: bool = True) -> bytes:
        """The message's bytes (mime.py), CRLF line ends, before DATA's dot-stuffing."""
        # The school's name before the platform's address: the envelope and the address stay the
        # platform's, so SPF and DKIM still hold; replies go to the school when it gave an address.
        # A provider that honours an idempotency key sends one email per key, however often it is handed over.
        extra = ((self._idempotency_header, str(email.id)),) if self._idempotency_header else ()
        return mime.compose(
            # The same on every try, so a mail client can fold a rare duplicate into one.
            message_id=f"<{email.id}@{self._domain}>",
            sender_name=email.sender_name or self._sender_name, sender_address=self._sender_address,
            to=email.recipient, reply_to=email.reply_to, subject=email.subject,
            text=email.text_body, html=email.html_body, extra=extra, eight_bit=eight_bit,
        )

    async def send(self, email: Outgoing, handing_over: HandingOver = _go_ahead) -> None:
        """Deliver one email to the mail server, or raise SendFailed, Unconfirmed or NotHandedOver.

        The transaction is driven step by step so that `handing_over` decides, after the whole
        message is written and before its final "." (RFC 5321's end of mail data). Until that
        "." the server holds nothing it may deliver: a try stopped earlier, however it stops,
        leaves no email behind. From the "." on the server may own the message, so a missing
        answer is Unconfirmed, never a failure worth a blind retry.

        The message goes over an open session when one is idle (sessions.py). A kept session the
        server has closed meanwhile (a 421, a dropped connection) is noticed at the latest by this
        message's first commands: before its handover was even asked for, the server holds nothing
        of it, so the message is sent once more on a new session. Never after: from the handover on
        a failure is this try's, as it is on a new session.
        """
        progress = _Progress()
        try:
            async with asyncio.timeout(self.deadline):
                session = await self._sessions.take()
                try:
                    await self._transaction(session, email, handing_over, progress)
                except Exception as exc:
                    if not (session.reused and not progress.handing and _session_gone(exc)):
                        raise
                    await self._transaction(await self._sessions.open(), email, handing_over, progress)
        except (NotHandedOver, Unconfirmed):
            raise
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusals = exc.recipients
            raise SendFailed(
                "; ".join(f"{r.code} {r.message}" for r in refusals),
                permanent=bool(refusals) and all(_refused_for_good(r.code) for r in refusals),
            ) from exc
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as exc:
            # Only a refusal of this recipient or this message is final; a 5xx about our
            # login, sender or TLS is a configuration problem that a fix will cure.
            raise SendFailed(f"{exc.code} {exc.message}", permanent=_refused_for_good(exc.code)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailed(f"{type(exc).__name__}: {exc.code} {exc.message}", permanent=False) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if progress.ended:  # the server may have the message and said nothing we heard
                raise Unconfirmed(f"{type(exc).__name__}: {exc}") from exc
            raise SendFailed(f"{type(exc).__name__}: {exc}", permanent=False) from exc
        except Exception as exc:
            if progress.ended:  # even a bug of ours after the end must not turn into a second copy
                raise Unconfirmed(f"{type(exc).__name__}: {exc}") from exc
            raise

    async def close(self) -> None:
        """Say goodbye on the idle sessions (a stopping sender); a later send opens a new one."""
        await self._sessions.close()

    async def _transaction(self, session: Session, email: Outgoing, handing_over: HandingOver,
                           progress: "_Progress") -> None:
        client = session.client
        done = False
        try:
            sender, recipient = self._sender_address, email.recipient
            # An address in UTF-8 (RFC 6531) goes as it is, in the envelope and in the headers.
            utf8 = not (sender + recipient + (email.reply_to or "")).isascii()
            if utf8 and not client.supports_extension("smtputf8"):
                raise aiosmtplib.SMTPNotSupported("the recipient's address needs SMTPUTF8, which the server lacks")
            eight_bit = client.supports_extension("8bitmime")
            data = _dot_stuffed(self.compose(email, eight_bit=eight_bit))
            options = [f"SIZE={len(data) + 3}"] if client.supports_extension("size") else []
            options += ["SMTPUTF8"] if utf8 else []
            options += ["BODY=8BITMIME"] if eight_bit else []
            encoding = "utf-8" if utf8 else "ascii"
            await client.mail(sender, options=options, encoding=encoding)
            await client.rcpt(recipient, encoding=encoding)
            started = await client.execute_command(b"DATA")
            if started.code != 354:
                raise aiosmtplib.SMTPDataError(started.code, started.message)
            protocol = client.protocol
            assert protocol is not None
            protocol.write(data)  # an email is small: the kernel takes it at once, no flow control needed

            def end_of_data() -> None:
                # aiosmtplib drops a reply that arrives while none is expected, and this one may
                # come before read_response is awaited: expect it first (as its own commands do).
                protocol._response_pending = True
                protocol.write(b".\r\n")
                progress.ended = True

            progress.handing = True
            if not await handing_over(end_of_data):
                raise NotHandedOver(f"delivery {email.id} is no longer this try's to send")
            if not progress.ended:
                raise RuntimeError("handing_over said yes without ending the message")
            answer = await protocol.read_response(timeout=self._timeout)
            if answer.code != 250:
                raise aiosmtplib.SMTPDataError(answer.code, answer.message)
            done = True
        finally:
            if done:
                # The server has the message and the session is between transactions: the next
                # message may go over it (a failed goodbye later changes nothing about this one).
                self._sessions.give_back(session)
            else:
                # Drop the connection: mid-DATA that is the only way to withdraw the message, and
                # a session in an unknown state must carry no other message.
                session.client.close()


@dataclass
class _Progress:
    handing: bool = False  # handing_over was asked: from here a failure is this try's, never resent
    ended: bool = False  # the "." was written: the server may have the message


def _session_gone(exc: BaseException) -> bool:
    """Whether a kept session turned out closed by the server (not a refusal of this message)."""
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | ConnectionError | BrokenPipeError):
        return True
    return isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code == 421


def _dot_stuffed(message: bytes) -> bytes:
    """The message as DATA carries it, without the final ".": CRLF lines, a leading "." doubled.

    Replacements on the whole message rather than a pass over its lines: every CR, LF or CRLF
    becomes one CRLF (a CRLF first, so its CR is not counted twice), and then every line start
    is the message's start or an LF."""
    message = message.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    message = message.replace(b"\n.", b"\n..")
    return b"." + message if message.startswith(b".") else message
