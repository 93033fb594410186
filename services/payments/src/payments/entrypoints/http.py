"""HTTP routes of the payments service: thin, no rules."""

from typing import Annotated, Any
from uuid import UUID, uuid4

from contracts import ProviderName
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from servicekit.api import amend_openapi, problem_responses
from servicekit.conditional import NOT_MODIFIED, IfNoneMatch, conditional_json
from servicekit.db import EngineDep
from servicekit.http import AccountId, CurrentCaller, OwnerCaller, Problem, current_correlation_id
from servicekit.idempotency import IdempotencyKeyHeader, fingerprinted
from servicekit.inputs import OrderRef
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service, views
from ..adapters import repository as repo
from ..adapters import sandbox as sandbox_provider
from ..domain.payment import NotPayable, Outcome, PaymentNotFound, PaymentPart
from ..domain.providers import PaymentProvider, webhook_path
from . import pages
from .common import UnitOfWorkDep
from .answers import OrderPayments, PaymentCard, ProviderSettingsView, ReminderSchedule
from .bodies import (
    MarkPaidBody, NewPaymentBody, PartBody, PaymentPatch, ReminderScheduleBody,
    SandboxDeclined, SandboxSucceeded, body_problem, changes_model, form_body, parse_json_body, read_form,
)

# Every CRM route can answer these before its own code runs: no proof, a path or query the input
# rules refuse, and load shedding. Each route adds what it can refuse itself.
crm = APIRouter(tags=["payments"], responses=problem_responses(401, 422, 503))
# A payer's pages answer HTML, but a refusal there is problem details all the same.
sandbox = APIRouter(prefix="/sandbox", tags=["sandbox"], responses=problem_responses(404, 422, 503))
thanks = APIRouter(tags=["sandbox"])


async def _user(caller: CurrentCaller) -> str:
    return caller.user_id


# Who on the team did it, as the gateway's proof names them. A viewer never gets this far on a
# write: servicekit's caller dependency refuses it.
UserId = Annotated[str, Depends(_user)]


def _parts(bodies: list[PartBody] | None) -> list[PaymentPart] | None:
    if bodies is None:
        return None
    return [PaymentPart(method=p.method, amount=p.amount, reference=p.reference) for p in bodies]


async def _providers(request: Request) -> service.Providers:
    return request.app.state.providers


ProvidersDep = Annotated[service.Providers, Depends(_providers)]


def _field_problem(status: int, title: str, field: str, message: str) -> Problem:
    return Problem(status, title, message, errors=[{"field": field, "message": message}])


async def _view(engine: AsyncEngine, account: UUID, payment_id: UUID) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.payment(conn, account, payment_id)
    if found is None:
        raise Problem(404, "Not found", f"no payment {payment_id}")
    return found


@crm.get("/orders/{order}/payments", response_model=OrderPayments,
         responses={**NOT_MODIFIED, **problem_responses(404)},
         summary="An order's payments, by its id or number (ETag: the list's hash)")
async def order_payments(order: OrderRef, account: AccountId, engine: EngineDep, unit_of_work: UnitOfWorkDep,
                         if_none_match: IfNoneMatch = None) -> Response:
    async with unit_of_work() as uow:
        order_id = await service.find_order(uow, account, order)
    async with engine.connect() as conn:
        items = await views.order_payments(conn, account, order_id)
    return conditional_json(OrderPayments, {"items": items}, if_none_match)


