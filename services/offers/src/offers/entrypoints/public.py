"""Public HTTP routes of the offers service (offer page, checkouts): thin, no rules."""

import asyncio
import contextlib
from typing import Annotated, Any
from uuid import UUID

import phonenumbers
from contracts import ContactData
from fastapi import APIRouter, Query, Request, status
from servicekit.api import problem_responses
from servicekit.db import EngineDep
from servicekit.http import Problem, current_correlation_id
from servicekit.idempotency import IdempotencyKeyHeader, fingerprinted

from .. import service, views
from ..adapters.checkout_notices import watch_checkout
from ..domain.errors import OfferUnavailable
from .answers import CheckoutOpened, CheckoutStatusView, PublicOffer
from .bodies import CheckoutIn
from .common import UnitOfWorkDep

# A visitor needs no proof; an input the rules refuse and load shedding are answered before any route.
public = APIRouter(prefix="/public", tags=["public"], responses=problem_responses(422, 503))


def _e164(phone: str | None) -> str | None:
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise Problem(422, "Invalid request", "phone is not a valid international number (+380501234567)",
                      errors=[{"field": "phone", "message": "not a valid international phone number"}])
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@public.get("/offers/{offer_id}", response_model=PublicOffer, responses=problem_responses(404),
            summary="The offer page: titles and prices")
async def public_offer(offer_id: UUID, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.public_offer(conn, offer_id)
    if found is None:
        raise Problem(404, "Offer not available", OfferUnavailable.reason)
    return found


@public.post("/offers/{offer_id}/checkouts", status_code=status.HTTP_202_ACCEPTED, response_model=CheckoutOpened,
             responses=problem_responses(404, 409), summary="Open an offer: the order and its payment link follow")
async def open_offer(
    offer_id: UUID, body: CheckoutIn, request: Request, unit_of_work: UnitOfWorkDep,
    idempotency_key: IdempotencyKeyHeader,
) -> dict[str, Any]:
    contact = ContactData(name=body.name.strip(), email=body.email, phone=_e164(body.phone), locale=body.locale)
    async with unit_of_work() as uow:
        checkout_id = await service.open_offer(
            uow, offer_id, contact, body.source, current_correlation_id(),
            idempotency=fingerprinted(idempotency_key, body),
            sandbox_enabled=request.app.state.settings.sandbox_enabled,
        )
    base = request.app.state.settings.public_base_url.rstrip("/")
    return {"checkout_id": checkout_id, "status_url": f"{base}/public/v1/checkouts/{checkout_id}"}


MAX_WAIT_SECONDS = 8.0


@public.get("/checkouts/{checkout_id}", response_model=CheckoutStatusView, responses=problem_responses(404),
            summary="How far a checkout has got")
async def checkout_status(
    checkout_id: UUID, request: Request, engine: EngineDep,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS, description="seconds to wait while pending")] = 0,
) -> dict[str, Any]:
    """With `wait`, a pending checkout answers as soon as it is ready (or when time is up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    with watch_checkout(request.app.state.notices, checkout_id) as changed:
        while True:
            changed.clear()  # before reading, so a change made after the read still wakes us
            async with engine.connect() as conn:
                found = await views.checkout_status(conn, checkout_id)
            if found is None:
                raise Problem(404, "Not found", f"no checkout {checkout_id}")
            remaining = deadline - loop.time()
            if found["status"] != "pending" or remaining <= 0:
                return found
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
