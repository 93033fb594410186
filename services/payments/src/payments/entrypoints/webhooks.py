"""Public webhooks of the payment providers: one route for all, verify on the raw body, apply once, answer.

`/webhooks/{provider}/{account}`: the provider is looked up in the registry, the school's
credentials opened, the notification verified by the provider, the report applied by the one use
case for provider reports, and the provider's own acknowledgement sent back. The paths given to
providers before this route existed (`/webhooks/stripe/<account>`, `/webhooks/wayforpay/<account>`)
are this route with the provider's name, so they keep answering.
"""

import logging
from typing import Any
from uuid import UUID

from contracts import ProviderName
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from servicekit.api import amend_openapi, problem_responses
from servicekit.http import Problem, current_correlation_id

from .. import service
from ..adapters import repository as repo
from ..domain.payment import AmountMismatch, NotPayable, Outcome, PaymentNotFound
from ..domain.providers import PaymentProvider, WebhookDocument, WebhookRequest
from ..domain.reports import BadNotification, ProviderReport, UnknownReference
from ..service import UnitOfWorkFactory
from .common import UnitOfWorkDep

log = logging.getLogger("payments.webhooks")

webhooks = APIRouter(prefix="/webhooks", tags=["webhooks"])

# Providers' notifications are small; anything bigger is not one of them.
MAX_WEBHOOK_BYTES = 256_000


