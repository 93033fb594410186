"""The CRM API (/api/v1, bearer token) and the public API (/public/v1): thin forwards."""

from pathlib import Path
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from .auth import CurrentPrincipal
from .proxy import JSON_BODY, forward
from .ratelimit import limit_public

public = APIRouter(prefix="/public/v1", tags=["public"], dependencies=[Depends(limit_public)])
crm = APIRouter(prefix="/api/v1", tags=["crm"])

OrderRef = Annotated[str, "an order id or its number"]


@public.post("/offers/{offer_id}/checkouts", status_code=202, openapi_extra=JSON_BODY,
             summary="Open an offer (page or widget): starts a new order")
async def open_offer(offer_id: UUID, request: Request) -> Response:
    return await forward(request, "offers", f"/public/offers/{offer_id}/checkouts")


@public.get("/checkouts/{checkout_id}", summary="Where a checkout has got: pending, ready (with the payment link) or failed")
async def checkout_status(checkout_id: UUID, request: Request) -> Response:
    return await forward(request, "offers", f"/public/checkouts/{checkout_id}")


@crm.get("/school", summary="The school's profile")
@crm.put("/school", openapi_extra=JSON_BODY, summary="Set the school's name and default locale")
async def school(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "offers", "/school", who)


@crm.get("/products", summary="Products")
@crm.post("/products", status_code=201, openapi_extra=JSON_BODY, summary="Create a product")
async def products(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "offers", "/products", who)


@crm.get("/products/{product_id}", summary="A product")
async def product(product_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "offers", f"/products/{product_id}", who)


@crm.get("/offers", summary="Offers (tariffs)")
@crm.post("/offers", status_code=201, openapi_extra=JSON_BODY, summary="Create an offer")
async def offers(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "offers", "/offers", who)


@crm.get("/offers/{offer_id}", summary="An offer")
async def offer(offer_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "offers", f"/offers/{offer_id}", who)


@crm.get("/pipelines", summary="Pipelines with their stages")
async def pipelines(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", "/pipelines", who)


@crm.get("/orders", summary="Orders: newest first; filters, q (number, name, email, phone), cursor, limit")
async def orders(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", "/orders", who)


@crm.get("/orders/{order}", summary="The order card, by id or number")
async def order(order: OrderRef, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/orders/{order}", who)


@crm.get("/orders/{order}/history", summary="The order's timeline")
async def order_history(order: OrderRef, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/orders/{order}/history", who)


@crm.get("/orders/{order_id}/payments", summary="Payments of an order")
async def order_payments(order_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "payments", f"/orders/{order_id}/payments", who)


@crm.get("/payments/{payment_id}", summary="A payment")
async def payment(payment_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "payments", f"/payments/{payment_id}", who)


@crm.get("/orders/{order_id}/notifications", summary="Emails sent about an order (delivery log)")
async def order_notifications(order_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "notifications", f"/orders/{order_id}/notifications", who)


@crm.get("/notifications/{notification_id}", summary="One delivery, with the rendered message")
async def notification(notification_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "notifications", f"/notifications/{notification_id}", who)


@crm.get("/contacts/{contact_id}", summary="A contact")
async def contact(contact_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/contacts/{contact_id}", who)


@crm.get("/contacts/{contact_id}/orders", summary="The contact's orders")
async def contact_orders(contact_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "orders", f"/contacts/{contact_id}/orders", who)


pages = APIRouter(tags=["pages"])
_OFFER_PAGE = (Path(__file__).parent / "pages" / "offer.html").read_text(encoding="utf-8")


@public.get("/offers/{offer_id}", summary="What an offer page shows: titles and prices")
async def public_offer(offer_id: UUID, request: Request) -> Response:
    return await forward(request, "offers", f"/public/offers/{offer_id}")


@pages.get("/offer/{offer_id}", response_class=HTMLResponse, summary="The offer's public page")
async def offer_page(offer_id: UUID) -> HTMLResponse:
    return HTMLResponse(_OFFER_PAGE)
