"""Hands rendered emails to the mail server (aiosmtplib) and says whether a failure is final."""

import asyncio
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Literal

import aiosmtplib

from ..domain.delivery import Outgoing


class SendFailed(Exception):
    """The mail server did not take the email. `permanent`: trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


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
        self._domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"

    @property
    def deadline(self) -> float:
        """The longest one email may take, connecting included."""
        return self._timeout * 3

    def compose(self, email: Outgoing) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = email.recipient
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=False)
        # The same on every try, so a mail client can fold a rare duplicate into one.
        message["Message-ID"] = f"<{email.id}@{self._domain}>"
        message.set_content(email.text_body)
        message.add_alternative(email.html_body, subtype="html")
        return message

    async def send(self, email: Outgoing) -> None:
        """Deliver one email to the mail server, or raise SendFailed."""
        try:
            async with asyncio.timeout(self.deadline):
                await aiosmtplib.send(
                    self.compose(email),
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
            raise SendFailed(f"{type(exc).__name__}: {exc}", permanent=False) from exc
