"""Stripe: a Checkout Session per link, and verified webhooks mapped to provider reports."""

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import stripe
from contracts import CURRENCY_EXPONENTS
from pydantic import ConfigDict, Field
from servicekit.inputs import Input

from ..domain.payment import Link, LinkOrder, Outcome, Payment
from ..domain.providers import Acknowledgement, WebhookDocument, WebhookRequest
from ..domain.reports import (
    AnswerKeptUnderKey, BadNotification, ProviderReport, ProviderUnavailable, UnknownReference,
)

NAME = "stripe"

# Stripe's own minor units where they differ from ISO 4217 (docs.stripe.com/currencies).
_ZERO_DECIMAL = {
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV", "XAF", "XOF", "XPF",
}
# Zero-decimal in ISO, but Stripe takes them as two-decimal amounts for backwards compatibility.
_TWO_DECIMAL_SPECIAL = {"ISK", "UGX"}
_LOCALES = {"en", "uk", "ru", "pl", "de", "it", "fr", "es", "cs", "sk", "ro", "lv", "lt", "et"}


def stripe_exponent(currency: str) -> int:
    if currency in _ZERO_DECIMAL:
        return 0
    if currency in _TWO_DECIMAL_SPECIAL:
        return 2
    return CURRENCY_EXPONENTS[currency]


def to_minor(amount: Decimal, currency: str) -> int:
    scaled = amount.scaleb(stripe_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} cannot be charged in Stripe's minor units")
    return int(scaled)


def from_minor(value: Any, currency: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadNotification(400, "the amount is not an integer of minor units")
    return Decimal(value).scaleb(-stripe_exponent(currency))


def idempotency_key(payment: Payment, generation: int) -> str:
    """The same link attempt is the same request to Stripe, across retries and restarts."""
    return f"checkout:{payment.id}:{generation}"


class StripeSettings(Input):
    """A school's Stripe account: its API key, and the signing secret of the endpoint it set up."""

    model_config = ConfigDict(title="Stripe")  # the provider as the console names it

    secret_key: str = Field(pattern=r"^(sk|rk)_(test|live)_[A-Za-z0-9_]+$", max_length=300)
    webhook_secret: str = Field(pattern=r"^whsec_[A-Za-z0-9_]+$", max_length=300)
    success_url: str | None = Field(default=None, pattern=r"^https?://", max_length=2_000)
    cancel_url: str | None = Field(default=None, pattern=r"^https?://", max_length=2_000)


class StripeProvider:
    name = NAME
    inline = False
    settings_model = StripeSettings
    secret_fields = frozenset({"secret_key", "webhook_secret"})
    # One Stripe account may serve other shops too, and Stripe sends the endpoint all of its events:
    # refusing theirs would be retried for days and then get the endpoint disabled.
    acknowledges_foreign_payments = True

    @property
    def webhook_document(self) -> WebhookDocument:
        return WEBHOOK_DOCUMENT

    def __init__(
        self, *, public_base_url: str, api_base: str | None = None, max_network_retries: int = 2,
        webhook_tolerance_seconds: int = 300,
    ) -> None:
        self._base = public_base_url.rstrip("/")
        self._api_base = api_base
        self._retries = max_network_retries
        self._tolerance = webhook_tolerance_seconds
        self._clients: dict[str, stripe.StripeClient] = {}

    def client(self, secret_key: str) -> stripe.StripeClient:
        if secret_key not in self._clients:
            self._clients[secret_key] = stripe.StripeClient(
                secret_key, http_client=stripe.HTTPXClient(), max_network_retries=self._retries,
                base_addresses={"api": self._api_base} if self._api_base else None,
            )
        return self._clients[secret_key]

    def _key(self, settings: Any) -> str:
        key = settings.get("secret_key")
        if not key:
            raise ProviderUnavailable("the school's Stripe secret key is not configured")
        return str(key)

    async def create_link(self, order: LinkOrder) -> Link:
        payment = order.payment
        settings = order.settings
        ours = {"payment_id": str(payment.id), "order_id": str(payment.order_id), "account_id": str(payment.account_id)}
        thanks = f"{self._base}/thanks"
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": payment.currency.lower(),
                    "unit_amount": to_minor(payment.amount, payment.currency),
                    "product_data": {"name": order.description},
                },
            }],
            "client_reference_id": str(payment.id),
            "metadata": ours,
            # Session metadata does not reach the PaymentIntent; its failures and refunds need it.
            "payment_intent_data": {"metadata": ours},
            "customer_email": order.contact.email,
            "success_url": settings.get("success_url") or thanks,
            "cancel_url": settings.get("cancel_url") or thanks,
        }
        if order.locale and order.locale.split("-")[0] in _LOCALES:
            params["locale"] = order.locale.split("-")[0]
        try:
            session = await self.client(self._key(settings)).v1.checkout.sessions.create_async(
                params=params, options={"idempotency_key": idempotency_key(payment, order.generation)},
            )
        except stripe.StripeError as exc:
            message = f"Stripe refused the checkout session: {exc.user_message or exc}"
            # Stripe saves a 5xx answer under the idempotency key and replays it for that key
            # (for 24 hours); a network failure or a 429 happened before that and keeps the key.
            if (exc.http_status or 0) >= 500:
                raise AnswerKeptUnderKey(message) from None
            raise ProviderUnavailable(message) from None
        data = session.to_dict(for_json=True)
        if not data.get("url") or not data.get("id"):
            raise ProviderUnavailable("Stripe answered without a session URL")
        expires = datetime.fromtimestamp(data["expires_at"], UTC) if data.get("expires_at") else None
        return Link(url=str(data["url"]), provider_reference=str(data["id"]), expires_at=expires)

    async def check_status(self, payment: Payment, settings: Any) -> ProviderReport | None:
        """What Stripe says now about the payment's open session, as a report (None: nothing new)."""
        reference = payment.provider_reference
        if not reference or not reference.startswith("cs_"):
            return None
        try:
            session = await self.client(self._key(settings)).v1.checkout.sessions.retrieve_async(reference)
        except stripe.StripeError as exc:
            raise ProviderUnavailable(f"Stripe did not answer about {reference}: {exc.user_message or exc}") from None
        data = session.to_dict(for_json=True)
        if not data.get("client_reference_id"):
            data["client_reference_id"] = str(payment.id)
        if data.get("payment_status") == "paid":
            return session_report("checkout.session.completed", f"reconcile:{reference}:paid", data)
        if data.get("status") == "expired":
            return session_report("checkout.session.expired", f"reconcile:{reference}:expired", data)
        return None

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> ProviderReport:
        return parse_webhook(request.body, request.header("stripe-signature"),
                             str(settings.get("webhook_secret", "")), tolerance=self._tolerance)

    def acknowledge(self, report: ProviderReport | None, outcome: Outcome, settings: Mapping[str, Any]
                    ) -> Acknowledgement:
        # Stripe wants only a 2xx; the outcome is for whoever reads the endpoint's delivery log.
        return Acknowledgement({"received": True, "outcome": outcome.value})


