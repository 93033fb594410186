"""CRM API: emails about orders and their delivery log (the notifications service)."""

from uuid import UUID

from fastapi import APIRouter, Request, Response

from ..auth import CurrentPrincipal
from ..proxy import forward

router = APIRouter(prefix="/api/v1", tags=["notifications"])


@router.get("/orders/{order_id}/notifications", summary="Emails sent about an order (delivery log)")
async def order_notifications(order_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "notifications", f"/orders/{order_id}/notifications", who)


@router.get("/notifications/{notification_id}", summary="One delivery, with the rendered message")
async def notification(notification_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "notifications", f"/notifications/{notification_id}", who)
