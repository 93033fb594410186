"""Local stand-ins of the payment providers' APIs: Stripe's and WayForPay's, over real HTTP.

The payments service's tests and the end-to-end tests point the service at them
(`PAYMENTS_STRIPE_API_BASE`, `PAYMENTS_WAYFORPAY_API_URL`), so the Stripe SDK's own request
code and our WayForPay client run against something that answers as the providers do,
with nothing leaving the machine.
"""

import hashlib
import hmac
import json
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .ports import free_port

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


class StandInThread:
    """The stand-in served from a background thread, for tests that are not async."""

    def __init__(self, stand_in: ProviderStandIn) -> None:
        self.stand_in = stand_in
        self._server = uvicorn.Server(uvicorn.Config(stand_in.app, host="127.0.0.1", port=stand_in.port,
                                                     log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, name="provider-stand-in", daemon=True)

    def __enter__(self) -> ProviderStandIn:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the provider stand-in did not start")
            time.sleep(0.02)
        return self.stand_in

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)

