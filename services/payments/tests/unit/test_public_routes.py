"""Which routes the public listener serves: the provider-facing ones, nothing of the CRM API."""

from payments.main import PUBLIC_PREFIXES
from servicekit.listeners import is_public


def test_what_counts_as_public() -> None:
    assert all(is_public(p, PUBLIC_PREFIXES) for p in ("/webhooks/stripe/x", "/sandbox/pay/x", "/thanks"))
    assert not any(is_public(p, PUBLIC_PREFIXES) for p in ("/orders/x/payments", "/thanksgiving", "/sandboxes",
                                                            "/health", "/providers/stripe", "/"))
