"""Fixtures of the payments tests: the service on real PostgreSQL and the real broker, and orders to pay."""

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import pytest
import uvicorn
from contracts import ALL_TOPICS, ContactData, OrderCreated, OrderLine, PlannedPayment, dlq_topic
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from localstack.broker import create_topics
from localstack.ports import free_port
from payments import service
from payments.main import MIGRATIONS, create_app, providers_from
from payments.settings import Settings
from servicekit.testing import fresh_group, migrated_database, running
from sqlalchemy import text

PUBLIC_BASE_URL = "http://pay.school.test"
STRIPE_KEY = "sk_test_standin"
STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
# WayForPay's public test merchant (its SDK and docs use these).
WFP_MERCHANT = "test_merch_n1"
WFP_SECRET = "flk3409refn54t54t*FNJRET"
WFP_DOMAIN = "www.market.ua"


class ProviderStandIn:
    """A local HTTP stand-in for Stripe's API and WayForPay's JSON API.

    Stripe: creates and returns Checkout Sessions, replaying the first answer for a repeated
    Idempotency-Key as Stripe does, a 500 included (a 429 is not saved). WayForPay: checks the
    request signature with the test merchant's secret, issues invoices, answers CHECK_STATUS
    signed like a callback.
    """

    def __init__(self) -> None:
        self.stripe_calls: list[dict[str, Any]] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, dict[str, Any]] = {}
        self.stripe_failures = 0  # 500s, saved under the idempotency key as Stripe does
        self.stripe_rate_limits = 0  # 429s, which Stripe does not save
        self.saved_errors: dict[str, dict[str, Any]] = {}
        self.session_lifetime = 86_400
        self.wfp_calls: list[dict[str, Any]] = []
        self.wfp_failures = 0
        self.wfp_status: dict[str, dict[str, Any]] = {}
        self.app = self._build()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/checkout/sessions")
        async def create_session(request: Request) -> JSONResponse:
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            key = request.headers.get("idempotency-key")
            self.stripe_calls.append({"form": form, "idempotency_key": key,
                                      "authorization": request.headers.get("authorization")})
            if key in self.saved_errors:  # Stripe replays a saved answer, errors included
                return JSONResponse(self.saved_errors[key], status_code=500, headers={"Idempotent-Replayed": "true"})
            if key in self.by_key:
                return JSONResponse(self.by_key[key], headers={"Idempotent-Replayed": "true"})
            if self.stripe_rate_limits:  # refused before the request ran: nothing is saved
                self.stripe_rate_limits -= 1
                return JSONResponse({"error": {"type": "rate_limit_error", "message": "stand-in rate limit"}},
                                    status_code=429)
            if self.stripe_failures:
                self.stripe_failures -= 1
                error = {"error": {"type": "api_error", "message": "stand-in outage"}}
                if key:
                    self.saved_errors[key] = error
                return JSONResponse(error, status_code=500)
            sid = f"cs_test_{uuid.uuid4().hex}"
            session = {
                "id": sid, "object": "checkout.session", "url": f"https://checkout.stripe.test/c/pay/{sid}",
                "expires_at": int(time.time()) + self.session_lifetime, "status": "open",
                "payment_status": "unpaid", "client_reference_id": form.get("client_reference_id"),
                "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
                "currency": form["line_items[0][price_data][currency]"],
                "metadata": {"payment_id": form.get("metadata[payment_id]")},
                "payment_intent": None,
            }
            self.sessions[sid] = session
            self.by_key[key] = session
            return JSONResponse(session)

        @app.get("/v1/checkout/sessions/{sid}")
        async def get_session(sid: str) -> JSONResponse:
            if sid not in self.sessions:
                return JSONResponse({"error": {"type": "invalid_request_error", "message": "No such session"}},
                                    status_code=404)
            return JSONResponse(self.sessions[sid])

        @app.post("/wfp/api")
        async def wfp(request: Request) -> JSONResponse:
            body = json.loads(await request.body())
            self.wfp_calls.append(body)
            if self.wfp_failures:
                self.wfp_failures -= 1
                return JSONResponse({"reason": "busy"}, status_code=503)
            if body["transactionType"] == "CREATE_INVOICE":
                fields = [body["merchantAccount"], body["merchantDomainName"], body["orderReference"],
                          str(body["orderDate"]), str(body["amount"]), body["currency"], *body["productName"],
                          *map(str, body["productCount"]), *map(str, body["productPrice"])]
                if wfp_sign(fields) != body["merchantSignature"]:
                    return JSONResponse({"reason": "Invalid signature", "reasonCode": 1113})
                ref = body["orderReference"]
                return JSONResponse({"reason": "Ok", "reasonCode": 1100,
                                     "invoiceUrl": f"https://secure.wayforpay.test/invoice/{ref}"})
            if body["transactionType"] == "CHECK_STATUS":
                if wfp_sign([body["merchantAccount"], body["orderReference"]]) != body["merchantSignature"]:
                    return JSONResponse({"reason": "Invalid signature", "reasonCode": 1113})
                return JSONResponse(self.wfp_status.get(body["orderReference"]) or {
                    "reason": "Not found", "reasonCode": 1112})
            return JSONResponse({"reason": "unknown", "reasonCode": 1000})

        return app


def wfp_sign(fields: list[str]) -> str:
    return hmac.new(WFP_SECRET.encode(), ";".join(fields).encode(), hashlib.md5).hexdigest()


