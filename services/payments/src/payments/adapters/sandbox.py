"""The built-in sandbox provider: links to this service's own test payment page, no network."""

from ..domain.payment import Link, LinkOrder

NAME = "sandbox"


class SandboxProvider:
    """Pays nothing and talks to nobody; the page it links to plays the provider's part."""

    name = NAME
    inline = True  # no network call: the link is issued inside the order's transaction

    def __init__(self, public_base_url: str) -> None:
        self._base = public_base_url.rstrip("/")

    async def create_link(self, order: LinkOrder) -> Link:
        # The sandbox keeps its link for as long as the payment is open, so it never expires.
        payment = order.payment
        return Link(url=f"{self._base}/sandbox/pay/{payment.id}", provider_reference=f"sandbox-{payment.id}")


def transaction_reference(provider_event_id: str) -> str:
    """What a real provider would call its transaction id, for a sandbox payment."""
    return f"sandbox-txn-{provider_event_id}"
