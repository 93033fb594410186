"""CRM API: payments of orders (the payments service)."""

from uuid import UUID

from fastapi import APIRouter, Request, Response

from ..auth import CurrentPrincipal
from ..proxy import forward

router = APIRouter(prefix="/api/v1", tags=["payments"])


@router.get("/orders/{order_id}/payments", summary="Payments of an order")
async def order_payments(order_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "payments", f"/orders/{order_id}/payments", who)


@router.get("/payments/{payment_id}", summary="A payment")
async def payment(payment_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "payments", f"/payments/{payment_id}", who)
