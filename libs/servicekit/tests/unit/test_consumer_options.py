"""What a service's consumers ask of the broker comes from its settings, in both consumer modes."""

import pytest
from servicekit.messaging import ConsumerGroup
from servicekit.settings import ServiceSettings


class _Settings(ServiceSettings):
    model_config = {"env_prefix": "PROBED_"}


def test_the_client_defaults_stand_unless_set() -> None:
    options = ConsumerGroup("probed").options()
    assert options == {"session_timeout_ms": 10_000, "heartbeat_interval_ms": 3333, "fetch_max_wait_ms": 500}


def test_the_fetch_wait_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROBED_KAFKA_FETCH_MAX_WAIT_MS", "100")
    settings = _Settings(database_url="postgresql+asyncpg://x/y", kafka_bootstrap_servers="127.0.0.1:1")
    group = ConsumerGroup("probed", fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms)
    assert group.options()["fetch_max_wait_ms"] == 100


def test_a_fetch_wait_of_zero_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # 0 would have the client ask again at once, for ever: a busy loop on both ends.
    monkeypatch.setenv("PROBED_KAFKA_FETCH_MAX_WAIT_MS", "0")
    with pytest.raises(ValueError):
        _Settings(database_url="postgresql+asyncpg://x/y", kafka_bootstrap_servers="127.0.0.1:1")
