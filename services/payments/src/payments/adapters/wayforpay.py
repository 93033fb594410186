"""WayForPay: CREATE_INVOICE links, signed serviceUrl callbacks, CHECK_STATUS; HMAC-MD5 throughout."""

import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import httpx
from contracts import CURRENCY_EXPONENTS
from pydantic import ConfigDict, Field
from servicekit.inputs import Input, Name

from ..domain.payment import Link, LinkOrder, Outcome, Payment
from ..domain.providers import Acknowledgement, WebhookDocument, WebhookRequest, webhook_path
from ..domain.reports import BadNotification, ProviderReport, ProviderUnavailable

NAME = "wayforpay"
API_URL = "https://api.wayforpay.com/api"
OK = 1100
_LANGUAGES = {"uk": "UA", "ru": "RU", "en": "EN", "pl": "PL", "de": "DE", "it": "IT", "fr": "FR"}
# The fields a callback (and a CHECK_STATUS answer) is signed over, in order.
CALLBACK_FIELDS = (
    "merchantAccount", "orderReference", "amount", "currency", "authCode", "cardPan", "transactionStatus",
    "reasonCode",
)


def sign(secret: str, fields: Sequence[str]) -> str:
    """hex(HMAC-MD5(secret, "f1;f2;...")), as WayForPay computes it."""
    return hmac.new(secret.encode(), ";".join(fields).encode(), hashlib.md5).hexdigest()


