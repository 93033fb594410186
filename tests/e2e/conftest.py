"""The stack, started exactly as `make run` starts it, shared by the end-to-end tests."""

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from localstack.browser import console_page, launched_chromium
from localstack.launch import launched_stack, stack_environment
from localstack.provider_standin import ProviderStandIn, StandInThread


def wait_until(check: Callable[[], Any], timeout: float = 30, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout}s: {check.__doc__ or check}")
        time.sleep(every)


@pytest.fixture(scope="session")
def providers() -> Iterator[ProviderStandIn]:
    """Stripe's and WayForPay's APIs, answered locally; the stack's payments service calls them."""
    with StandInThread(ProviderStandIn()) as stand_in:
        yield stand_in


@pytest.fixture(scope="session")
def stack(tmp_path_factory, providers) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("stack")
    env = stack_environment(
        data,
        # Real provider clients, pointed at the local stand-ins of the providers' APIs.
        PAYMENTS_STRIPE_API_BASE=providers.url,
        PAYMENTS_STRIPE_MAX_NETWORK_RETRIES="0",
        PAYMENTS_WAYFORPAY_API_URL=f"{providers.url}/wfp/api",
        PAYMENTS_WORKER_POLL_SECONDS="0.5",
    )
    with launched_stack(data, env) as launched:
        yield launched.state


@pytest.fixture(scope="session")
def eventually() -> Callable[..., Any]:
    """`eventually(check, timeout=30)`: polls `check` until it returns something true, and returns that."""
    return wait_until


# The console's browser tests (test_console*.py).

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def page(browser, stack) -> Iterator[Any]:
    """A new browser profile per test; no page may break the console's Content-Security-Policy."""
    with console_page(browser, stack["gateway"]) as opened:
        yield opened


# The console's writes: orders of their own, made through the API per test, so no test depends on
# what another changed.

@pytest.fixture(scope="module")
def api(stack) -> httpx.Client:
    return httpx.Client(base_url=f"{stack['gateway']}/api/v1", timeout=10,
                        headers={"Authorization": f"Bearer {stack['token']}"})


@pytest.fixture(scope="module")
def product(stack, api) -> dict[str, Any]:
    """The demo offer's product and price, for manual orders."""
    offer = api.get(f"/offers/{stack['offer_id']}").raise_for_status().json()
    return {"id": offer["items"][0]["product_id"], "title": offer["items"][0]["product_title"],
            "price": offer["items"][0]["price"], "currency": offer["currency"]}


@pytest.fixture
def order(api, product, eventually) -> dict[str, Any]:
    """A manual order of its own, with one unpaid payment that payments already holds."""
    run = time.time_ns()
    due = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    made = api.post("/orders", headers={"Idempotency-Key": f"edit-{run}"}, json={
        "contact": {"name": f"Eve Edit{run}", "email": f"eve-{run}@example.com"},
        "currency": product["currency"], "lines": [{"product_id": product["id"], "price": product["price"]}],
        "payments": [{"amount": product["price"], "due_at": due}]})
    assert made.status_code == 201, made.text
    card = made.json()

    def payment_known() -> bool:
        """payments holds the order's unpaid payment"""
        got = api.get(f"/orders/{card['number']}/payments")
        return got.status_code == 200 and any(p["status"] == "unpaid" for p in got.json()["items"])

    eventually(payment_known)
    return card
