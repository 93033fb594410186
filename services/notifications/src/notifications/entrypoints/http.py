"""HTTP routes of the notifications service (internal, behind the gateway): thin, no rules."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from servicekit.db import EngineDep
from servicekit.http import AccountId, Problem

from .. import views

crm = APIRouter(tags=["notifications"])


@crm.get("/orders/{order_id}/notifications", summary="Emails about one order, oldest first")
async def order_notifications(order_id: UUID, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        return {"items": await views.order_deliveries(conn, account, order_id)}


@crm.get("/notifications/{delivery_id}", summary="One email as it was sent, with its bodies")
async def get_notification(delivery_id: UUID, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.delivery(conn, account, delivery_id)
    if found is None:
        raise Problem(404, "Not found", f"no notification {delivery_id}")
    return found
