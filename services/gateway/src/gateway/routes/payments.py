"""CRM API: payments of orders, provider settings and reminder schedules (the payments service)."""

from uuid import UUID

from fastapi import APIRouter, Request, Response
from servicekit.inputs import OrderRef, ProviderName

from ..auth import CurrentPrincipal
from ..proxy import JSON_BODY, forward, segment

router = APIRouter(prefix="/api/v1", tags=["payments"])

@router.get("/orders/{order}/payments", summary="Payments of an order, by its id or number")
@router.post("/orders/{order}/payments", status_code=201, openapi_extra=JSON_BODY,
             summary="Add a paid or unpaid payment to an order (Idempotency-Key honoured)")
async def order_payments(order: OrderRef, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "payments", f"/orders/{segment(order)}/payments", who)


@router.get("/payments/{payment_id}", summary="A payment")
@router.patch("/payments/{payment_id}", openapi_extra=JSON_BODY,
              summary="Change a payment: planned date, amount while unpaid, comment, closes_access, "
                      "or status \"cancelled\"")
async def payment(payment_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "payments", f"/payments/{payment_id}", who)


@router.post("/payments/{payment_id}/mark-paid", openapi_extra=JSON_BODY,
             summary="Mark an unpaid payment paid by hand, with a comment; `parts` splits it across methods")
async def mark_paid(payment_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "payments", f"/payments/{payment_id}/mark-paid", who)


@router.post("/payments/{payment_id}/send-link", status_code=202, summary="Email the payment link again")
async def send_link(payment_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "payments", f"/payments/{payment_id}/send-link", who)


@router.post("/payments/{payment_id}/reminders", status_code=202, summary="Remind the contact to pay")
async def reminders(payment_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "payments", f"/payments/{payment_id}/reminders", who)


@router.get("/providers/{provider}", summary="The school's settings for a payment provider (no secrets)")
@router.put("/providers/{provider}", openapi_extra=JSON_BODY,
            summary="Set the school's credentials for a payment provider (one payments has a module for)")
@router.patch("/providers/{provider}", openapi_extra=JSON_BODY,
              summary="Change some of a provider's settings; those not sent, secrets included, are kept")
async def provider(provider: ProviderName, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "payments", f"/providers/{provider}", who)


@router.get("/reminder-schedule", summary="When scheduled payment reminders go out")
@router.put("/reminder-schedule", openapi_extra=JSON_BODY,
            summary="Set the reminder offsets, in hours around each planned date")
async def reminder_schedule(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "payments", "/reminder-schedule", who)
