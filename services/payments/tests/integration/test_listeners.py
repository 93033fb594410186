"""Payments answers its public routes on the public listener only, and its CRM API on the other only."""

import uuid

import httpx
from payments.main import MIGRATIONS, create_app
from payments.settings import Settings
from servicekit.testing import as_account, migrated_database

PUBLIC_PORT = 18005


def _client(app, port: int) -> httpx.AsyncClient:
    # The ASGI scope's "server" is the listener a request came in on: here, the URL's port.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://payments:{port}")


async def test_each_listener_answers_only_its_own_routes(infra) -> None:
    url = await migrated_database(infra, "payments", MIGRATIONS)
    app = create_app(Settings(database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False,
                              public_http_port=PUBLIC_PORT, worker_enabled=False))
    account, payment = uuid.uuid4(), uuid.uuid4()
    async with _client(app, PUBLIC_PORT) as public, _client(app, 8003) as internal:
        for method, path in (("GET", f"/orders/{uuid.uuid4()}/payments"), ("PUT", "/providers/stripe"),
                             ("GET", "/health")):
            answer = await public.request(method, path, headers=as_account(account), json={})
            assert answer.status_code == 404, (method, path)
            assert answer.json()["detail"] == "no such route on this listener"
        for path in (f"/webhooks/stripe/{account}", f"/sandbox/pay/{payment}/succeed"):
            assert (await internal.post(path)).json()["detail"] == "no such route on this listener"
        assert (await internal.get("/thanks")).status_code == 404
        # Each still answers where it belongs.
        assert (await internal.get("/health")).status_code == 200
        unknown = await internal.get(f"/orders/{uuid.uuid4()}/payments", headers=as_account(account))
        assert unknown.status_code == 404 and unknown.json()["detail"].startswith("no order ")
        # Each documents what it answers: the webhooks and the payer's pages outside, the CRM API inside.
        outside = set((await public.get("/openapi.json")).json()["paths"])
        inside = set((await internal.get("/openapi.json")).json()["paths"])
        assert outside == {"/thanks", "/webhooks/{provider}/{account}", "/sandbox/pay/{payment_id}",
                           "/sandbox/pay/{payment_id}/succeed", "/sandbox/pay/{payment_id}/decline"}
        assert "/orders/{order}/payments" in inside and not inside & outside
        thanks = await public.get("/thanks")
        assert thanks.status_code == 200 and "text/html" in thanks.headers["content-type"]
