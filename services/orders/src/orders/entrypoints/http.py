"""HTTP routes of the orders service: thin, no rules."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from servicekit.db import EngineDep
from servicekit.http import AccountId, Problem

from .. import views
from ..service import order_ref

router = APIRouter(tags=["orders"])

PAYMENT_STATUSES = "^(not_paid|partially_paid|paid|overpaid|refunded)$"


@router.get("/orders")
async def list_orders(
    account: AccountId,
    engine: EngineDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    payment_status: Annotated[str | None, Query(pattern=PAYMENT_STATUSES)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    position = _position(cursor)
    async with engine.connect() as conn:
        return await views.order_list(conn, account, limit=limit, cursor=position, q=q, payment_status=payment_status)


def _position(cursor: str | None) -> Any:
    try:
        return views.decode_cursor(cursor) if cursor else None
    except (ValueError, TypeError):
        raise Problem(422, "Invalid request", "cursor is not one this API gave out",
                      errors=[{"field": "cursor", "message": "unknown cursor"}]) from None


async def _card(engine: Any, account: UUID, id_or_number: str) -> dict[str, Any]:
    try:
        ref = order_ref(id_or_number)
    except ValueError:
        raise Problem(404, "Not found", f"no order {id_or_number}") from None
    async with engine.connect() as conn:
        card = await views.order_card(conn, account, ref)
    if card is None:
        raise Problem(404, "Not found", f"no order {id_or_number}")
    return card


@router.get("/orders/{id_or_number}")
async def get_order(id_or_number: str, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    return await _card(engine, account, id_or_number)


@router.get("/orders/{id_or_number}/history")
async def get_history(id_or_number: str, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    card = await _card(engine, account, id_or_number)
    return {"items": card["history"]}


@router.get("/contacts/{contact_id}")
async def get_contact(contact_id: UUID, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.contact(conn, account, contact_id)
    if found is None:
        raise Problem(404, "Not found", f"no contact {contact_id}")
    return found


@router.get("/contacts/{contact_id}/orders")
async def contact_orders(
    contact_id: UUID, account: AccountId, engine: EngineDep, cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    async with engine.connect() as conn:
        if await views.contact(conn, account, contact_id) is None:
            raise Problem(404, "Not found", f"no contact {contact_id}")
        return await views.order_list(conn, account, limit=limit, cursor=_position(cursor), contact_id=contact_id)


@router.get("/pipelines")
async def list_pipelines(account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        return {"items": await views.pipeline_list(conn, account)}