def amount_text(amount: Decimal) -> str:
    """The amount as WayForPay writes it when signing: 1547.36, 1, 100, 1.5."""
    text = format(amount.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _field_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return amount_text(value)
    return str(value)


def order_reference(payment: Payment, generation: int) -> str:
    # Unique per merchant: a re-issued invoice for the same payment gets the next suffix.
    return f"{payment.id}_{generation}"


def payment_of(reference: str) -> UUID:
    try:
        return UUID(reference.rsplit("_", 1)[0])
    except ValueError:
        raise BadNotification(404, "the order reference names no payment of ours") from None


def accept_response(secret: str, reference: str, *, now: int | None = None) -> dict[str, Any]:
    at = int(time.time()) if now is None else now
    return {"orderReference": reference, "status": "accept", "time": at,
            "signature": sign(secret, [reference, "accept", str(at)])}


def _credentials(settings: Any) -> tuple[str, str, str]:
    try:
        return str(settings["merchant_account"]), str(settings["secret_key"]), str(settings["merchant_domain_name"])
    except KeyError:
        raise ProviderUnavailable("the school's WayForPay credentials are not configured") from None


class WayForPaySettings(Input):
    """A school's WayForPay merchant: its account, its secret key and the domain it signs with."""

    model_config = ConfigDict(title="WayForPay")  # the provider as the console names it

    merchant_account: Name = Field(max_length=200)
    secret_key: Name = Field(max_length=300)
    merchant_domain_name: Name = Field(max_length=300)
    return_url: str | None = Field(default=None, pattern=r"^https?://", max_length=2_000)


class WayForPayProvider:
    name = NAME
    inline = False
    settings_model = WayForPaySettings
    secret_fields = frozenset({"secret_key"})
    # A merchant account is the school's own, and WayForPay calls back only about its invoices.
    acknowledges_foreign_payments = False

    @property
    def webhook_document(self) -> WebhookDocument:
        return WEBHOOK_DOCUMENT

    def __init__(
        self, *, public_base_url: str, api_url: str = API_URL, order_timeout_seconds: int = 604_800,
        callback_max_age_seconds: int = 259_200, http: httpx.AsyncClient | None = None,
    ) -> None:
        self._base = public_base_url.rstrip("/")
        self._api_url = api_url
        self._timeout = order_timeout_seconds
        self._max_age = callback_max_age_seconds
        self._http = http or httpx.AsyncClient(timeout=15.0)

    async def aclose(self) -> None:
        await self._http.aclose()

    def invoice_request(self, order: LinkOrder, *, now: int) -> dict[str, Any]:
        payment = order.payment
        merchant, secret, domain = _credentials(order.settings)
        reference = order_reference(payment, order.generation)
        amount = amount_text(payment.amount)
        names, counts, prices = [order.description], ["1"], [amount]
        signature = sign(secret, [merchant, domain, reference, str(now), amount, payment.currency,
                                  *names, *counts, *prices])
        return {
            "transactionType": "CREATE_INVOICE",
            "merchantAccount": merchant,
            "merchantAuthType": "SimpleSignature",
            "merchantDomainName": domain,
            "merchantSignature": signature,
            "apiVersion": 1,
            "language": _LANGUAGES.get((order.locale or "").split("-")[0], "EN"),
            "serviceUrl": f"{self._base}{webhook_path(NAME, payment.account_id)}",
            "returnUrl": order.settings.get("return_url") or f"{self._base}/thanks",
            "orderReference": reference,
            "orderDate": now,
            # Sent exactly as signed, so what WayForPay checks is what we signed.
            "amount": amount,
            "currency": payment.currency,
            "orderTimeout": self._timeout,
            "productName": names,
            "productPrice": prices,
            "productCount": [int(c) for c in counts],
            "clientEmail": order.contact.email,
            **({"clientPhone": order.contact.phone} if order.contact.phone else {}),
        }

    async def create_link(self, order: LinkOrder) -> Link:
        now = int(time.time())
        body = self.invoice_request(order, now=now)
        answer = await self._call(body)
        if answer.get("reasonCode") != OK or not answer.get("invoiceUrl"):
            raise ProviderUnavailable(
                f"WayForPay refused the invoice: {answer.get('reason')} ({answer.get('reasonCode')})"
            )
        return Link(
            url=str(answer["invoiceUrl"]), provider_reference=body["orderReference"],
            expires_at=datetime.fromtimestamp(now, UTC) + timedelta(seconds=self._timeout),
        )

    async def _call(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(self._api_url, json=body)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"WayForPay cannot be reached: {exc!r}") from None
        if response.status_code >= 400:
            raise ProviderUnavailable(f"WayForPay answered {response.status_code}")
        try:
            answer = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise ProviderUnavailable("WayForPay answered with something that is not JSON") from None
        if not isinstance(answer, dict):
            raise ProviderUnavailable("WayForPay answered with something that is not an object")
        return answer

    async def check_status(self, payment: Payment, settings: Any) -> ProviderReport | None:
        """CHECK_STATUS for the payment's current invoice; the answer is verified like a callback."""
        reference = payment.provider_reference
        if not reference:
            return None
        merchant, secret, _ = _credentials(settings)
        answer = await self._call({
            "transactionType": "CHECK_STATUS", "merchantAccount": merchant, "orderReference": reference,
            "merchantSignature": sign(secret, [merchant, reference]), "apiVersion": 1,
        })
        try:
            report = decode_callback(answer, merchant=merchant, secret=secret)
        except BadNotification as exc:
            raise ProviderUnavailable(f"WayForPay's status answer was not usable: {exc}") from None
        return None if report.kind == "ignored" else report

    def parse_webhook(self, request: WebhookRequest, settings: Mapping[str, Any]) -> ProviderReport:
        return parse_callback(request.body, settings, max_age=self._max_age)

    def acknowledge(self, report: ProviderReport | None, outcome: Outcome, settings: Mapping[str, Any]
                    ) -> Acknowledgement:
        # Until it gets this signed answer, WayForPay repeats the callback.
        reference = str(((report.payload if report else None) or {}).get("orderReference"))
        _, secret, _ = _credentials(settings)
        return Acknowledgement(accept_response(secret, reference))


def decode_callback(data: Any, *, merchant: str, secret: str) -> ProviderReport:
    """A callback body (already parsed with Decimal floats), verified, as a report."""
    if not isinstance(data, dict):
        raise BadNotification(400, "the body is not a JSON object")
    missing = [f for f in ("merchantAccount", "orderReference", "merchantSignature", "amount", "currency",
                           "transactionStatus") if data.get(f) in (None, "")]
    if missing:
        raise BadNotification(400, f"missing fields: {', '.join(missing)}")
    expected = sign(secret, [_field_text(data.get(f)) for f in CALLBACK_FIELDS])
    if not hmac.compare_digest(expected, str(data["merchantSignature"])):
        raise BadNotification(400, "merchantSignature does not match")
    if data["merchantAccount"] != merchant:
        raise BadNotification(400, "the callback is for another merchant account")
    reference = str(data["orderReference"])
    currency = str(data["currency"]).upper()
    if currency not in CURRENCY_EXPONENTS:
        raise BadNotification(422, f"unknown currency {currency!r}")
    try:
        amount = Decimal(str(data["amount"]))
    except InvalidOperation:
        raise BadNotification(400, "the amount is not a number") from None
    status = str(data["transactionStatus"])
    payload = {k: data.get(k) for k in ("orderReference", "transactionStatus", "reasonCode", "reason",
                                         "processingDate", "createdDate")}
    payload = {**json.loads(json.dumps(payload, default=str)), "amount": amount_text(amount), "currency": currency}
    payment_id = payment_of(reference)
    if status == "Approved":
        return ProviderReport(kind="succeeded", event_id=f"{reference}:Approved", payment_id=payment_id,
                              amount=amount, currency=currency, provider_reference=reference, payload=payload)
    if status == "Declined":
        # A try is told apart by what is signed (the card, the reason code), never by the unsigned
        # dates: a signed Declined replayed with another processingDate is the same try, counted once.
        signed = hashlib.sha256(";".join(_field_text(data.get(f)) for f in CALLBACK_FIELDS).encode()).hexdigest()
        return ProviderReport(kind="declined", event_id=f"{reference}:Declined:{signed[:32]}", payment_id=payment_id,
                              reason=str(data.get("reason") or "Declined"), payload=payload)
    if status == "Refunded":
        # The callback has no refunded amount of its own: its signed `amount` is the invoice's.
        # So "Refunded" reads as the whole payment given back. Taken as the refunded total, the
        # same field would also be right if a smaller amount were ever signed there.
        return ProviderReport(kind="refunded", event_id=f"{reference}:Refunded", payment_id=payment_id,
                              amount=amount, currency=currency, payload=payload)
    if status == "Expired":
        return ProviderReport(kind="expired", event_id=f"{reference}:Expired", payment_id=payment_id,
                              session_reference=reference, payload=payload)
    return ProviderReport(kind="ignored", event_id=f"{reference}:{status}", payload=payload)


# How far ahead of our clock a callback's date may be: clocks differ a little, not by minutes.
CLOCK_SKEW_SECONDS = 300


def parse_callback(raw: bytes, settings: Any, *, max_age: int, now: float | None = None) -> ProviderReport:
    """A serviceUrl callback, verified, and refused when it is older than `max_age` seconds.

    Its age is that of `processingDate` (else `createdDate`), Unix seconds. WayForPay signs
    neither, so this turns away late deliveries and old callbacks sent again as they were; one
    sent again with a new date still changes nothing, as its event id comes from signed fields.
    CHECK_STATUS answers are not judged by age: reconciliation asks about old payments on purpose.
    """
    try:
        data = json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise BadNotification(400, "the body is not JSON") from None
    merchant, secret, _ = _credentials(settings)
    report = decode_callback(data, merchant=merchant, secret=secret)
    _check_fresh(data, max_age=max_age, now=time.time() if now is None else now)
    return report


def _check_fresh(data: dict[str, Any], *, max_age: int, now: float) -> None:
    when = data.get("processingDate") or data.get("createdDate")
    if isinstance(when, bool) or not isinstance(when, (int, str, Decimal)) or not str(when).isdigit():
        raise BadNotification(400, "the callback has no processingDate (Unix seconds)")
    age = now - int(when)
    if age > max_age:
        raise BadNotification(400, f"the callback is {int(age)} s old; older than {max_age} s are refused")
    if age < -CLOCK_SKEW_SECONDS:
        raise BadNotification(400, f"the callback is dated {int(-age)} s in the future")


# A serviceUrl callback as WayForPay posts it (a JSON object): the fields checked and signed.
_TEXT, _NUMBER = {"type": "string"}, {"type": ["number", "string"]}
WEBHOOK_DOCUMENT = WebhookDocument(
    signature="merchantSignature in the body: hex HMAC-MD5, with the merchant's secret key, of "
              + ";".join(CALLBACK_FIELDS) + " joined by ';'",
    body={
        "type": "object", "title": "WayForPayCallback",
        "required": ["merchantAccount", "orderReference", "merchantSignature", "amount", "currency",
                     "transactionStatus"],
        "description": "A callback of an invoice's serviceUrl; one older than the configured age "
                       "(by processingDate, else createdDate) is refused",
        "properties": {
            "merchantAccount": _TEXT, "orderReference": _TEXT, "merchantSignature": _TEXT,
            "amount": _NUMBER, "currency": _TEXT, "authCode": _TEXT, "cardPan": _TEXT,
            "transactionStatus": {"type": "string", "examples": ["Approved", "Declined", "Refunded"]},
            "reasonCode": {"type": ["integer", "string"]},
            "processingDate": {"type": ["integer", "string"], "description": "Unix seconds"},
            "createdDate": {"type": ["integer", "string"], "description": "Unix seconds"},
        },
    },
    acknowledgement={
        "type": "object", "title": "WayForPayAcknowledgement", "required": ["orderReference", "status", "time",
                                                                             "signature"],
        "description": "The signed accept; until WayForPay gets it, it repeats the callback",
        "properties": {
            "orderReference": _TEXT, "status": {"type": "string", "const": "accept"},
            "time": {"type": "integer", "description": "Unix seconds"},
            "signature": {"type": "string", "description": "hex HMAC-MD5 of orderReference;status;time"},
        },
    },
)
