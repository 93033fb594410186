"""The payments worker: wanted provider links, scheduled reminders and overdue payments.

Every replica runs one. Reminders and overdue payments are locked with SKIP LOCKED for one
transaction; links are leased, as the provider call outlives a transaction. So replicas share the
work and a restart only delays it. It wakes on a notice when a link is wanted (servicekit.notices),
and polls as a safety net and for reminders coming due.
"""

from servicekit.notices import Notices
from servicekit.workers import PollingWorker

from .. import service
from ..adapters.repository import LINKS_CHANNEL
from ..service import Providers, UnitOfWorkFactory


class PaymentsWorker(PollingWorker):
    name = "payments-worker"

    def __init__(self, unit_of_work: UnitOfWorkFactory, providers: Providers, *,
                 poll_interval: float = 1.0, notices: Notices | None = None, owns_notices: bool = False) -> None:
        super().__init__(poll=poll_interval, notices=notices, channels=[LINKS_CHANNEL], owns_notices=owns_notices)
        self._unit_of_work = unit_of_work
        self._providers = providers

    async def run_once(self) -> int:
        """One pass over everything due; returns how much was done."""
        done = await service.issue_pending_links(self._unit_of_work, self._providers)
        done += await service.send_due_reminders(self._unit_of_work, self._providers)
        done += await service.mark_overdue(self._unit_of_work)
        return done
