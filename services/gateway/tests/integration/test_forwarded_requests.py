"""What a service receives from the gateway: the path under its base URL, the query, the passed headers only,
the caller's proof; and the upstream timeout holds. The service is a real uvicorn listener that echoes."""

import asyncio
import json
import os
import uuid
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from gateway.auth import mint
from gateway.main import create_app
from gateway.settings import Settings
from servicekit.caller import ProofVerifier
from servicekit.testing import running, serving

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
ACCOUNT = uuid.uuid4()


async def echo(scope, receive, send):
    """Answers what it was sent: method, path, query, headers, body; waits first if asked to."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body, more = b"", True
    while more:
        message = await receive()
        body, more = body + message.get("body", b""), message.get("more_body", False)
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    if b"slow" in scope["query_string"]:
        await asyncio.sleep(2)
    answer = json.dumps({"method": scope["method"], "path": scope["raw_path"].decode(),
                         "query": scope["query_string"].decode(), "headers": headers,
                         "body": body.decode("latin-1")}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"etag", b'"7"'), (b"x-internal", b"no")]})
    await send({"type": "http.response.body", "body": answer})


def gateway_public_key() -> str:
    private = serialization.load_pem_private_key(os.environ["GATEWAY_SIGNING_KEY"].encode(), password=None)
    return private.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def bearer(role="owner"):
    token = mint(SECRET, account_id=ACCOUNT, user_id="u1", role=role, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


async def gateway_to(url, **settings):
    return create_app(Settings(jwt_secret=SECRET, log_json=False, orders_url=url, offers_url=url, **settings))


async def test_the_service_gets_the_path_under_its_base_url_the_query_and_the_passed_headers_only():
    async with serving(echo) as url:
        app = await gateway_to(url + "/internal/")
        async with running(app) as client:
            response = await client.get(
                "/api/v1/orders", params=[("q", "Ann Lee"), ("status", "new"), ("sort", "-created_at"),
                                          ("mail", "a+b@x.example")],
                headers={**bearer(), "Accept": "application/json", "If-None-Match": '"6"', "Cookie": "s=1",
                         "X-Account-Id": str(uuid.uuid4()), "X-Correlation-Id": "cid-1"})
    assert response.status_code == 200, response.text
    seen = response.json()
    assert seen["method"] == "GET"
    assert seen["path"] == "/internal/orders"
    assert seen["query"] == "q=Ann+Lee&status=new&sort=-created_at&mail=a%2Bb%40x.example"
    names = [name for name, _ in seen["headers"]]
    headers = dict(seen["headers"])
    assert headers["accept"] == "application/json" and headers["if-none-match"] == '"6"'
    assert headers["x-correlation-id"] == "cid-1"
    assert "cookie" not in names and "x-account-id" not in names
    assert names.count("authorization") == 1
    caller = ProofVerifier(gateway_public_key()).verify(headers["authorization"].removeprefix("Bearer "), "orders")
    assert (caller.account_id, caller.user_id, caller.role) == (ACCOUNT, "u1", "owner")
    # Only the answer's own headers come back, and the correlation id.
    assert response.headers["etag"] == '"7"' and "x-internal" not in response.headers
    assert response.headers["x-correlation-id"] == "cid-1"


async def test_a_body_and_its_bytes_outside_ascii_are_passed_as_they_came():
    async with serving(echo) as url:
        app = await gateway_to(url)
        async with running(app) as client:
            body = json.dumps({"name": "Zoë"}).encode()
            response = await client.post(f"/public/v1/offers/{uuid.uuid4()}/checkouts", content=body,
                                         headers={"Content-Type": "application/json",
                                                  "Idempotency-Key": "k-é".encode()})
    assert response.status_code == 200, response.text
    seen = response.json()
    assert seen["method"] == "POST" and seen["body"].encode("latin-1") == body
    headers = dict(seen["headers"])
    assert headers["idempotency-key"] == "k-é".encode().decode("latin-1")
    assert headers["content-length"] == str(len(body))
    assert "authorization" not in headers  # a visitor's request carries no caller


async def test_a_service_slower_than_the_upstream_timeout_is_a_504():
    async with serving(echo) as url:
        app = await gateway_to(url, upstream_timeout=0.3)
        async with running(app) as client:
            async with asyncio.timeout(1.5):
                response = await client.get(f"/api/v1/orders/{uuid.uuid4()}", params={"slow": "1"},
                                            headers=bearer())
    assert response.status_code == 504, response.text
