"""CRM API: the school, its products and offers (the offers service)."""

from uuid import UUID

from fastapi import APIRouter, Request, Response

from ..auth import CurrentPrincipal
from ..proxy import JSON_BODY, forward

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@router.get("/school", summary="The school's profile")
@router.put("/school", openapi_extra=JSON_BODY, summary="Set the school's name and default locale")
async def school(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "offers", "/school", who)


@router.get("/products", summary="Products")
@router.post("/products", status_code=201, openapi_extra=JSON_BODY,
             summary="Create a product (course structure: modules and lessons, and the course's defaults)")
async def products(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "offers", "/products", who)


@router.get("/products/{product_id}", summary="A product")
@router.patch("/products/{product_id}", openapi_extra=JSON_BODY,
              summary="Change a product; `modules` replaces the structure, lessons sent with their id keep it")
async def product(product_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "offers", f"/products/{product_id}", who)


@router.get("/offers", summary="Offers (tariffs); `include_system_copies=true` adds the copies made for orders")
@router.post("/offers", status_code=201, openapi_extra=JSON_BODY, summary="Create an offer")
async def offers(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "offers", "/offers", who)


@router.get("/offers/{offer_id}", summary="An offer (its ETag is its version)")
@router.patch("/offers/{offer_id}", openapi_extra=JSON_BODY,
              summary="Change an offer: send If-Match with its ETag (or `version`); a stale version is a 409")
async def offer(offer_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "offers", f"/offers/{offer_id}", who)


@router.get("/offers/{offer_id}/versions", summary="Every version of an offer, oldest first")
async def offer_versions(offer_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "offers", f"/offers/{offer_id}/versions", who)
