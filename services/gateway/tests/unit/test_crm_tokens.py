"""CRM tokens: the issuer and audience are checked; an identity provider's RS256/ES256 keys via JWKS."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from gateway.auth import TokenVerifier, mint
from gateway.settings import Settings
from servicekit.http import Problem

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
ACCOUNT = uuid.uuid4()


def _claims(**over: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims = {"iss": "https://id.school-platform.example", "aud": "crm", "sub": "user-7", "role": "manager",
              "account_id": str(ACCOUNT), "iat": now, "exp": now + timedelta(minutes=5)}
    claims.update(over)
    return claims


@pytest.fixture
def provider(tmp_path: Path) -> tuple[TokenVerifier, dict[str, object]]:
    """An identity provider with an RSA and an EC key, published as a JWKS file."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    keys = []
    for kid, key, alg in (("rsa-1", rsa_key, "RS256"), ("ec-1", ec_key, "ES256")):
        jwk = json.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(key.public_key()))
        keys.append({**jwk, "kid": kid, "use": "sig", "alg": alg})
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": keys}))
    settings = Settings(jwt_secret=SECRET, jwt_issuer="https://id.school-platform.example", jwt_audience="crm",
                        jwks=str(tmp_path / "jwks.json"))
    return TokenVerifier(settings), {"rsa-1": rsa_key, "ec-1": ec_key}


def test_the_gateways_own_tokens_name_its_issuer_and_audience() -> None:
    verifier = TokenVerifier(Settings(jwt_secret=SECRET))
    token = mint(SECRET, account_id=ACCOUNT, user_id="u1", role="owner")
    assert verifier.verify(token).account_id == ACCOUNT
    for wrong in ({"issuer": "someone-else"}, {"audience": "another-api"}):
        with pytest.raises(Problem) as refused:
            verifier.verify(mint(SECRET, account_id=ACCOUNT, user_id="u1", role="owner", **wrong))
        assert refused.value.status == 401
    no_audience = jwt.encode({k: v for k, v in _claims(iss="orders-crm").items() if k != "aud"}, SECRET,
                             algorithm="HS256")
    with pytest.raises(Problem):
        verifier.verify(no_audience)


def test_the_identity_providers_rs256_and_es256_tokens_are_taken(provider) -> None:
    verifier, keys = provider
    for kid, alg in (("rsa-1", "RS256"), ("ec-1", "ES256")):
        token = jwt.encode(_claims(), keys[kid], algorithm=alg, headers={"kid": kid})
        principal = verifier.verify(token)
        assert (principal.account_id, principal.user_id, principal.role) == (ACCOUNT, "user-7", "manager")


def test_provider_tokens_with_a_wrong_issuer_audience_key_or_algorithm_are_refused(provider) -> None:
    verifier, keys = provider
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused = [
        jwt.encode(_claims(iss="https://evil.example"), keys["rsa-1"], algorithm="RS256", headers={"kid": "rsa-1"}),
        jwt.encode(_claims(aud="another-api"), keys["rsa-1"], algorithm="RS256", headers={"kid": "rsa-1"}),
        jwt.encode(_claims(), stranger, algorithm="RS256", headers={"kid": "rsa-1"}),
        jwt.encode(_claims(), stranger, algorithm="RS256", headers={"kid": "unknown"}),
        jwt.encode(_claims(role="admin"), keys["ec-1"], algorithm="ES256", headers={"kid": "ec-1"}),
        jwt.encode(_claims(), None, algorithm="none"),
        jwt.encode(_claims(), SECRET + "x", algorithm="HS384"),
    ]
    for token in refused:
        with pytest.raises(Problem) as error:
            verifier.verify(token)
        assert error.value.status == 401


def test_without_a_jwks_only_the_gateways_own_tokens_are_taken(provider) -> None:
    _, keys = provider
    verifier = TokenVerifier(Settings(jwt_secret=SECRET, jwt_issuer="https://id.school-platform.example",
                                      jwt_audience="crm"))
    with pytest.raises(Problem):
        verifier.verify(jwt.encode(_claims(), keys["rsa-1"], algorithm="RS256", headers={"kid": "rsa-1"}))