def wfp_callback(reference: str, amount: str, status: str = "Approved", *, currency: str = "UAH",
                 reason_code: int = 1100, **extra: Any) -> dict[str, Any]:
    """A serviceUrl callback as WayForPay signs it."""
    body = {
        "merchantAccount": WFP_MERCHANT, "orderReference": reference, "amount": amount, "currency": currency,
        "authCode": "541963" if status == "Approved" else "", "cardPan": "41****8217",
        "transactionStatus": status, "reasonCode": reason_code, "reason": "Ok" if status == "Approved" else "Declined",
        "processingDate": int(time.time()), **extra,
    }
    body["merchantSignature"] = wfp_sign([
        body["merchantAccount"], reference, amount, currency, body["authCode"], body["cardPan"], status,
        str(reason_code),
    ])
    return body


def wfp_raw(body: dict[str, Any]) -> bytes:
    # Amounts go out as JSON numbers, as WayForPay sends them.
    raw = json.dumps(body)
    return raw.replace(f'"amount": "{body["amount"]}"', f'"amount": {body["amount"]}').encode()


@pytest.fixture(scope="session")
async def standin():
    stand_in = ProviderStandIn()
    server = uvicorn.Server(uvicorn.Config(stand_in.app, host="127.0.0.1", port=stand_in.port, log_level="warning",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.02)
    yield stand_in
    server.should_exit = True
    await task


@pytest.fixture
def order_created():
    """Build an OrderCreated as the orders service would; every call is a new order."""

    def make(
        account_id: uuid.UUID | None = None,
        *,
        plan: list[tuple[str, str]] | None = None,
        currency: str = "UAH",
        provider: str = "sandbox",
        send_payment_link: bool = True,
        checkout_id: uuid.UUID | None = None,
        payments: list[PlannedPayment] | None = None,
    ) -> OrderCreated:
        plan = plan or [("regular", "1500.00")]
        due = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
        payments = payments or [
            PlannedPayment(type=kind, amount=Decimal(amount), due_at=due + timedelta(days=30 * n) if n else None,
                           closes_access=n > 0)
            for n, (kind, amount) in enumerate(plan)
        ]
        total = sum((p.amount for p in payments), Decimal(0))
        return OrderCreated(
            account_id=account_id or uuid.uuid4(),
            correlation_id=uuid.uuid4(),
            order_id=uuid.uuid4(),
            order_number=42,
            checkout_id=checkout_id or uuid.uuid4(),
            offer_id=uuid.uuid4(),
            school_name="Kyiv Code School",
            contact_id=uuid.uuid4(),
            contact=ContactData(name="Olena", email="olena@example.com", locale="uk"),
            currency=currency,
            lines=[OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="Python", price=total)],
            discount=Decimal(0),
            total=total,
            payment_plan=payments,
            provider=provider,
            send_payment_link=send_payment_link,
        )

    return make


@pytest.fixture(scope="module")
async def client_app(infra, standin):
    url = await migrated_database(infra, "payments", MIGRATIONS)
    await create_topics(infra.kafka_bootstrap, [*ALL_TOPICS, *map(dlq_topic, ALL_TOPICS)])
    settings = Settings(
        database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, public_base_url=PUBLIC_BASE_URL,
        log_json=False, consumer_group=fresh_group(), stripe_api_base=standin.url, stripe_max_network_retries=0,
        wayforpay_api_url=f"{standin.url}/wfp/api", worker_poll_seconds=0.1,
    )
    app = create_app(settings)
    async with running(app) as client:
        yield client, app


@pytest.fixture
def place_order(client_app, order_created):
    """Apply a new OrderCreated to the service, as its consumer would; returns the event."""
    _, app = client_app
    providers = providers_from(app.state.settings)

    async def place(account_id: uuid.UUID | None = None, **kwargs: object) -> OrderCreated:
        event = order_created(account_id, **kwargs)
        async with app.state.engine.begin() as conn:
            await service.create_order_payments(conn, event, providers)
        return event

    return place


@pytest.fixture
def configure(client_app):
    """Give an account provider credentials, as the CRM would."""
    client, _ = client_app

    async def setup(account_id: uuid.UUID, provider: str) -> None:
        body = (
            {"secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WEBHOOK_SECRET} if provider == "stripe" else
            {"merchant_account": WFP_MERCHANT, "secret_key": WFP_SECRET, "merchant_domain_name": WFP_DOMAIN}
        )
        response = await client.put(f"/providers/{provider}", json=body, headers={"X-Account-Id": str(account_id)})
        assert response.status_code == 200, response.text

    return setup


@pytest.fixture
def outbox_events(client_app):
    """The events a payment (or an order) queued on one topic, oldest first."""
    _, app = client_app

    async def read(topic: str, *, payment_id: Any = None, order_id: Any = None) -> list[dict[str, Any]]:
        key, value = ("payment_id", payment_id) if payment_id is not None else ("order_id", order_id)
        async with app.state.engine.connect() as conn:
            rows = await conn.execute(
                text(f"SELECT payload FROM outbox WHERE topic = :t AND payload->>'{key}' = :v ORDER BY id"),
                {"t": topic, "v": str(value)},
            )
            return [r.payload for r in rows]

    return read


async def eventually(check, timeout: float = 15.0):
    """Poll an async check until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(0.05)


@pytest.fixture
def wait_for():
    return eventually


@pytest.fixture
def wfp_callbacks():
    """(build a signed callback, its raw body with JSON-number amounts), as WayForPay sends them."""
    return wfp_callback, wfp_raw
