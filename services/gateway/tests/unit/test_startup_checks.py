"""The gateway refuses to start with a signing key missing or a token secret anyone could know."""

import pytest
from gateway.main import create_app
from gateway.settings import DEV_SECRET, Settings

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def test_the_gateway_refuses_to_start_without_its_signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_SIGNING_KEY", raising=False)
    with pytest.raises(ValueError, match="GATEWAY_SIGNING_KEY"):
        create_app(Settings(jwt_secret=SECRET, log_json=False))


@pytest.mark.parametrize("secret", ["", "short", "change-me-to-a-long-random-value", DEV_SECRET,
                                    "local-development-secret-change-me"])
def test_the_gateway_refuses_a_secret_anyone_could_know(secret: str) -> None:
    with pytest.raises(ValueError, match="GATEWAY_JWT_SECRET"):
        create_app(Settings(jwt_secret=secret, log_json=False))


def test_only_the_development_setting_takes_the_development_secret() -> None:
    assert create_app(Settings(jwt_secret=DEV_SECRET, development=True, log_json=False))
    assert create_app(Settings(jwt_secret=SECRET, log_json=False))
