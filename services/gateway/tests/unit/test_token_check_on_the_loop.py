"""A CRM token is checked on the event loop, except when its check may fetch the identity provider's keys."""

import asyncio
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from gateway.auth import mint
from gateway.main import create_app
from gateway.settings import Settings
from servicekit.testing import running

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
ISSUER = "https://id.school-platform.example"
ACCOUNT = uuid.uuid4()


async def service(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{}"})


def gateway(**settings):
    return create_app(Settings(jwt_secret=SECRET, log_json=False, **settings),
                      transports={"orders": httpx.ASGITransport(app=service)})


def threads_of(app) -> list[threading.Thread]:
    """Records the thread each token check runs on."""
    seen: list[threading.Thread] = []
    verifier = app.state.token_verifier
    check = verifier.verify

    def recorded(token):
        seen.append(threading.current_thread())
        return check(token)

    verifier.verify = recorded
    return seen


async def test_the_gateways_own_tokens_are_checked_on_the_event_loop():
    app = gateway()
    seen = threads_of(app)
    token = mint(SECRET, account_id=ACCOUNT, user_id="u1", role="owner")
    async with running(app) as client:
        response = await client.get(f"/api/v1/orders/{uuid.uuid4()}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert seen == [threading.main_thread()]


async def test_fetching_the_providers_keys_never_holds_up_the_event_loop():
    app = gateway(jwks=f"{ISSUER}/jwks.json", jwt_issuer=ISSUER, jwt_audience="crm")
    seen = threads_of(app)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.get_default_algorithms()["RS256"].to_jwk(key.public_key()))
    keys = app.state.token_verifier._provider_keys

    def slow_fetch(token):  # the provider answering slowly
        time.sleep(0.4)
        return jwt.PyJWK({**jwk, "kid": "k1", "alg": "RS256"})

    keys.get_signing_key_from_jwt = slow_fetch
    now = datetime.now(UTC)
    token = jwt.encode({"iss": ISSUER, "aud": "crm", "sub": "u1", "role": "owner", "account_id": str(ACCOUNT),
                        "iat": now, "exp": now + timedelta(minutes=5)}, key, algorithm="RS256", headers={"kid": "k1"})
    gaps: list[float] = []

    async def ticking(stop: asyncio.Event):
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            gaps.append(time.monotonic() - last)
            last = time.monotonic()

    async with running(app) as client:
        stop = asyncio.Event()
        ticker = asyncio.create_task(ticking(stop))
        response = await client.get(f"/api/v1/orders/{uuid.uuid4()}", headers={"Authorization": f"Bearer {token}"})
        stop.set()
        await ticker
    assert response.status_code == 200, response.text
    assert len(seen) == 1 and seen[0] is not threading.main_thread()
    assert max(gaps) < 0.3
