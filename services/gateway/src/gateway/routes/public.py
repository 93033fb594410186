"""The public API (/public/v1, no token, rate limited) and the offer's public page."""

from pathlib import Path
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from ..proxy import JSON_BODY, forward
from ..ratelimit import limit_public

public = APIRouter(prefix="/public/v1", tags=["public"], dependencies=[Depends(limit_public)])
pages = APIRouter(tags=["pages"])
_OFFER_PAGE = (Path(__file__).parents[1] / "pages" / "offer.html").read_text(encoding="utf-8")


@public.post("/offers/{offer_id}/checkouts", status_code=202, openapi_extra=JSON_BODY,
             summary="Open an offer (page or widget): starts a new order")
async def open_offer(offer_id: UUID, request: Request) -> Response:
    return await forward(request, "offers", f"/public/offers/{offer_id}/checkouts")


@public.get("/checkouts/{checkout_id}", summary="Where a checkout has got: pending, ready (with the payment link) or failed")
async def checkout_status(checkout_id: UUID, request: Request) -> Response:
    return await forward(request, "offers", f"/public/checkouts/{checkout_id}")


@public.get("/offers/{offer_id}", summary="What an offer page shows: titles and prices")
async def public_offer(offer_id: UUID, request: Request) -> Response:
    return await forward(request, "offers", f"/public/offers/{offer_id}")


@pages.get("/offer/{offer_id}", response_class=HTMLResponse, summary="The offer's public page")
async def offer_page(offer_id: UUID) -> HTMLResponse:
    return HTMLResponse(_OFFER_PAGE)
