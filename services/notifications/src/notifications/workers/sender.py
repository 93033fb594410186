"""The email sender: a background worker that sends recorded deliveries.

- Wakes when a consumer commits a delivery (a notice, servicekit.notices), and polls every
  second in case a notice was missed or a retry fell due (servicekit.workers).
- Claims due deliveries with FOR UPDATE SKIP LOCKED, counting the try and leasing the
  row before anything is sent, so replicas never send the same delivery at once. The
  lease is short and renewed while the send is in progress (servicekit's LeaseKeeper):
  a dead sender's deliveries come back within one lease, a live one keeps its own.
- Just before the end of the message goes to the server, the try records the handover,
  fenced by its number (handovers.py: the sends in flight share that commit, and their
  ends are written the moment it returns). A try whose lease was lost (or whose email was
  cancelled) stops there, and the server, which never saw the end, keeps nothing.
- The emails go over SMTP sessions kept open between them (adapters/sessions.py): one
  transaction per email, a new session only when none is idle, the server closed it, or the last
  email on it failed. A session lost before an email's handover is replaced for that email;
  from its handover on, a failure is that try's alone, as on a new session.
- The sends that hear back from the server together are marked sent in one transaction
  (marks.py), with their NotificationSent events.
- A delivery handed over whose try died before the mark is counted as sent, not sent
  again (at most once for that window, see docs/reliability.md), unless the server drops
  repeats by an idempotency key: then it is simply tried again.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from uuid import UUID

from servicekit.backoff import Backoff
from servicekit.leases import LeaseKeeper
from servicekit.notices import Notices
from servicekit.workers import PollingWorker
from servicekit.settings import ServiceSettings
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service
from ..adapters.repository import DELIVERIES_CHANNEL
from ..adapters.unit_of_work import SqlUnitOfWork
from ..adapters.smtp import NotHandedOver, SendFailed, SmtpMailer, Unconfirmed
from ..domain.delivery import Outgoing, RetryPolicy
from ..service.unit_of_work import UnitOfWork
from ..settings import Settings
from .handovers import Handovers
from .marks import SentMarks

log = logging.getLogger("notifications.sender")


class EmailSender(PollingWorker):
    name = "email-sender"

    def __init__(
        self,
        engine: AsyncEngine,
        mailer: SmtpMailer,
        *,
        policy: RetryPolicy,
        batch_size: int = 8,
        poll_interval: float = 1.0,
        max_backoff: float = 5.0,
        lease: float = 15.0,
        notices: Notices | None = None,
        owns_notices: bool = False,
    ) -> None:
        # Stopping lets the emails already handed over finish (an interrupted one would wait out its lease).
        super().__init__(poll=poll_interval, full_batch=batch_size, notices=notices, channels=[DELIVERIES_CHANNEL],
                         owns_notices=owns_notices, backoff=Backoff(0.1, max_backoff), grace=mailer.deadline)
        self._engine = engine
        self._mailer = mailer
        self._policy = policy
        self._batch_size = batch_size
        # Renewed while a send is in progress; never shorter than the wait for the server's last
        # answer, so a try cut off from the database still ends before its handover's lease does.
        seconds = max(lease, mailer.timeout + 1)
        self._lease = timedelta(seconds=seconds)
        self._leases: LeaseKeeper[tuple[UUID, int]] = LeaseKeeper(self._renew, every=seconds / 3, name="email-sender")
        self._handovers = Handovers(engine, self._lease)
        self._marks = SentMarks(engine)
        self._retry_unconfirmed = mailer.drops_repeats

    async def stop(self) -> None:
        await super().stop()
        await self._leases.stop()
        await self._mailer.close()  # its idle sessions: the server need not wait out their timeout

    async def run_once(self) -> int:
        return await self.send_due()

    async def send_due(self) -> int:
        """Send one batch of due deliveries; returns how many were claimed."""
        async with SqlUnitOfWork.begin(self._engine) as uow:
            batch = await service.settle_and_claim(
                uow, self._batch_size, self._lease, retry_unconfirmed=self._retry_unconfirmed
            )
        await asyncio.gather(*(self._send(delivery) for delivery in batch))
        return len(batch)

    async def _renew(self, held: list[tuple[UUID, int]]) -> None:
        async with SqlUnitOfWork.begin(self._engine) as uow:
            await service.renew_leases(uow, held, self._lease)

    async def _send(self, delivery: Outgoing) -> None:
        async with self._leases.holding((delivery.id, delivery.attempts)):
            try:
                await self._mailer.send(delivery, lambda end: self._handovers.hand_over(delivery, end))
            except NotHandedOver:
                log.info("delivery %s: try %d withdrawn before the end of the message (cancelled, or "
                         "taken over after its lease ran out)", delivery.id, delivery.attempts)
                return
            except Unconfirmed as exc:
                log.warning("delivery %s: handed over, no answer seen: %s", delivery.id, exc)
                reason = str(exc)
                await self._record(delivery, lambda uow: service.record_unconfirmed(
                    uow, delivery, reason, retry=self._retry_unconfirmed, policy=self._policy,
                ))
                return
            except SendFailed as exc:
                await self._failed(delivery, str(exc), permanent=exc.permanent)
                return
            except Exception as exc:  # a bug, not the mail server: retried within the attempt limit
                log.exception("delivery %s could not be handed over", delivery.id)
                await self._failed(delivery, f"{type(exc).__name__}: {exc}", permanent=False)
                return
            await self._record(delivery, marked=self._marks.mark)

    async def _failed(self, delivery: Outgoing, error: str, *, permanent: bool) -> None:
        log.warning("delivery %s not sent (try %d, %s): %s", delivery.id, delivery.attempts,
                    "final" if permanent else "will retry", error)
        await self._record(
            delivery,
            lambda uow: service.record_failure(uow, delivery, error, permanent=permanent, policy=self._policy),
        )

    async def _record(self, delivery: Outgoing, outcome: Callable[[UnitOfWork], Awaitable[None]] | None = None,
                      *, marked: Callable[[Outgoing], Awaitable[None]] | None = None) -> None:
        """Record the try's outcome in a transaction of its own, or with `marked` (the sends that
        ended together, marks.py)."""
        # The try is over: a database blip must not turn it into another try after the lease.
        delay = 0.1
        for attempt in range(1, 6):
            try:
                if marked is not None:
                    await marked(delivery)
                else:
                    assert outcome is not None
                    async with SqlUnitOfWork.begin(self._engine) as uow:
                        await outcome(uow)
                return
            except Exception as exc:
                if attempt == 5:
                    log.error("could not record the outcome of delivery %s: %r", delivery.id, exc)
                    return
                await asyncio.sleep(delay)
                delay *= 2


def email_sender(engine: AsyncEngine, settings: ServiceSettings, notices: Notices | None = None) -> EmailSender:
    """Worker factory for build_app; made on its own (a test, a tool) it listens for itself."""
    assert isinstance(settings, Settings)
    mailer = SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        tls=settings.smtp_tls,
        validate_certs=settings.smtp_validate_certs,
        ca_file=settings.smtp_ca_file,
        timeout=settings.smtp_timeout,
        idempotency_header=settings.smtp_idempotency_header,
        idle_timeout=settings.smtp_idle_timeout,
    )
    policy = RetryPolicy(
        first=settings.send_retry_first, cap=settings.send_retry_cap, max_attempts=settings.send_max_attempts
    )
    return EmailSender(
        engine, mailer, policy=policy, batch_size=settings.send_concurrency, lease=settings.send_lease,
        notices=notices or Notices.of(engine), owns_notices=notices is None,
    )
