"""The public listener's API document describes what payers' pages and providers really send.

The sandbox's form posts carry their form models, the webhook the notification of each provider
the registry holds (its content type, its signature, its acknowledgement), and the webhook's
`provider` is an enum of the registry's names: a provider added to the registry appears in it.
The app is built, never started: nothing connects.
"""

from typing import Any

import pytest
from fastapi import FastAPI
from payments import main
from payments.adapters.sealing import new_key
from payments.domain.payment import Outcome
from payments.domain.providers import WebhookDocument
from payments.entrypoints.bodies import SandboxDeclined, SandboxSucceeded
from payments.main import PUBLIC_PREFIXES, create_app, providers_from
from payments.settings import Settings
from servicekit.listeners import listener_document

WEBHOOK = "/webhooks/{provider}/{account}"
FORM = "application/x-www-form-urlencoded"


def _settings() -> Settings:
    return Settings(log_json=False, credentials_keys=new_key(), sandbox_enabled=True)


def _public(app: FastAPI) -> dict[str, Any]:
    return listener_document(app.openapi(), PUBLIC_PREFIXES, public=True)


def _resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]


def test_the_sandbox_form_posts_document_their_form_models() -> None:
    document = _public(create_app(_settings()))
    for path, model in (("/sandbox/pay/{payment_id}/succeed", SandboxSucceeded),
                        ("/sandbox/pay/{payment_id}/decline", SandboxDeclined)):
        body = document["paths"][path]["post"].get("requestBody")
        assert body is not None, f"{path} documents no body"
        assert body["required"] is True and list(body["content"]) == [FORM]
        assert body["content"][FORM]["schema"] == model.model_json_schema()
    succeeded = document["paths"]["/sandbox/pay/{payment_id}/succeed"]["post"]["requestBody"]["content"][FORM]
    assert set(succeeded["schema"]["required"]) == {"amount", "currency"}


def test_the_webhook_documents_each_registered_provider_s_notification_and_answer() -> None:
    settings = _settings()
    registry = providers_from(settings)
    senders = sorted(name for name, p in registry.items() if p.webhook_document is not None)
    assert senders == ["stripe", "wayforpay"] and "sandbox" in registry  # the sandbox's page posts, never a webhook
    document = _public(create_app(settings))
    operation = document["paths"][WEBHOOK]["post"]

    provider = next(p for p in operation["parameters"] if p["name"] == "provider")
    assert provider["schema"]["enum"] == senders

    body = operation.get("requestBody")
    assert body is not None and body["required"] is True and list(body["content"]) == ["application/json"]
    notifications = [_resolved(document, s) for s in body["content"]["application/json"]["schema"]["oneOf"]]
    assert [n["title"] for n in notifications] == ["StripeEvent", "WayForPayCallback"]
    assert {"id", "type", "data"} <= set(notifications[0]["required"])
    assert {"merchantSignature", "orderReference", "transactionStatus"} <= set(notifications[1]["required"])
    assert "Stripe-Signature" in operation["description"] and "merchantSignature" in operation["description"]

    answers = operation["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"]
    acknowledgements = dict(zip(senders, (_resolved(document, s) for s in answers), strict=True))
    # What each provider really answers has the members its documented acknowledgement requires.
    wayforpay = {"merchant_account": "school_ua", "secret_key": "s3cret", "merchant_domain_name": "school.ua"}
    for name, settings_of in (("stripe", {}), ("wayforpay", wayforpay)):
        answer = registry[name].acknowledge(None, Outcome.NOT_OURS, settings_of)
        assert answer.status == 200
        assert set(answer.body) == set(acknowledgements[name]["required"]) == set(acknowledgements[name]["properties"])
    assert Outcome.NOT_OURS.value in acknowledgements["stripe"]["properties"]["outcome"]["enum"]


class _Postbox:
    """A provider the registry could hold tomorrow: only what the document reads of it."""

    name = "postbox"
    settings_model = None
    webhook_document = WebhookDocument(
        signature="the X-Postbox-Signature header",
        body={"type": "object", "title": "PostboxNotice", "properties": {"id": {"type": "string"}}},
        acknowledgement={"type": "object", "title": "PostboxAck", "properties": {"ok": {"type": "boolean"}}},
        content_type="application/x-www-form-urlencoded",
    )


def test_the_provider_names_and_bodies_come_from_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    def with_postbox(settings: Settings) -> dict[str, Any]:
        return {**providers_from(settings), "postbox": _Postbox()}

    monkeypatch.setattr(main, "providers_from", with_postbox)
    document = _public(create_app(_settings()))
    operation = document["paths"][WEBHOOK]["post"]
    provider = next(p for p in operation["parameters"] if p["name"] == "provider")
    assert provider["schema"]["enum"] == ["postbox", "stripe", "wayforpay"]
    posted = operation["requestBody"]["content"][FORM]["schema"]["oneOf"]
    assert [_resolved(document, s)["title"] for s in posted] == ["PostboxNotice"]
    assert "X-Postbox-Signature" in operation["description"]
