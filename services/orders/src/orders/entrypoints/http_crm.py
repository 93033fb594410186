"""HTTP routes of the orders service for contacts, pipelines and the school's settings: thin, no rules."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from servicekit.api import problem_responses
from servicekit.db import EngineDep
from servicekit.http import AccountId, Problem
from servicekit.idempotency import IdempotencyKeyHeader, fingerprinted

from .. import service, views
from .bodies import ContactChanges, ContactFields, NewPipeline, PipelineChanges, SchoolSettings
from .answers import ContactCard, ContactPage, OrderPage, PipelineList, PipelineView, SchoolSettingsView
from .common import CurrentActor, UnitOfWorkDep
from .http import page_of_orders

# As the orders' routes: every route can answer these before its own code runs (http.router).
router = APIRouter(responses=problem_responses(401, 422, 503))


@router.get("/contacts", tags=["contacts"], response_model=ContactPage,
            summary="The school's contacts by name, a page at a time; `q` searches name, email and phone")
async def list_contacts(
    account: AccountId, engine: EngineDep, q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None, limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    async with engine.connect() as conn:
        try:
            return await views.contact_list(conn, account, q=q, limit=limit, cursor=cursor)
        except (ValueError, TypeError):
            raise Problem(422, "Invalid request", "cursor is not one this API gave out",
                          errors=[{"field": "cursor", "message": "unknown cursor"}]) from None


async def _contact(engine: Any, account: UUID, contact_id: UUID) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.contact(conn, account, contact_id)
    if found is None:
        raise Problem(404, "Not found", f"no contact {contact_id}")
    return found


@router.post("/contacts", status_code=201, tags=["contacts"], response_model=ContactCard,
             responses=problem_responses(403, 409), summary="Add a contact; an email the school has is a 409")
async def create_contact(
    command: ContactFields, actor: CurrentActor, engine: EngineDep, unit_of_work: UnitOfWorkDep,
    idempotency_key: IdempotencyKeyHeader, response: Response,
) -> dict[str, Any]:
    async with unit_of_work() as uow:
        contact_id = await service.create_contact(uow, actor, command,
                                                  idempotency=fingerprinted(idempotency_key, command))
    response.headers["Location"] = f"/contacts/{contact_id}"
    return await _contact(engine, actor.account_id, contact_id)


@router.get("/contacts/{contact_id}", tags=["contacts"], response_model=ContactCard,
            responses=problem_responses(404), summary="A contact")
async def get_contact(contact_id: UUID, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    return await _contact(engine, account, contact_id)


@router.patch("/contacts/{contact_id}", tags=["contacts"], response_model=ContactCard,
              responses=problem_responses(403, 404, 409),
              summary="Change a contact; their active orders follow. Another contact's email is a 409")
async def edit_contact(
    contact_id: UUID, changes: ContactChanges, actor: CurrentActor, engine: EngineDep, unit_of_work: UnitOfWorkDep
) -> dict[str, Any]:
    async with unit_of_work() as uow:
        await service.edit_contact(uow, actor, contact_id, changes)
    return await _contact(engine, actor.account_id, contact_id)


@router.get("/contacts/{contact_id}/orders", tags=["contacts"], response_model=OrderPage,
            responses=problem_responses(404), summary="A contact's orders, newest first, a page at a time")
async def contact_orders(
    contact_id: UUID, account: AccountId, engine: EngineDep, cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    await _contact(engine, account, contact_id)
    return await page_of_orders(engine, account, views.OrderFilters(contact_id=contact_id), limit, cursor)


@router.get("/pipelines", tags=["pipelines"], response_model=PipelineList,
            summary="The school's pipelines, the default first (made on the first look)")
async def list_pipelines(actor: CurrentActor, engine: EngineDep, unit_of_work: UnitOfWorkDep) -> dict[str, Any]:
    async with unit_of_work() as uow:
        # Every school has its default pipeline, from the first look on.
        await service.ensure_default_pipeline(uow, actor.account_id)
    async with engine.connect() as conn:
        return {"items": await views.pipeline_list(conn, actor.account_id)}


async def _pipeline(engine: Any, account: UUID, pipeline_id: UUID) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.pipeline(conn, account, pipeline_id)
    if found is None:
        raise Problem(404, "Not found", f"no pipeline {pipeline_id}")
    return found


@router.post("/pipelines", status_code=201, tags=["pipelines"], response_model=PipelineView,
             responses=problem_responses(403), summary="Add a pipeline with its stages")
async def create_pipeline(
    command: NewPipeline, actor: CurrentActor, engine: EngineDep, unit_of_work: UnitOfWorkDep,
    idempotency_key: IdempotencyKeyHeader, response: Response,
) -> dict[str, Any]:
    async with unit_of_work() as uow:
        pipeline_id = await service.create_pipeline(uow, actor, command,
                                                    idempotency=fingerprinted(idempotency_key, command))
    response.headers["Location"] = f"/pipelines/{pipeline_id}"
    return await _pipeline(engine, actor.account_id, pipeline_id)


@router.get("/pipelines/{pipeline_id}", tags=["pipelines"], response_model=PipelineView,
            responses=problem_responses(404), summary="A pipeline and its stages")
async def get_pipeline(pipeline_id: UUID, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    return await _pipeline(engine, account, pipeline_id)


@router.patch("/pipelines/{pipeline_id}", tags=["pipelines"], response_model=PipelineView,
              responses=problem_responses(403, 404),
              summary="Rename a pipeline, give its stages in their new order, or make it the default")
async def edit_pipeline(
    pipeline_id: UUID, changes: PipelineChanges, actor: CurrentActor, engine: EngineDep, unit_of_work: UnitOfWorkDep
) -> dict[str, Any]:
    async with unit_of_work() as uow:
        await service.edit_pipeline(uow, actor, pipeline_id, changes)
    return await _pipeline(engine, actor.account_id, pipeline_id)


@router.delete("/pipelines/{pipeline_id}", status_code=204, tags=["pipelines"], response_class=Response,
               responses=problem_responses(403, 404, 409), summary="Remove an empty pipeline other than the default")
async def delete_pipeline(pipeline_id: UUID, actor: CurrentActor, unit_of_work: UnitOfWorkDep) -> Response:
    """An empty pipeline other than the default; one with orders is a 409 saying how many."""
    async with unit_of_work() as uow:
        await service.delete_pipeline(uow, actor, pipeline_id)
    return Response(status_code=204)


@router.get("/settings", tags=["settings"], response_model=SchoolSettingsView,
            summary="The school's CRM settings")
async def get_settings(account: AccountId, engine: EngineDep, request: Request) -> dict[str, Any]:
    async with engine.connect() as conn:
        return await views.school_settings(conn, account, request.app.state.settings.default_unpaid_expiry_days)


@router.put("/settings", tags=["settings"], response_model=SchoolSettingsView, responses=problem_responses(403),
            summary="Change the school's CRM settings; only the fields given, null puts one back to its default")
async def put_settings(
    command: SchoolSettings, actor: CurrentActor, engine: EngineDep, unit_of_work: UnitOfWorkDep, request: Request
) -> dict[str, Any]:
    async with unit_of_work() as uow:
        await service.set_settings(uow, actor, command)
    return await get_settings(actor.account_id, engine, request)
