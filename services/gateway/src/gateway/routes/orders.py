"""CRM API: orders, contacts and pipelines (the orders service)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request, Response

from ..auth import CurrentPrincipal
from ..proxy import forward

router = APIRouter(prefix="/api/v1", tags=["orders"])

OrderRef = Annotated[str, "an order id or its number"]


@router.get("/pipelines", summary="Pipelines with their stages")
async def pipelines(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", "/pipelines", who)


@router.get("/orders", summary="Orders: newest first; filters, q (number, name, email, phone), cursor, limit")
async def orders(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", "/orders", who)


@router.get("/orders/{order}", summary="The order card, by id or number")
async def order(order: OrderRef, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/orders/{order}", who)


@router.get("/orders/{order}/history", summary="The order's timeline")
async def order_history(order: OrderRef, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/orders/{order}/history", who)


@router.get("/contacts/{contact_id}", summary="A contact")
async def contact(contact_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/contacts/{contact_id}", who)


@router.get("/contacts/{contact_id}/orders", summary="The contact's orders")
async def contact_orders(contact_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/contacts/{contact_id}/orders", who)
