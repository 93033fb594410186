"""Lets a visitor's status request wait for the payment link instead of polling.

Whichever replica applies the second of OrderCreated and PaymentLinkIssued, the one that makes
the checkout ready, notifies `checkout_ready` with the checkout id on commit; every replica's
notices connection (servicekit.notices) wakes the requests waiting for that checkout there, and a
lost connection wakes them all to read again.
"""

import asyncio
import contextlib
from collections.abc import Iterator
from uuid import UUID

from servicekit.notices import Notices

# Notified with the checkout's id by the statement that makes it ready (repository.record_order or
# record_payment_link); delivered on commit, so a woken request reads the change.
CHANNEL = "checkout_ready"


@contextlib.contextmanager
def watch_checkout(notices: Notices, checkout_id: UUID) -> Iterator[asyncio.Event]:
    """Set when the checkout may have changed; entered before the status is read."""
    with notices.watch(CHANNEL, str(checkout_id)) as changed:
        yield changed
