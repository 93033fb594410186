"""CRM API: emails about orders, their delivery log and the school's own templates (the notifications service)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from servicekit.inputs import Locale, OrderRef

from ..auth import CurrentPrincipal
from ..proxy import JSON_BODY, forward, segment

router = APIRouter(prefix="/api/v1", tags=["notifications"])

TemplateName = Annotated[str, Path(pattern=r"^[a-z_]{1,40}$")]


@router.get("/orders/{order}/notifications", summary="Emails about an order (by its id or number), newest first; limit, cursor")
async def order_notifications(order: OrderRef, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "notifications", f"/orders/{segment(order)}/notifications", who)


@router.get("/contacts/{contact_id}/notifications", summary="Emails to a contact, newest first; limit, cursor")
async def contact_notifications(contact_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "notifications", f"/contacts/{contact_id}/notifications", who)


@router.get("/notifications/{notification_id}", summary="One delivery, with the rendered message")
async def notification(notification_id: UUID, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "notifications", f"/notifications/{notification_id}", who)


@router.post(
    "/notifications/{notification_id}/resend", status_code=202,
    summary="Send the same rendered message again as a new delivery (Idempotency-Key honoured); "
            "a delivery refused for good is resent only with to_refused_address=true",
)
async def resend_notification(
    notification_id: UUID, request: Request, who: CurrentPrincipal,
    # Declared so the API shows it; forward passes the query string on as it came.
    to_refused_address: Annotated[bool, Query(
        description="send again even though the mail server refused this address for good")] = False,
) -> Response:
    return await forward(request, "notifications", f"/notifications/{notification_id}/resend", who)


@router.get("/templates", summary="Email templates, the values they may use, and which locales the school overrides")
async def templates(request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "notifications", "/templates", who)


@router.get("/templates/{template}/{locale}", summary="The school's wording of a template in a locale, with a preview")
@router.put("/templates/{template}/{locale}", openapi_extra=JSON_BODY,
            summary="Set the school's subject, HTML and text of a template in a locale (checked when saved)")
@router.delete("/templates/{template}/{locale}", status_code=204, summary="Back to the standard wording")
async def template(template: TemplateName, locale: Locale, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "notifications", f"/templates/{template}/{locale}", who)


@router.post("/templates/{template}/{locale}/preview", openapi_extra=JSON_BODY,
             summary="A wording rendered on the template's sample letter, without saving it (checked as a save is)")
async def template_preview(template: TemplateName, locale: Locale, request: Request, who: CurrentPrincipal) -> Response:
    return await forward(request, "notifications", f"/templates/{template}/{locale}/preview", who)
