"""CRM API: orders, contacts, pipelines and the CRM settings (the orders service)."""

from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from servicekit.inputs import OrderRef

from ..auth import CurrentPrincipal
from ..proxy import JSON_BODY, forward, forward_stream, segment

router = APIRouter(prefix="/api/v1", tags=["orders"])


@router.get("/pipelines", summary="Pipelines with their stages")
@router.post("/pipelines", status_code=201, openapi_extra=JSON_BODY,
             summary="Create a pipeline (Idempotency-Key honoured)")
async def pipelines(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", "/pipelines", who)


@router.get("/pipelines/{pipeline_id}", summary="A pipeline")
@router.patch("/pipelines/{pipeline_id}", openapi_extra=JSON_BODY,
              summary="Rename, reorder, add or remove stages (ids kept), set the markers or the default")
@router.delete("/pipelines/{pipeline_id}", status_code=204,
               summary="Delete an empty pipeline (not the default); one with orders is a 409 saying how many")
async def pipeline(pipeline_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/pipelines/{pipeline_id}", who)


@router.get("/settings", summary="The school's CRM settings")
@router.put("/settings", openapi_extra=JSON_BODY,
            summary="Set the days after which unpaid orders from offers expire, and the phone region for national numbers")
async def settings(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", "/settings", who)


@router.get("/orders", summary="Orders: filters, q (number, name, email, phone), sort, cursor, limit")
@router.post("/orders", status_code=201, openapi_extra=JSON_BODY,
             summary="Create an order by hand (Idempotency-Key honoured)")
async def orders(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", "/orders", who)


# Before /orders/{order}, or "export.csv" would be taken for an order.
@router.get("/orders/export.csv", summary="The filtered orders as CSV, streamed")
async def export_orders(request: Request, who: CurrentPrincipal) -> StreamingResponse:
    return await forward_stream(request, "orders", "/orders/export.csv", who)


@router.get("/orders/{order}", summary="The order card, by id or number (ETag: its version)")
@router.patch("/orders/{order}", openapi_extra=JSON_BODY,
              summary="Edit, cancel or reopen (status active) an order: If-Match or version required; "
                      "409 if someone changed it meanwhile")
async def order(order: OrderRef, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/orders/{segment(order)}", who)


@router.post("/orders/{order}/lines", status_code=201, openapi_extra=JSON_BODY,
             summary="Add a line (Idempotency-Key honoured)")
async def order_lines(order: OrderRef, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/orders/{segment(order)}/lines", who)


@router.patch("/orders/{order}/lines/{line_id}", openapi_extra=JSON_BODY,
              summary="Change a line's title, price or access terms")
@router.delete("/orders/{order}/lines/{line_id}", summary="Remove a line")
async def order_line(order: OrderRef, line_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/orders/{segment(order)}/lines/{line_id}", who)


@router.get("/orders/{order}/history", summary="The order's timeline")
async def order_history(order: OrderRef, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/orders/{segment(order)}/history", who)


@router.get("/contacts", summary="Contacts, by name; q searches name, email and phone")
@router.post("/contacts", status_code=201, openapi_extra=JSON_BODY,
             summary="Create a contact (Idempotency-Key honoured)")
async def contacts(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", "/contacts", who)


@router.get("/contacts/{contact_id}", summary="A contact")
@router.patch("/contacts/{contact_id}", openapi_extra=JSON_BODY, summary="Change a contact")
async def contact(contact_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/contacts/{contact_id}", who)


@router.get("/contacts/{contact_id}/orders", summary="The contact's orders")
async def contact_orders(contact_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/contacts/{contact_id}/orders", who)
