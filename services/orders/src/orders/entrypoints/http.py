"""HTTP routes of the orders service for orders: thin, no rules."""

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from contracts import Amount, OrderSource, OrderStatus
from servicekit.api import problem_responses
from servicekit.conditional import NOT_MODIFIED, IfNoneMatch, conditional_json
from servicekit.db import EngineDep
from servicekit.http import AccountId, Problem
from servicekit.idempotency import IdempotencyKeyHeader, fingerprinted
from servicekit.inputs import INT32_MAX, Moment, int_fault
from servicekit.providers import Usable
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service, views
from .bodies import LineChanges, NewLine, NewOrder, OrderChanges
from ..domain.order import OrderType, PaymentStatus
from .answers import OrderCard, OrderHistory, OrderPage
from .common import (
    CurrentActor, DefaultZone, IfMatch, UnitOfWorkDep, UnitOfWorkFactory, etag, invalid, version_of,
)

# Every route can answer these before its own code runs: no proof, a path or query the input rules
# refuse, and load shedding. Each route adds what it can refuse itself (403: a viewer's write).
router = APIRouter(tags=["orders"], responses=problem_responses(401, 422, 503))

# A write to an order: a viewer's is refused, the order is looked up, the version it was based on
# may be gone (409) or missing (428).
EDIT_PROBLEMS = problem_responses(403, 404, 409, 428)

# The list's sorts: a column views can sort by, `-` first for the newest (largest) first. A Literal
# of them, so the API document lists them as an enum and a client's type is their union.
OrderSort = Literal[tuple(f"{way}{column}" for column in views.SORTS for way in ("-", ""))]  # type: ignore[valid-type]


async def _filters(
    q: Annotated[str | None, Query(max_length=200)] = None,
    pipeline_id: UUID | None = None,
    stage_id: UUID | None = None,
    payment_status: PaymentStatus | None = None,
    type: OrderType | None = None,
    status: OrderStatus | None = None,
    source: OrderSource | None = None,
    product_id: UUID | None = None,
    offer_id: UUID | None = None,
    manager: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[str | None, Query(max_length=200)] = None,
    contact_id: UUID | None = None,
    created_from: Moment | None = None,
    created_to: Moment | None = None,
    paid_from: Moment | None = None,
    paid_to: Moment | None = None,
    total_min: Annotated[Amount | None, Query(ge=0)] = None,
    total_max: Annotated[Amount | None, Query(ge=0)] = None,
    sort: OrderSort = "-created_at",
) -> views.OrderFilters:
    for low, high, name in ((created_from, created_to, "created_to"), (paid_from, paid_to, "paid_to"),
                            (total_min, total_max, "total_max")):
        if low is not None and high is not None and high < low:  # type: ignore[operator]
            raise invalid(name, "the range ends before it starts")
    return views.OrderFilters(
        q=q, pipeline_id=pipeline_id, stage_id=stage_id, payment_status=payment_status, type=type, status=status,
        source=source, product_id=product_id, offer_id=offer_id, manager=manager, tag=tag, contact_id=contact_id,
        created_from=created_from, created_to=created_to, paid_from=paid_from, paid_to=paid_to,
        total_min=total_min, total_max=total_max, sort=sort.lstrip("-"),
        direction="desc" if sort.startswith("-") else "asc",
    )


Filters = Annotated[views.OrderFilters, Depends(_filters)]


async def page_of_orders(
    engine: AsyncEngine, account: UUID, filters: views.OrderFilters, limit: int, cursor: str | None
) -> dict[str, Any]:
    async with engine.connect() as conn:
        try:
            return await views.order_list(conn, account, filters, limit=limit, cursor=cursor)
        except (ValueError, TypeError, KeyError):
            raise Problem(422, "Invalid request", "cursor is not one this API gave out",
                          errors=[{"field": "cursor", "message": "unknown cursor"}]) from None


@router.get("/orders", response_model=OrderPage, responses=NOT_MODIFIED,
            summary="The school's orders, filtered and sorted, a page at a time (ETag: the page's hash)")
async def list_orders(
    account: AccountId, engine: EngineDep, filters: Filters, cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, if_none_match: IfNoneMatch = None,
) -> Response:
    return conditional_json(OrderPage, await page_of_orders(engine, account, filters, limit, cursor), if_none_match)


@router.post("/orders", status_code=201, response_model=OrderCard, responses=problem_responses(403),
             summary="Make an order by hand")
async def create_order(
    command: NewOrder, actor: CurrentActor, engine: EngineDep, usable: Usable, zone: DefaultZone,
    unit_of_work: UnitOfWorkDep, idempotency_key: IdempotencyKeyHeader, response: Response,
) -> dict[str, Any]:
    usable.refuse_unusable(command.provider)
    async with unit_of_work() as uow:
        order_id = await service.create_order(uow, actor, command,
                                              idempotency=fingerprinted(idempotency_key, command),
                                              default_zone=zone)
    return await _card_answer(engine, actor.account_id, order_id, response, created=True)


@router.get("/orders/export.csv", response_class=StreamingResponse,
            responses={200: {"description": "The orders the filters select, as CSV",
                             "content": {"text/csv": {"schema": {"type": "string"}}}}},
            summary="The orders the list's filters select, as a CSV file")
async def export_orders(account: AccountId, engine: EngineDep, filters: Filters) -> StreamingResponse:
    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(views.CSV_COLUMNS)
        async with engine.connect() as conn:
            async for row in views.export_rows(conn, account, filters):
                writer.writerow(row)
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="orders-{stamp}.csv"'})


