"""The one shape of a payment provider: what payments asks of each, whoever it is.

A provider is registered by name (main.py builds the registry); everything else in payments —
links, reconciliation, the webhook route, the credentials API — speaks only to this port.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from .payment import Link, LinkOrder, Outcome, Payment
from .reports import ProviderReport


@dataclass(frozen=True)
class WebhookRequest:
    """A provider's notification as it arrived: signatures are over these exact bytes."""

    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # names lower-cased

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Acknowledgement:
    """The HTTP answer a provider expects once its notification is taken; anything else it repeats."""

    body: dict[str, Any]
    status: int = 200


@dataclass(frozen=True)
class WebhookDocument:
    """What a provider's notifications look like, for the public listener's API document.

    `body` and `acknowledgement` are JSON Schemas: the notification as the provider sends it and
    the body of the 200 it is answered with; `signature` says where the proof travels.
    """

    signature: str  # in words: "the Stripe-Signature header", "merchantSignature in the body"
    body: Mapping[str, Any]
    acknowledgement: Mapping[str, Any]
    content_type: str = "application/json"


class PaymentProvider(Protocol):
    """A payment provider: its links, its status checks, its signed notifications and their answers.

    Settings are the school's credentials as stored (opened from their seal); a provider that
    needs none (`settings_model` None) gets an empty mapping.
    """

    name: str  # part of the webhook URLs given out: never renamed once links carry it
    inline: bool  # no network call to make a link: it is issued inside the order's transaction
    settings_model: type | None  # the pydantic body of PUT /providers/{name}; None: nothing to set
    secret_fields: frozenset[str]  # never shown back; the whole settings are sealed at rest anyway
    # A verified report naming a payment this school does not have is acknowledged (True) or
    # refused (False). A provider whose account may serve other shops too wants the former.
    acknowledges_foreign_payments: bool
    # Its notifications as the public API document describes them; None: it sends none.
    webhook_document: WebhookDocument | None

    async def create_link(self, order: LinkOrder) -> Link: ...

    async def check_status(self, payment: Payment, settings: Mapping[str, Any]) -> ProviderReport | None:
        """What the provider says now about the payment's open link (None: nothing new)."""
        ...

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> ProviderReport:
        """Verify and decode a notification; raise BadNotification (its status) if untrusted or unreadable,
        UnknownReference if it is verified but names none of our payments."""
        ...

    def acknowledge(
        self, report: ProviderReport | None, outcome: Outcome, settings: Mapping[str, Any]
    ) -> Acknowledgement:
        """The answer to a notification that was taken (`report` None: verified, not ours)."""
        ...


def webhook_path(provider: str, account_id: UUID) -> str:
    """Where a provider sends one school's notifications, below the public base URL."""
    return f"/webhooks/{provider}/{account_id}"


class ProviderNotSetUp(Exception):
    """A change to settings the school never set: there is nothing to keep, so all of them come first."""


def changed_settings(stored: Mapping[str, Any] | None, changes: Mapping[str, Any], provider: str) -> dict[str, Any]:
    """A school's settings after a partial change: a field sent replaces the stored one, a null
    clears it, and a field not sent (a secret above all) is kept as it was."""
    if stored is None:
        raise ProviderNotSetUp(
            f"{provider} is not set up for the school yet: set all of its settings first "
            f"(PUT /api/v1/providers/{provider}); a change keeps what is stored, and nothing is"
        )
    merged = {**stored, **changes}
    return {name: value for name, value in merged.items() if value is not None}
