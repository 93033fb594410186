"""Reconciliation: ask providers about payments stuck unpaid, and apply their answers as webhooks are."""

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from . import service
from .adapters import repository as repo
from .adapters.sealing import Sealer
from .adapters.unit_of_work import SqlUnitOfWork
from .domain.payment import PaymentError
from .domain.reports import ProviderUnavailable
from .service import Providers

log = logging.getLogger("payments.reconcile")


async def reconcile(engine: AsyncEngine, providers: Providers, sealer: Sealer, *, limit: int = 500) -> dict[str, int]:
    """One pass; returns counts of what was found (checked, changed, failed)."""
    # An inline provider is its own payment page: there is nobody else to ask.
    checkable = {name: p for name, p in providers.items() if not p.inline}
    counts = {"checked": 0, "changed": 0, "failed": 0}
    async with engine.connect() as conn:
        stuck = await repo.stuck_with_provider(conn, list(checkable), limit=limit)
    for payment in stuck:
        counts["checked"] += 1
        async with engine.connect() as conn:
            settings: Any = await repo.provider_settings_now(conn, sealer, payment.account_id, payment.provider)
        try:
            if not settings and checkable[payment.provider].settings_model is not None:
                raise ProviderUnavailable(f"no {payment.provider} settings")
            report = await checkable[payment.provider].check_status(payment, settings or {})
        except ProviderUnavailable as exc:
            counts["failed"] += 1
            log.warning("cannot check payment %s with %s: %s", payment.id, payment.provider, exc)
            continue
        if report is None:
            continue
        try:
            async with SqlUnitOfWork.begin(engine, sealer) as uow:
                outcome = await service.apply_report(
                    uow, provider=payment.provider, report=report, account_id=payment.account_id,
                    correlation_id=payment.correlation_id or payment.id,
                )
        except PaymentError as exc:
            counts["failed"] += 1
            log.warning("payment %s: %s's answer not applied: %s", payment.id, payment.provider, exc)
            continue
        if outcome.value in ("paid", "declined", "refunded"):
            counts["changed"] += 1
        log.info("payment %s reconciled with %s: %s", payment.id, payment.provider, outcome.value)
    return counts