def _ref(id_or_number: str) -> UUID | int:
    try:
        ref = service.order_ref(id_or_number)
    except ValueError:
        raise Problem(404, "Not found", f"no order {id_or_number}") from None
    fault = int_fault(ref) if isinstance(ref, int) else None
    if fault:  # an order number is an integer column
        raise invalid("id_or_number", f"an order number {fault}")
    return ref


async def _order_id(engine: AsyncEngine, account: UUID, id_or_number: str) -> UUID:
    ref = _ref(id_or_number)
    async with engine.connect() as conn:
        found = await views.order_id(conn, account, ref)
    if found is None:
        raise Problem(404, "Not found", f"no order {id_or_number}")
    return found


async def _card(engine: AsyncEngine, account: UUID, id_or_number: str | UUID) -> dict[str, Any]:
    ref = id_or_number if isinstance(id_or_number, UUID) else _ref(id_or_number)
    async with engine.connect() as conn:
        card = await views.order_card(conn, account, ref)
    if card is None:
        raise Problem(404, "Not found", f"no order {id_or_number}")
    return card


async def _card_answer(
    engine: AsyncEngine, account: UUID, order_id: UUID, response: Response, *, created: bool = False
) -> dict[str, Any]:
    """The card after a write, with its ETag (and where it lives, when the write made something)."""
    card = await _card(engine, account, order_id)
    response.headers["ETag"] = etag(card["version"])
    if created:
        response.headers["Location"] = f"/orders/{order_id}"
    return card


@router.get("/orders/{id_or_number}", response_model=OrderCard, responses={**NOT_MODIFIED, **problem_responses(404)},
            summary="An order's card, by its id or its number; its ETag is its version")
async def get_order(id_or_number: str, account: AccountId, engine: EngineDep, if_none_match: IfNoneMatch = None
                    ) -> Response:
    card = await _card(engine, account, id_or_number)
    return conditional_json(OrderCard, card, if_none_match, etag=etag(card["version"]))


@router.patch("/orders/{id_or_number}", response_model=OrderCard, responses=EDIT_PROBLEMS,
              summary="Change an order: its place in the funnel, type, managers, tags, comment, discount, "
                      "contact; status cancels or reopens it")
async def edit_order(
    id_or_number: str, changes: OrderChanges, actor: CurrentActor, engine: EngineDep, unit_of_work: UnitOfWorkDep,
    response: Response, if_match: IfMatch = None,
) -> dict[str, Any]:
    order_id = await _order_id(engine, actor.account_id, id_or_number)
    version = version_of(if_match, changes.version)
    await _write(unit_of_work, service.edit_order, actor, order_id, version, changes)
    return await _card_answer(engine, actor.account_id, order_id, response)


async def _write(unit_of_work: UnitOfWorkFactory, use_case: Any, *args: Any, **kwargs: Any) -> Any:
    """An edit in its own unit of work; one that changes nothing has written nothing."""
    try:
        async with unit_of_work() as uow:
            return await use_case(uow, *args, **kwargs)
    except service.Unchanged:
        return None


@router.post("/orders/{id_or_number}/lines", status_code=201, response_model=OrderCard, responses=EDIT_PROBLEMS,
             summary="Add a line to an order; the answer is the order's card")
async def add_line(
    id_or_number: str, command: NewLine, actor: CurrentActor, engine: EngineDep, zone: DefaultZone,
    unit_of_work: UnitOfWorkDep, idempotency_key: IdempotencyKeyHeader, response: Response, if_match: IfMatch = None,
) -> dict[str, Any]:
    order_id = await _order_id(engine, actor.account_id, id_or_number)
    version = version_of(if_match, command.version)
    # The version is part of the request, whether it came as If-Match or in the body.
    request = fingerprinted(idempotency_key, {**command.model_dump(), "version": version})
    await _write(unit_of_work, service.add_line, actor, order_id, version, command, zone, idempotency=request)
    return await _card_answer(engine, actor.account_id, order_id, response, created=True)


@router.patch("/orders/{id_or_number}/lines/{line_id}", response_model=OrderCard, responses=EDIT_PROBLEMS,
              summary="Change a line's title, price or access terms; the answer is the order's card")
async def edit_line(
    id_or_number: str, line_id: UUID, changes: LineChanges, actor: CurrentActor, engine: EngineDep,
    zone: DefaultZone, unit_of_work: UnitOfWorkDep, response: Response, if_match: IfMatch = None,
) -> dict[str, Any]:
    order_id = await _order_id(engine, actor.account_id, id_or_number)
    version = version_of(if_match, changes.version)
    await _write(unit_of_work, service.edit_line, actor, order_id, line_id, version, changes, zone)
    return await _card_answer(engine, actor.account_id, order_id, response)


@router.delete("/orders/{id_or_number}/lines/{line_id}", response_model=OrderCard, responses=EDIT_PROBLEMS,
               summary="Remove a line; the answer is the order's card")
async def remove_line(
    id_or_number: str, line_id: UUID, actor: CurrentActor, engine: EngineDep, unit_of_work: UnitOfWorkDep,
    response: Response, if_match: IfMatch = None,
    version: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
) -> dict[str, Any]:
    order_id = await _order_id(engine, actor.account_id, id_or_number)
    await _write(unit_of_work, service.remove_line, actor, order_id, line_id, version_of(if_match, version))
    return await _card_answer(engine, actor.account_id, order_id, response)


@router.get("/orders/{id_or_number}/history", response_model=OrderHistory,
            responses={**NOT_MODIFIED, **problem_responses(404)},
            summary="An order's changes, oldest first (ETag: the history's hash)")
async def get_history(id_or_number: str, account: AccountId, engine: EngineDep, if_none_match: IfNoneMatch = None
                      ) -> Response:
    card = await _card(engine, account, id_or_number)
    return conditional_json(OrderHistory, {"items": card["history"]}, if_none_match)