@crm.get("/payments/{payment_id}", response_model=PaymentCard, responses=problem_responses(404))
async def get_payment(payment_id: UUID, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.payment(conn, account, payment_id)
    if found is None:
        raise Problem(404, "Not found", f"no payment {payment_id}")
    return found


@crm.post("/orders/{order}/payments", status_code=201, response_model=PaymentCard,
          responses={200: {"description": "A repeat under the same Idempotency-Key: the first payment",
                           "model": PaymentCard},
                     **problem_responses(403, 404, 409)},
          summary="Add a paid or unpaid payment to an order")
async def add_payment(
    order: OrderRef, body: NewPaymentBody, account: AccountId, engine: EngineDep, providers: ProvidersDep,
    user_id: UserId, unit_of_work: UnitOfWorkDep,
    idempotency_key: IdempotencyKeyHeader, response: Response,
) -> dict[str, Any]:
    if body.parts is not None and "method" in body.model_fields_set:
        raise _field_problem(422, "Invalid payment", "method",
                             "give either method or parts: a split payment's method follows its parts")
    new = service.NewPayment(**body.model_dump(exclude={"parts"}), parts=_parts(body.parts))
    async with unit_of_work() as uow:
        order_id = await service.find_order(uow, account, order)
        payment, created = await service.add_payment(
            uow, account, order_id, new, providers, correlation_id=current_correlation_id(),
            idempotency=fingerprinted(idempotency_key, body), marked_by=user_id,
        )
    # A repeat under the same Idempotency-Key answers with the first payment, as 200.
    if not created:
        response.status_code = 200
    return await _view(engine, account, payment.id)


@crm.patch("/payments/{payment_id}", response_model=PaymentCard, responses=problem_responses(403, 404, 409),
           summary="Change a payment: planned date, amount while unpaid, comment, "
                   "closes_access; status \"cancelled\" cancels it")
async def edit_payment(
    payment_id: UUID, body: PaymentPatch, account: AccountId, engine: EngineDep, providers: ProvidersDep,
    unit_of_work: UnitOfWorkDep,
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    for name in ("amount", "closes_access", "status"):
        if name in changes and changes[name] is None:
            raise _field_problem(422, "Invalid request", name, f"{name} cannot be null")
    async with unit_of_work() as uow:
        await service.edit_payment(uow, account, payment_id, changes, providers,
                                   correlation_id=current_correlation_id())
    return await _view(engine, account, payment_id)


@crm.post("/payments/{payment_id}/mark-paid", response_model=PaymentCard,
          responses=problem_responses(403, 404, 409), summary="Record a payment received outside the provider")
async def mark_paid(
    payment_id: UUID, body: MarkPaidBody, account: AccountId, engine: EngineDep, user_id: UserId,
    unit_of_work: UnitOfWorkDep,
) -> dict[str, Any]:
    async with unit_of_work() as uow:
        await service.mark_paid(
            uow, account, payment_id, comment=body.comment, method=body.method,
            external_reference=body.external_reference, correlation_id=current_correlation_id(),
            marked_by=user_id, parts=_parts(body.parts),
        )
    return await _view(engine, account, payment_id)


@crm.post("/payments/{payment_id}/send-link", status_code=202, response_model=PaymentCard,
          responses=problem_responses(403, 404, 409), summary="Email the payment link again")
async def send_link(
    payment_id: UUID, account: AccountId, engine: EngineDep, providers: ProvidersDep, unit_of_work: UnitOfWorkDep,
) -> dict[str, Any]:
    async with unit_of_work() as uow:
        await service.send_link(uow, account, payment_id, providers, correlation_id=current_correlation_id())
    return await _view(engine, account, payment_id)


@crm.post("/payments/{payment_id}/reminders", status_code=202, response_model=PaymentCard,
          responses=problem_responses(403, 404, 409), summary="Remind the contact to pay")
async def remind(
    payment_id: UUID, account: AccountId, engine: EngineDep, providers: ProvidersDep, unit_of_work: UnitOfWorkDep,
) -> dict[str, Any]:
    async with unit_of_work() as uow:
        await service.remind(uow, account, payment_id, providers, correlation_id=current_correlation_id())
    return await _view(engine, account, payment_id)


def _settings_view(
    request: Request, account: UUID, provider: PaymentProvider, stored: dict[str, Any] | None
) -> dict[str, Any]:
    base = request.app.state.settings.public_base_url.rstrip("/")
    stored = stored or {}
    return {
        "provider": provider.name,
        "configured": bool(stored),
        "settings": {k: v for k, v in stored.items() if k not in provider.secret_fields},
        "secrets_set": sorted(k for k in stored if k in provider.secret_fields),
        "webhook_url": f"{base}{webhook_path(provider.name, account)}",
    }


def _configurable(providers: service.Providers, name: str) -> PaymentProvider:
    provider = providers.get(name)
    if provider is None or provider.settings_model is None:
        known = ", ".join(sorted(n for n, p in providers.items() if p.settings_model is not None))
        raise Problem(404, "Not found", f"no configurable provider '{name}' (known: {known})")
    return provider


@crm.get("/providers/{provider}", response_model=ProviderSettingsView, responses=problem_responses(404),
         summary="A provider's settings for the school (secrets are never returned)")
async def get_provider(
    provider: ProviderName, request: Request, account: AccountId, engine: EngineDep, providers: ProvidersDep,
) -> dict[str, Any]:
    found = _configurable(providers, provider)
    async with engine.connect() as conn:
        stored = await repo.provider_settings_now(conn, request.app.state.sealer, account, found.name)
    return _settings_view(request, account, found, stored)


@crm.put("/providers/{provider}", response_model=ProviderSettingsView, responses=problem_responses(403, 404, 413),
         summary="Set the school's credentials for a provider",
         # The body's model depends on the provider in the path: install_provider_bodies documents each.
         openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}},
                                        "required": True}})
