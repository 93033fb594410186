from typing import Literal

from pydantic_settings import SettingsConfigDict
from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/notifications"
    http_port: int = 8004

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    # none: plain SMTP (a local mail catcher); starttls: upgrade, required; tls: implicit TLS (port 465).
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    # With TLS: check the server's certificate and name (off only for a test server you trust).
    smtp_validate_certs: bool = True
    # A PEM bundle of authorities to trust instead of the system's (a private mail relay's CA).
    smtp_ca_file: str | None = None
    smtp_timeout: float = 10
    # Seconds an SMTP session stays open with no email to send before the sender says goodbye;
    # within it the next email goes over the same session (0: a new connection per email).
    smtp_idle_timeout: float = 30
    mail_from: str = "Online school <no-reply@school.local>"
    # The IANA zone of dates and times in emails of a school that has not named its own.
    default_time_zone: str = "UTC"
    # A header the mail server or provider honours as an idempotency key (Resend over SMTP:
    # Resend-Idempotency-Key), sent with the delivery's id. Only then is a message whose handover
    # went unanswered sent again; without one such a message counts as sent (at most once).
    smtp_idempotency_header: str | None = None

    # How the sender retries a delivery the mail server could not take yet.
    send_retry_first: float = 5.0
    send_retry_cap: float = 900.0
    send_max_attempts: int = 30
    # Emails handed to the mail server at the same time by one process.
    send_concurrency: int = 8
    # How long a claimed delivery stays its sender's without a renewal; renewed every third of it
    # while the send is in progress, so a dead sender's emails come back after at most this long.
    # Never shorter than the wait for the server's final answer (SMTP_TIMEOUT) plus 1 s.
    send_lease: float = 15.0