async def _raw(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_WEBHOOK_BYTES:
        raise Problem(413, "Request too large", f"at most {MAX_WEBHOOK_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise Problem(413, "Request too large", f"at most {MAX_WEBHOOK_BYTES} bytes")
    return body


def _provider(request: Request, name: str) -> PaymentProvider:
    provider = request.app.state.providers.get(name)
    if provider is None:
        log.warning("webhook refused: no provider %r", name[:50])
        raise Problem(404, "Not found", "no such payment provider")
    return provider


def _account(provider: str, account: str) -> UUID:
    try:
        return UUID(account)
    except ValueError:
        log.warning("%s webhook refused: %r is no account", provider, account[:50])
        raise Problem(404, "Not found", "no such account") from None


async def _settings(request: Request, account_id: UUID, provider: PaymentProvider) -> dict[str, Any]:
    async with request.app.state.engine.connect() as conn:
        settings = await repo.provider_settings_now(conn, request.app.state.sealer, account_id, provider.name)
    if settings is None and provider.settings_model is not None:
        log.warning("%s webhook refused for account %s: provider not configured", provider.name, account_id)
        raise Problem(404, "Not found", f"no {provider.name} settings for this account")
    return settings or {}


def _refused(
    provider: str, account_id: UUID, status: int, reason: str, report: ProviderReport | None = None
) -> Problem:
    # Logged without the body: it may carry card or personal data.
    log.warning(
        "%s webhook refused for account %s (%d): %s%s", provider, account_id, status, reason,
        f" [event {report.event_id}, payment {report.payment_id}]" if report else "",
    )
    return Problem(status, "Notification refused", reason)


async def _apply(
    unit_of_work: UnitOfWorkFactory, provider: str, account_id: UUID, report: ProviderReport, *,
    unknown_is_foreign: bool = False,
) -> Outcome:
    """With `unknown_is_foreign`, a report about a payment this school does not have is taken and
    ignored: one Stripe account may serve other shops, and Stripe retries any other answer for days
    and then disables the endpoint."""
    try:
        async with unit_of_work() as uow:
            outcome = await service.apply_report(
                uow, provider=provider, report=report, account_id=account_id,
                correlation_id=current_correlation_id(),
            )
    except PaymentNotFound as exc:
        if not unknown_is_foreign:
            raise _refused(provider, account_id, 404, str(exc), report) from None
        log.info("%s event %s for account %s names no payment of this school (%s): acknowledged, nothing changed",
                 provider, report.event_id, account_id, exc)
        return Outcome.NOT_OURS
    except AmountMismatch as exc:
        raise _refused(provider, account_id, 422, str(exc), report) from None
    except NotPayable as exc:
        raise _refused(provider, account_id, 409, str(exc), report) from None
    log.info("%s event %s for payment %s: %s", provider, report.event_id, report.payment_id, outcome.value)
    return outcome


@webhooks.post("/{provider}/{account}", summary="A payment provider's signed notifications for one school",
               # The acknowledgement is the provider's own body; only a refusal is ours to shape.
               responses={200: {"description": "The provider's own acknowledgement"},
                          **problem_responses(400, 404, 409, 413, 422, 503)})
async def provider_webhook(
    provider: ProviderName, account: str, request: Request, unit_of_work: UnitOfWorkDep,
) -> JSONResponse:
    found = _provider(request, provider)
    account_id = _account(found.name, account)
    raw = await _raw(request)
    settings = await _settings(request, account_id, found)
    notification = WebhookRequest(body=raw, headers={k.lower(): v for k, v in request.headers.items()})
    report: ProviderReport | None
    try:
        report = found.parse_webhook(notification, settings)
    except UnknownReference as exc:
        log.info("%s event for account %s: %s; acknowledged, nothing changed", found.name, account_id, exc)
        report, outcome = None, Outcome.NOT_OURS
    except BadNotification as exc:
        raise _refused(found.name, account_id, exc.status, str(exc)) from None
    else:
        outcome = await _apply(unit_of_work, found.name, account_id, report,
                               unknown_is_foreign=found.acknowledges_foreign_payments)
    # Sent only now: the report is stored and applied, so the provider may stop repeating it.
    answer = found.acknowledge(report, outcome, settings)
    return JSONResponse(answer.body, status_code=answer.status)


WEBHOOK_PATH = "/webhooks/{provider}/{account}"


def _component(provider: str, schema: Any, kind: str) -> str:
    return str(schema.get("title") or "".join(part.capitalize() for part in provider.split("_")) + kind)


def install_webhook_document(app: FastAPI, providers: service.Providers) -> None:
    """Document the webhook as the registered providers' notifications and acknowledgements.

    The route reads the raw body itself (signatures are over its bytes) and which provider's
    notification it is depends on the path, so FastAPI cannot tell: each provider describes its
    own (`webhook_document`), and `provider` is an enum of those that send notifications.
    """
    documented: dict[str, WebhookDocument] = {
        name: p.webhook_document for name, p in sorted(providers.items()) if p.webhook_document is not None}

    def amend(document: dict[str, Any]) -> dict[str, Any]:
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        operation = document["paths"][WEBHOOK_PATH]["post"]
        for parameter in operation["parameters"]:
            if parameter["name"] == "provider":
                parameter["schema"] = {"type": "string", "enum": list(documented), "title": "Provider"}
                parameter["description"] = "The registered provider whose notification this is"
        bodies: dict[str, list[dict[str, str]]] = {}
        answers = []
        for name, webhook in documented.items():
            body, answer = _component(name, webhook.body, "Notification"), _component(
                name, webhook.acknowledgement, "Acknowledgement")
            schemas[body], schemas[answer] = dict(webhook.body), dict(webhook.acknowledgement)
            bodies.setdefault(webhook.content_type, []).append({"$ref": f"#/components/schemas/{body}"})
            answers.append({"$ref": f"#/components/schemas/{answer}"})
        signed = "; ".join(f"{name}: {webhook.signature}" for name, webhook in documented.items())
        operation["description"] = (
            f"The registered providers' notifications ({', '.join(documented)}), each verified on the raw "
            f"body before anything is read. Signed by {signed}.")
        operation["requestBody"] = {
            "required": True, "description": "The notification of the provider the path names, as it sends it",
            "content": {kind: {"schema": {"oneOf": refs}} for kind, refs in bodies.items()},
        }
        operation["responses"]["200"] = {
            "description": "The provider's own acknowledgement, once the notification is stored and applied",
            "content": {"application/json": {"schema": {"oneOf": answers}}},
        }
        return document

    amend_openapi(app, amend)