async def put_provider(
    provider: ProviderName, request: Request, account: AccountId, engine: EngineDep, providers: ProvidersDep,
    _: OwnerCaller, unit_of_work: UnitOfWorkDep,
) -> dict[str, Any]:
    found = _configurable(providers, provider)
    body = await parse_json_body(request, found.settings_model)
    settings = body.model_dump(exclude_none=True)
    async with unit_of_work() as uow:
        await service.set_credentials(uow, account, found.name, settings,
                                      correlation_id=current_correlation_id())
    return _settings_view(request, account, found, settings)


@crm.patch("/providers/{provider}", response_model=ProviderSettingsView,
           responses=problem_responses(403, 404, 409, 413),
           summary="Change some of the school's settings for a provider; those not sent, secrets included, are kept",
           openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}},
                                          "required": True}})
async def patch_provider(
    provider: ProviderName, request: Request, account: AccountId, engine: EngineDep, providers: ProvidersDep,
    _: OwnerCaller, unit_of_work: UnitOfWorkDep,
) -> dict[str, Any]:
    found = _configurable(providers, provider)
    assert found.settings_model is not None
    body = await parse_json_body(request, changes_model(found.settings_model))
    try:
        async with unit_of_work() as uow:
            settings = await service.change_credentials(
                uow, account, found, body.model_dump(exclude_unset=True),
                correlation_id=current_correlation_id())
    except ValidationError as exc:  # what the change leaves is not a whole set of settings
        raise body_problem(exc) from None
    return _settings_view(request, account, found, settings)


@crm.get("/reminder-schedule", response_model=ReminderSchedule,
         summary="When scheduled reminders go out, in hours around the planned date")
async def get_reminder_schedule(account: AccountId, unit_of_work: UnitOfWorkDep) -> dict[str, Any]:
    async with unit_of_work() as uow:
        return {"offsets_hours": await service.schedule.offsets_of(uow, account)}


@crm.put("/reminder-schedule", response_model=ReminderSchedule, responses=problem_responses(403),
         summary="Set when scheduled reminders go out")
async def put_reminder_schedule(
    body: ReminderScheduleBody, account: AccountId, unit_of_work: UnitOfWorkDep,
) -> dict[str, Any]:
    async with unit_of_work() as uow:
        offsets = await service.set_reminder_schedule(uow, account, body.offsets_hours)
    return {"offsets_hours": offsets}


@thanks.get("/thanks", response_class=HTMLResponse, summary="Where a provider's page sends the payer back")
async def thanks_page() -> HTMLResponse:
    return HTMLResponse(pages.thanks_page())


def _not_found(payment_id: UUID) -> Problem:
    return Problem(404, "Not found", f"no sandbox payment {payment_id}")


async def _sandbox_view(engine: AsyncEngine, payment_id: UUID) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.sandbox_payment(conn, payment_id, sandbox_provider.NAME)
    if found is None:
        raise _not_found(payment_id)
    return found


