"""Payments' two listeners, as the stack runs them: the public one answers payers and providers only."""

import uuid

import httpx
import pytest

pytestmark = pytest.mark.e2e
ELSEWHERE = "no such route on this listener"


def _refused_here(answer: httpx.Response) -> bool:
    if answer.status_code != 404 or not answer.headers.get("content-type", "").startswith("application/problem+json"):
        return False
    return answer.json().get("detail") == ELSEWHERE


def test_the_public_listener_serves_no_crm_route_and_the_crm_listener_no_public_one(stack) -> None:
    public, internal = stack["payments_public"], stack["services"]["payments"]
    order, payment, account = uuid.uuid4(), uuid.uuid4(), stack["account_id"]
    crm_routes = (("GET", f"/orders/{order}/payments"), ("POST", f"/payments/{payment}/mark-paid"),
                  ("PUT", "/providers/stripe"), ("GET", "/health"), ("GET", "/metrics"))
    public_routes = (("POST", f"/webhooks/stripe/{account}"), ("GET", f"/sandbox/pay/{payment}"), ("GET", "/thanks"))
    with httpx.Client(timeout=10) as http:
        for method, path in crm_routes:
            assert _refused_here(http.request(method, f"{public}{path}", json={})), f"public {method} {path}"
            assert not _refused_here(http.request(method, f"{internal}{path}", json={})), f"internal {method} {path}"
        for method, path in public_routes:
            assert _refused_here(http.request(method, f"{internal}{path}")), f"internal {method} {path}"
            served = http.request(method, f"{public}{path}")
            assert not _refused_here(served) and served.status_code < 500, f"public {method} {path}"
        # Each documents only what it answers.
        outside = set(http.get(f"{public}/openapi.json").json()["paths"])
        inside = set(http.get(f"{internal}/openapi.json").json()["paths"])
        assert "/webhooks/{provider}/{account}" in outside and "/thanks" in outside
        assert "/orders/{order}/payments" in inside and not outside & inside
        assert all(path.startswith(("/webhooks", "/sandbox", "/thanks")) for path in outside)
