"""The stack, started exactly as `make run` starts it, shared by the end-to-end tests."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from localstack.provider_standin import ProviderStandIn, StandInThread
from localstack.launch import launched_stack, stack_environment


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