@sandbox.get("/pay/{payment_id}", response_class=HTMLResponse, summary="The sandbox's hosted payment page")
async def sandbox_page(payment_id: UUID, engine: EngineDep) -> HTMLResponse:
    payment = await _sandbox_view(engine, payment_id)
    return HTMLResponse(pages.payment_page(payment, event_id=uuid4().hex), headers={"Cache-Control": "no-store"})


@sandbox.post("/pay/{payment_id}/succeed", response_class=HTMLResponse, responses=problem_responses(400, 409, 413),
              summary="The sandbox confirms the payment", openapi_extra=form_body(SandboxSucceeded))
async def sandbox_succeed(
    payment_id: UUID, request: Request, engine: EngineDep, unit_of_work: UnitOfWorkDep,
) -> HTMLResponse:
    form = await read_form(request, SandboxSucceeded)
    # The payer's page, not the CRM: its own words for a payment it cannot find or settle.
    try:
        async with unit_of_work() as uow:
            await service.confirm_payment(
                uow, provider=sandbox_provider.NAME, provider_event_id=form.event_id, payment_id=payment_id,
                amount=form.amount, currency=form.currency,
                provider_reference=sandbox_provider.transaction_reference(form.event_id),
                correlation_id=current_correlation_id(),
            )
    except PaymentNotFound:
        raise _not_found(payment_id) from None
    except NotPayable as exc:
        raise Problem(409, "Payment cannot be paid", str(exc)) from None
    payment = await _sandbox_view(engine, payment_id)
    return HTMLResponse(pages.result_page(payment, payment["status"]))


@sandbox.post("/pay/{payment_id}/decline", response_class=HTMLResponse, responses=problem_responses(400, 413),
              summary="The sandbox declines one try", openapi_extra=form_body(SandboxDeclined))
async def sandbox_decline(
    payment_id: UUID, request: Request, engine: EngineDep, unit_of_work: UnitOfWorkDep,
) -> HTMLResponse:
    form = await read_form(request, SandboxDeclined)
    try:
        async with unit_of_work() as uow:
            outcome = await service.decline_payment(
                uow, provider=sandbox_provider.NAME, provider_event_id=form.event_id, payment_id=payment_id,
                reason=form.reason,
            )
    except PaymentNotFound:
        raise _not_found(payment_id) from None
    payment = await _sandbox_view(engine, payment_id)
    declined = outcome in (Outcome.DECLINED, Outcome.DUPLICATE) and payment["status"] == "unpaid"
    return HTMLResponse(pages.result_page(payment, "declined" if declined else payment["status"]))


def install_provider_bodies(app: FastAPI, providers: service.Providers) -> None:
    """Document the bodies of PUT and PATCH /providers/{provider} as the configurable providers' settings models.

    The route reads the body itself, since which model applies depends on the path; without this
    its document would say only "an object".

    Each model's schema says which provider it is for (`x-provider`, the name in the path), and
    its secrets are `writeOnly`: enough for a front end to build the settings form of any
    provider registered, without knowing any of them.
    """
    configurable = [p for _, p in sorted(providers.items()) if p.settings_model is not None]

    def amend(document: dict[str, Any]) -> dict[str, Any]:
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for method, of, description in (
            ("put", lambda m: m, "The settings of the provider the path names"),
            ("patch", changes_model, "Some settings of the provider the path names; those left out are kept"),
        ):
            refs = []
            for provider in configurable:
                model = of(provider.settings_model)
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schema["x-provider"] = provider.name
                for name in provider.secret_fields & set(schema.get("properties", {})):
                    schema["properties"][name]["writeOnly"] = True
                schemas[model.__name__] = schema
                refs.append({"$ref": f"#/components/schemas/{model.__name__}"})
            operation = document["paths"]["/providers/{provider}"][method]
            body = operation["requestBody"]["content"]["application/json"]
            body["schema"] = {"oneOf": refs, "description": description}
        return document

    amend_openapi(app, amend)
