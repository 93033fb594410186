"""HTTP routes of the payments service: thin, no rules."""

from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from servicekit.db import EngineDep
from servicekit.http import AccountId, Problem, current_correlation_id
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service, views
from ..adapters import sandbox as sandbox_provider
from ..domain.payment import AmountMismatch, NotPayable, Outcome, PaymentNotFound
from . import pages
from .schemas import SandboxDeclined, SandboxSucceeded, read_form

crm = APIRouter(tags=["payments"])
sandbox = APIRouter(prefix="/sandbox", tags=["sandbox"])


@crm.get("/orders/{order_id}/payments")
async def order_payments(order_id: UUID, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        return {"items": await views.order_payments(conn, account, order_id)}


@crm.get("/payments/{payment_id}")
async def get_payment(payment_id: UUID, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.payment(conn, account, payment_id)
    if found is None:
        raise Problem(404, "Not found", f"no payment {payment_id}")
    return found


def _not_found(payment_id: UUID) -> Problem:
    return Problem(404, "Not found", f"no sandbox payment {payment_id}")


async def _sandbox_view(engine: AsyncEngine, payment_id: UUID) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.sandbox_payment(conn, payment_id, sandbox_provider.NAME)
    if found is None:
        raise _not_found(payment_id)
    return found


@sandbox.get("/pay/{payment_id}", response_class=HTMLResponse, summary="The sandbox's hosted payment page")
async def sandbox_page(payment_id: UUID, engine: EngineDep) -> HTMLResponse:
    payment = await _sandbox_view(engine, payment_id)
    return HTMLResponse(pages.payment_page(payment, event_id=uuid4().hex), headers={"Cache-Control": "no-store"})


@sandbox.post("/pay/{payment_id}/succeed", response_class=HTMLResponse, summary="The sandbox confirms the payment")
async def sandbox_succeed(payment_id: UUID, request: Request, engine: EngineDep) -> HTMLResponse:
    form = await read_form(request, SandboxSucceeded)
    try:
        async with engine.begin() as conn:
            await service.confirm_payment(
                conn, provider=sandbox_provider.NAME, provider_event_id=form.event_id, payment_id=payment_id,
                amount=form.amount, currency=form.currency,
                provider_reference=sandbox_provider.transaction_reference(form.event_id),
                correlation_id=current_correlation_id(),
            )
    except PaymentNotFound:
        raise _not_found(payment_id) from None
    except AmountMismatch as exc:
        raise Problem(422, "Amount mismatch", str(exc)) from None
    except NotPayable as exc:
        raise Problem(409, "Payment cannot be paid", str(exc)) from None
    payment = await _sandbox_view(engine, payment_id)
    return HTMLResponse(pages.result_page(payment, payment["status"]))


@sandbox.post("/pay/{payment_id}/decline", response_class=HTMLResponse, summary="The sandbox declines one try")
async def sandbox_decline(payment_id: UUID, request: Request, engine: EngineDep) -> HTMLResponse:
    form = await read_form(request, SandboxDeclined)
    try:
        async with engine.begin() as conn:
            outcome = await service.decline_payment(
                conn, provider=sandbox_provider.NAME, provider_event_id=form.event_id, payment_id=payment_id,
                reason=form.reason,
            )
    except PaymentNotFound:
        raise _not_found(payment_id) from None
    payment = await _sandbox_view(engine, payment_id)
    declined = outcome in (Outcome.DECLINED, Outcome.DUPLICATE) and payment["status"] == "unpaid"
    return HTMLResponse(pages.result_page(payment, "declined" if declined else payment["status"]))