def _payment_id(value: Any) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise UnknownReference("the event names no payment of ours") from None


def _currency(obj: dict[str, Any]) -> str:
    currency = str(obj.get("currency") or "").upper()
    if currency not in CURRENCY_EXPONENTS:
        raise BadNotification(422, f"unknown currency {currency!r}")
    return currency


def _log_fields(event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    # Only what identifies the event and the money: never card details or the customer.
    keep = ("id", "object", "amount_total", "amount_refunded", "currency", "payment_status", "status",
            "payment_intent", "client_reference_id")
    return {"type": event_type, **{k: obj[k] for k in keep if k in obj}}


def session_report(event_type: str, event_id: str, obj: dict[str, Any]) -> ProviderReport:
    payload = _log_fields(event_type, obj)
    metadata = obj.get("metadata") or {}
    if event_type == "checkout.session.expired":
        return ProviderReport(
            kind="expired", event_id=event_id, payment_id=_payment_id(obj.get("client_reference_id")
                                                                      or metadata.get("payment_id")),
            session_reference=obj.get("id"), payload=payload,
        )
    if event_type == "checkout.session.async_payment_failed":
        return ProviderReport(
            kind="declined", event_id=event_id,
            payment_id=_payment_id(obj.get("client_reference_id") or metadata.get("payment_id")),
            reason="The payment did not go through", payload=payload,
        )
    paid = obj.get("payment_status") == "paid" or event_type == "checkout.session.async_payment_succeeded"
    if not paid:
        return ProviderReport(kind="ignored", event_id=event_id, payload=payload)  # async method still pending
    currency = _currency(obj)
    return ProviderReport(
        kind="succeeded", event_id=event_id,
        payment_id=_payment_id(obj.get("client_reference_id") or metadata.get("payment_id")),
        amount=from_minor(obj.get("amount_total"), currency), currency=currency,
        provider_reference=obj.get("payment_intent") or obj.get("id"), payload=payload,
    )


_SESSION_EVENTS = {
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "checkout.session.expired",
}


def _signed_at(header: str) -> int:
    """The `t=` of a Stripe-Signature header the SDK has already verified."""
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            return int(value)
    raise BadNotification(400, "signature not verified: no timestamp")


def parse_webhook(
    raw: bytes, signature: str | None, secret: str, *, tolerance: int, now: float | None = None
) -> ProviderReport:
    """Verify the Stripe-Signature header on the raw body with the SDK, then decode what matters.

    The SDK refuses a signature older than `tolerance`; one dated further ahead than that is
    refused here too: no clock is that far off, and such an event could be replayed for longer.
    """
    try:
        stripe.Webhook.construct_event(raw, signature or "", secret, tolerance=tolerance)
    except stripe.SignatureVerificationError as exc:
        raise BadNotification(400, f"signature not verified: {exc.user_message or exc}") from None
    except ValueError:
        raise BadNotification(400, "the body is not JSON") from None
    ahead = _signed_at(signature or "") - (time.time() if now is None else now)
    if ahead > tolerance:
        raise BadNotification(400, f"signature not verified: its timestamp is {int(ahead)} s in the future "
                                   f"(tolerance {tolerance} s)")
    try:
        event = json.loads(raw)
        event_id, event_type, obj = str(event["id"]), str(event["type"]), event["data"]["object"]
        if not isinstance(obj, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise BadNotification(400, "the event has no id, type or object") from None
    if event_type in _SESSION_EVENTS:
        return session_report(event_type, event_id, obj)
    if event_type == "payment_intent.payment_failed":
        error = obj.get("last_payment_error") or {}
        reason = error.get("message") or error.get("decline_code") or "declined"
        return ProviderReport(
            kind="declined", event_id=event_id, payment_id=_payment_id((obj.get("metadata") or {}).get("payment_id")),
            reason=str(reason), payload={**_log_fields(event_type, obj), "reason": str(reason)[:500]},
        )
    if event_type == "charge.refunded":
        currency = _currency(obj)
        metadata = obj.get("metadata") or {}
        return ProviderReport(
            kind="refunded", event_id=event_id,
            payment_id=_payment_id(metadata["payment_id"]) if metadata.get("payment_id") else None,
            lookup_reference=obj.get("payment_intent"),
            amount=from_minor(obj.get("amount_refunded"), currency), currency=currency,
            payload=_log_fields(event_type, obj),
        )
    return ProviderReport(kind="ignored", event_id=event_id)


# A Stripe event as the webhook reads it: the SDK checks the Stripe-Signature header over the raw
# body; the fields below are what is then decoded (every other field is Stripe's and ignored).
WEBHOOK_DOCUMENT = WebhookDocument(
    signature="the Stripe-Signature header (t=<unix seconds>,v1=<HMAC-SHA256 of the body with the "
              "endpoint's webhook secret>), checked on the raw body",
    body={
        "type": "object", "title": "StripeEvent", "required": ["id", "type", "data"],
        "description": "A Stripe event; those read are "
                       + ", ".join(sorted({*_SESSION_EVENTS, "payment_intent.payment_failed", "charge.refunded"}))
                       + ", any other verified one is acknowledged and changes nothing",
        "properties": {
            "id": {"type": "string", "examples": ["evt_1"]},
            "type": {"type": "string", "examples": ["checkout.session.completed"]},
            "data": {"type": "object", "required": ["object"],
                     "properties": {"object": {"type": "object", "description": "The session, payment "
                                               "intent or charge the event is about"}}},
        },
    },
    acknowledgement={
        "type": "object", "title": "StripeAcknowledgement", "required": ["received", "outcome"],
        "description": "Stripe needs only the 2xx; the outcome is for the endpoint's delivery log",
        "properties": {"received": {"type": "boolean", "const": True},
                       "outcome": {"type": "string", "enum": [o.value for o in Outcome]}},
    },
)
