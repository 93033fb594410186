"""The public endpoints' token bucket: a minute's budget per address, refilled at its rate."""

import pytest
from gateway import ratelimit
from gateway.ratelimit import RateLimiter


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: now[0])
    return now


def test_a_client_spends_its_minutes_budget_at_once_then_is_held_back(clock):
    limiter = RateLimiter(per_minute=3)
    assert [limiter.allow("198.51.100.1") for _ in range(4)] == [True, True, True, False]


def test_the_budget_refills_at_its_rate_and_never_beyond_a_minutes_worth(clock):
    limiter = RateLimiter(per_minute=60)
    assert all(limiter.allow("a") for _ in range(60)) and not limiter.allow("a")
    clock[0] += 1.0  # one request's worth
    assert limiter.allow("a") and not limiter.allow("a")
    clock[0] += 3600  # an idle hour still only gives back the minute's budget
    assert sum(limiter.allow("a") for _ in range(100)) == 60


def test_each_address_has_a_budget_of_its_own(clock):
    limiter = RateLimiter(per_minute=1)
    assert limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b")


def test_a_flood_of_new_addresses_resets_every_budget_instead_of_growing_without_bound(clock):
    limiter = RateLimiter(per_minute=1, max_clients=2)
    assert limiter.allow("a") and limiter.allow("b")
    assert not limiter.allow("a")
    assert limiter.allow("c")  # the table was full: everyone starts afresh
    assert limiter.allow("a")
