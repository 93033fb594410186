"""HTTP routes of the notifications service (internal, behind the gateway): thin, no rules."""

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from servicekit.api import problem_responses
from servicekit.conditional import NOT_MODIFIED, IfNoneMatch, conditional_json
from servicekit.db import EngineDep
from servicekit.http import AccountId, CurrentCaller, Problem, current_correlation_id
from servicekit.idempotency import IdempotencyKeyHeader, fingerprinted
from servicekit.inputs import OrderRef
from servicekit.pagination import BadCursor

from .. import service, views
from ..domain.letters import Override, TemplateLocale, TemplateName
from ..service.unit_of_work import UnitOfWork
from .answers import NotificationCard, NotificationPage, Preview, TemplateList, TemplateView
from .bodies import OverrideBody

# Every route can answer these before its own code runs: no proof, a path, query or header the
# input rules refuse, and load shedding. Each route adds what it can refuse itself (a viewer's
# write is a 403).
crm = APIRouter(tags=["notifications"], responses=problem_responses(401, 422, 503))

# `async with unit_of_work() as uow`: one use case's transaction, committed when the block ends.
UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


async def _unit_of_work(request: Request) -> UnitOfWorkFactory:
    return partial(request.app.state.unit_of_work, request.app.state.engine)


UnitOfWorkDep = Annotated[UnitOfWorkFactory, Depends(_unit_of_work)]

Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")]


async def _log_page(read: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    try:
        return await read()
    except BadCursor:
        raise Problem(422, "Invalid request", "cursor is not one this API gave out",
                      errors=[{"field": "cursor", "message": "unknown cursor"}]) from None


@crm.get("/orders/{order}/notifications", response_model=NotificationPage,
         responses={**NOT_MODIFIED, **problem_responses(404)},
         summary="Emails about one order (by its id or number), newest first, a page at a time (ETag: the page's hash)")
async def order_notifications(
    order: OrderRef, account: AccountId, engine: EngineDep, limit: Limit = 100, cursor: Cursor = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    async with engine.connect() as conn:
        order_id = await views.order_id_of(conn, account, order)
        if order_id is None:
            raise Problem(404, "Not found", f"no order {order}")
        page = await _log_page(lambda: views.order_deliveries(conn, account, order_id, limit=limit, cursor=cursor))
    return conditional_json(NotificationPage, page, if_none_match)


@crm.get("/contacts/{contact_id}/notifications", response_model=NotificationPage,
         summary="Emails to one contact, newest first, a page at a time")
async def contact_notifications(
    contact_id: UUID, account: AccountId, engine: EngineDep, limit: Limit = 100, cursor: Cursor = None,
) -> dict[str, Any]:
    async with engine.connect() as conn:
        return await _log_page(
            lambda: views.contact_deliveries(conn, account, contact_id, limit=limit, cursor=cursor)
        )


@crm.get("/notifications/{delivery_id}", response_model=NotificationCard, responses=problem_responses(404),
         summary="One email as it was sent, with its bodies")
async def get_notification(delivery_id: UUID, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.delivery(conn, account, delivery_id)
    if found is None:
        raise Problem(404, "Not found", f"no notification {delivery_id}")
    return found


@crm.post(
    "/notifications/{delivery_id}/resend", status_code=202, response_model=NotificationCard,
    responses=problem_responses(403, 404, 409),
    summary="Send the same rendered email again, as a new delivery (same Idempotency-Key: same delivery)",
)
async def resend_notification(
    delivery_id: UUID, account: AccountId, engine: EngineDep, unit_of_work: UnitOfWorkDep,
    idempotency_key: IdempotencyKeyHeader,
    to_refused_address: Annotated[bool, Query(
        description="send again even though the mail server refused this address for good")] = False,
) -> dict[str, Any]:
    # No body: what the request asks is its path and this one choice.
    idempotency = fingerprinted(idempotency_key, {"to_refused_address": to_refused_address})
    async with unit_of_work() as uow:
        new_id = await service.resend(uow, account, delivery_id, current_correlation_id(),
                                      idempotency=idempotency, to_refused_address=to_refused_address)
    async with engine.connect() as conn:
        found = await views.delivery(conn, account, new_id) if new_id else None
    if found is None:
        raise Problem(404, "Not found", f"no notification {delivery_id}")
    return found


@crm.get("/templates", response_model=TemplateList,
         summary="The email templates, the values they may use, and the school's overrides")
async def list_templates(account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        return await views.templates(conn, account)


@crm.get("/templates/{template}/{locale}", response_model=TemplateView,
         summary="The school's wording of a template (if any), with a preview")
async def get_template(
    template: TemplateName, locale: TemplateLocale, account: AccountId, engine: EngineDep,
) -> dict[str, Any]:
    async with engine.connect() as conn:
        return await views.template(conn, account, template, locale)


@crm.put("/templates/{template}/{locale}", response_model=TemplateView, responses=problem_responses(403),
         summary="Set the school's own subject and bodies of a template")
async def put_template(
    template: TemplateName, locale: TemplateLocale, body: OverrideBody, account: AccountId, engine: EngineDep,
    unit_of_work: UnitOfWorkDep,
) -> dict[str, Any]:
    override = Override(subject=body.subject, html=body.html, text=body.text)
    async with unit_of_work() as uow:
        errors = await service.save_override(uow, account, template, locale, override)
    if errors:
        raise _does_not_render(errors)
    async with engine.connect() as conn:
        return await views.template(conn, account, template, locale)


@crm.post("/templates/{template}/{locale}/preview", response_model=Preview, responses=problem_responses(403),
          summary="A wording rendered on the template's sample letter, without saving it (checked as a save is)")
async def preview_template(template: TemplateName, locale: TemplateLocale, body: OverrideBody,
                           caller: CurrentCaller) -> dict[str, str]:
    # The caller's proof is checked (a viewer's is a 403: it cannot save a wording either); the
    # wording is rendered on the sample letter, so nothing of the school's is read.
    previewed = service.preview_override(template, locale, Override(subject=body.subject, html=body.html,
                                                                    text=body.text))
    if isinstance(previewed, list):
        raise _does_not_render(previewed)
    return {"subject": previewed.subject, "html": previewed.html, "text": previewed.text}


def _does_not_render(errors: list[dict[str, str]]) -> Problem:
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return Problem(422, "Template does not render", f"Check these fields: {fields}", errors=errors)


@crm.delete("/templates/{template}/{locale}", status_code=204, responses=problem_responses(403, 404),
            summary="Back to the standard wording")
async def delete_template(
    template: TemplateName, locale: TemplateLocale, account: AccountId, unit_of_work: UnitOfWorkDep,
) -> Response:
    async with unit_of_work() as uow:
        removed = await service.remove_override(uow, account, template, locale)
    if not removed:
        raise Problem(404, "Not found", f"no override of {template} in {locale}")
    return Response(status_code=204)
