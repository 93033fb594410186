"""CRM tokens: JWTs naming the account, the user and the role, for this API (`iss`, `aud`).

Two kinds are taken: HS256 tokens signed with the gateway's own secret (the local stack, `make
token`, a platform that shares the secret), and, when `GATEWAY_JWKS` names the school platform's
identity provider (a JWKS file or https URL), RS256 or ES256 tokens signed by one of its keys. Both
must carry `iss` and `aud` as configured, `sub` (the user), `account_id` (the school) and `role`.
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from servicekit.caller import ROLES, Caller, Role
from servicekit.http import Problem, refuse_viewer_writes

from .settings import DEFAULT_AUDIENCE, DEFAULT_ISSUER, Settings

# The CRM user a token names is the caller the gateway vouches for to the services: one shape.
Principal = Caller
PROVIDER_ALGORITHMS = ("RS256", "ES256")


def mint(secret: str, *, account_id: UUID, user_id: str, role: Role, ttl: timedelta = timedelta(days=30),
         issuer: str = DEFAULT_ISSUER, audience: str = DEFAULT_AUDIENCE) -> str:
    now = datetime.now(UTC)
    claims = {"iss": issuer, "aud": audience, "sub": user_id, "account_id": str(account_id), "role": role,
              "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


class TokenVerifier:
    """Checks a CRM token against the gateway's secret or the identity provider's keys."""

    def __init__(self, settings: Settings) -> None:
        self.secret, self.issuer, self.audience = settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience
        self._provider_keys: jwt.PyJWKClient | jwt.PyJWKSet | None = None
        source = settings.jwks.strip()
        if source.startswith("https://"):
            self._provider_keys = jwt.PyJWKClient(source, cache_keys=True, lifespan=300, timeout=5)
        elif source:
            with open(source, encoding="utf-8") as f:
                self._provider_keys = jwt.PyJWKSet.from_json(f.read())

    def _key(self, token: str) -> tuple[Any, list[str]]:
        header = jwt.get_unverified_header(token)
        algorithm = header.get("alg")
        if algorithm == "HS256":
            return self.secret, ["HS256"]
        if algorithm in PROVIDER_ALGORITHMS and self._provider_keys is not None:
            if isinstance(self._provider_keys, jwt.PyJWKClient):
                return self._provider_keys.get_signing_key_from_jwt(token).key, list(PROVIDER_ALGORITHMS)
            matching = [k for k in self._provider_keys.keys if k.key_id == header.get("kid")]
            if not matching:
                raise jwt.InvalidTokenError("signed by a key the identity provider does not list")
            return matching[0].key, list(PROVIDER_ALGORITHMS)
        raise jwt.InvalidAlgorithmError(f"tokens signed with {algorithm!r} are not accepted")

    def may_fetch_keys(self, token: str) -> bool:
        """Whether checking this token may fetch the identity provider's keys over the network."""
        if not isinstance(self._provider_keys, jwt.PyJWKClient):
            return False
        try:
            return jwt.get_unverified_header(token).get("alg") in PROVIDER_ALGORITHMS
        except jwt.PyJWTError:
            return False  # refused by verify() without looking for any key

    def verify(self, token: str) -> Principal:
        try:
            key, algorithms = self._key(token)
            claims = jwt.decode(token, key, algorithms=algorithms, issuer=self.issuer, audience=self.audience,
                                options={"require": ["iss", "aud", "sub", "exp"]})
            role = claims.get("role")
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r}")
            user = claims["sub"]
            if not isinstance(user, str) or not 0 < len(user) <= 200:
                raise ValueError("sub must be a text of 1 to 200 characters")
            return Principal(account_id=UUID(str(claims.get("account_id"))), user_id=user, role=role)
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            raise Problem(401, "Unauthorized", f"the bearer token is not valid: {exc}") from None


async def _principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "Unauthorized", "send a CRM token as 'Authorization: Bearer <token>'")
    verifier: TokenVerifier = request.app.state.token_verifier
    token = token.strip()
    if verifier.may_fetch_keys(token):
        # Fetching the provider's keys (cached five minutes) blocks: done in a worker thread, so
        # the event loop never waits for it. Every other token is checked here at once, as a
        # worker thread would cost more than the check itself.
        principal = await run_in_threadpool(verifier.verify, token)
    else:
        principal = verifier.verify(token)
    refuse_viewer_writes(principal, request.method)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_principal)]
