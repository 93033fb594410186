"""The built-in sandbox provider: links to this service's own test payment page, no network."""

from collections.abc import Mapping
from typing import Any

from ..domain.payment import Link, LinkOrder, Outcome, Payment
from ..domain.providers import Acknowledgement, WebhookRequest
from ..domain.reports import BadNotification, ProviderReport

NAME = "sandbox"


class SandboxProvider:
    """Pays nothing and talks to nobody; the page it links to plays the provider's part."""

    name = NAME
    inline = True  # no network call: the link is issued inside the order's transaction
    settings_model = None  # nothing to set up: it is on exactly where the deployment turned it on
    secret_fields: frozenset[str] = frozenset()
    acknowledges_foreign_payments = False
    webhook_document = None  # its page posts to /sandbox/pay/..., never to a webhook

    def __init__(self, public_base_url: str) -> None:
        self._base = public_base_url.rstrip("/")

    async def create_link(self, order: LinkOrder) -> Link:
        # The sandbox keeps its link for as long as the payment is open, so it never expires.
        payment = order.payment
        return Link(url=f"{self._base}/sandbox/pay/{payment.id}", provider_reference=f"sandbox-{payment.id}")

    async def check_status(self, payment: Payment, settings: Mapping[str, Any]) -> ProviderReport | None:
        return None  # its page settles the payment itself, so there is never news to fetch

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> ProviderReport:
        # Nobody could sign one: its page posts to /sandbox/pay/..., never here.
        raise BadNotification(404, "the sandbox sends no webhooks")

    def acknowledge(self, report: ProviderReport | None, outcome: Outcome, settings: Mapping[str, Any]
                    ) -> Acknowledgement:
        return Acknowledgement({"received": True, "outcome": outcome.value})


def transaction_reference(provider_event_id: str) -> str:
    """What a real provider would call its transaction id, for a sandbox payment."""
    return f"sandbox-txn-{provider_event_id}"
