"""Public webhooks of the payment providers: verify on the raw body, apply once, answer."""

import logging
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from servicekit.db import EngineDep
from servicekit.http import Problem, current_correlation_id
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service
from ..adapters import repository as repo
from ..adapters import stripe_checkout, wayforpay
from ..domain.payment import AmountMismatch, NotPayable, Outcome, PaymentNotFound
from ..domain.reports import BadNotification, ProviderReport, UnknownReference

log = logging.getLogger("payments.webhooks")

webhooks = APIRouter(prefix="/webhooks", tags=["webhooks"])

# Providers' notifications are small; anything bigger is not one of them.
MAX_WEBHOOK_BYTES = 256_000


async def _raw(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_WEBHOOK_BYTES:
        raise Problem(413, "Request too large", f"at most {MAX_WEBHOOK_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise Problem(413, "Request too large", f"at most {MAX_WEBHOOK_BYTES} bytes")
    return body


async def _settings(request: Request, account_id: UUID, provider: str) -> dict[str, Any]:
    async with request.app.state.engine.connect() as conn:
        settings = await repo.provider_settings(conn, request.app.state.sealer, account_id, provider)
    if not settings:
        log.warning("%s webhook refused for account %s: provider not configured", provider, account_id)
        raise Problem(404, "Not found", f"no {provider} settings for this account")
    return settings


def _refused(
    provider: str, account_id: UUID, status: int, reason: str, report: ProviderReport | None = None
) -> Problem:
    # Logged without the body: it may carry card or personal data.
    log.warning(
        "%s webhook refused for account %s (%d): %s%s", provider, account_id, status, reason,
        f" [event {report.event_id}, payment {report.payment_id}]" if report else "",
    )
    return Problem(status, "Notification refused", reason)


async def _apply(
    engine: AsyncEngine, provider: str, account_id: UUID, report: ProviderReport, *, unknown_is_foreign: bool = False,
) -> Outcome:
    """With `unknown_is_foreign`, a report about a payment this school does not have is taken and
    ignored: one Stripe account may serve other shops, and Stripe retries any other answer for days
    and then disables the endpoint."""
    try:
        async with engine.begin() as conn:
            outcome = await service.apply_report(
                conn, provider=provider, report=report, account_id=account_id,
                correlation_id=current_correlation_id(),
            )
    except PaymentNotFound as exc:
        if not unknown_is_foreign:
            raise _refused(provider, account_id, 404, str(exc), report) from None
        log.info("%s event %s for account %s names no payment of this school (%s): acknowledged, nothing changed",
                 provider, report.event_id, account_id, exc)
        return Outcome.NOT_OURS
    except AmountMismatch as exc:
        raise _refused(provider, account_id, 422, str(exc), report) from None
    except NotPayable as exc:
        raise _refused(provider, account_id, 409, str(exc), report) from None
    log.info("%s event %s for payment %s: %s", provider, report.event_id, report.payment_id, outcome.value)
    return outcome


@webhooks.post("/stripe/{account_id}", summary="Stripe's events for one school (signed)")
async def stripe_webhook(account_id: UUID, request: Request, engine: EngineDep) -> dict[str, Any]:
    raw = await _raw(request)
    settings = await _settings(request, account_id, stripe_checkout.NAME)
    try:
        report = stripe_checkout.parse_webhook(
            raw, request.headers.get("stripe-signature"), str(settings.get("webhook_secret", "")),
            tolerance=request.app.state.settings.stripe_webhook_tolerance_seconds,
        )
    except UnknownReference as exc:
        log.info("stripe event for account %s: %s; acknowledged, nothing changed", account_id, exc)
        return {"received": True, "outcome": Outcome.NOT_OURS.value}
    except BadNotification as exc:
        raise _refused("stripe", account_id, exc.status, str(exc)) from None
    outcome = await _apply(engine, stripe_checkout.NAME, account_id, report, unknown_is_foreign=True)
    return {"received": True, "outcome": outcome.value}


@webhooks.post("/wayforpay/{account_id}", summary="WayForPay's serviceUrl callback for one school (signed)")
async def wayforpay_webhook(account_id: UUID, request: Request, engine: EngineDep) -> JSONResponse:
    raw = await _raw(request)
    settings = await _settings(request, account_id, wayforpay.NAME)
    try:
        report = wayforpay.parse_callback(
            raw, settings, max_age=request.app.state.settings.wayforpay_callback_max_age_seconds)
    except BadNotification as exc:
        raise _refused("wayforpay", account_id, exc.status, str(exc)) from None
    await _apply(engine, wayforpay.NAME, account_id, report)
    reference = str((report.payload or {}).get("orderReference"))
    # Sent only now: the callback is stored and applied, so WayForPay may stop repeating it.
    return JSONResponse(wayforpay.accept_response(str(settings["secret_key"]), reference))
