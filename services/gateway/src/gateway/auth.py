"""CRM tokens: HS256 JWTs naming the account, the user and the role."""

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

import jwt
from fastapi import Depends, Request
from servicekit.caller import ROLES, Caller, Role
from servicekit.http import Problem

# The CRM user a token names is the caller the gateway vouches for to the services: one shape.
Principal = Caller


def mint(secret: str, *, account_id: UUID, user_id: str, role: Role, ttl: timedelta = timedelta(days=30)) -> str:
    now = datetime.now(UTC)
    claims = {"sub": user_id, "account_id": str(account_id), "role": role, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
        role = claims["role"]
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        return Principal(account_id=UUID(claims["account_id"]), user_id=str(claims["sub"]), role=role)
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Problem(401, "Unauthorized", f"the bearer token is not valid: {exc}") from None


def _principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "Unauthorized", "send a CRM token as 'Authorization: Bearer <token>'")
    principal = verify(request.app.state.settings.jwt_secret, token.strip())
    if principal.role == "viewer" and request.method not in ("GET", "HEAD"):
        raise Problem(403, "Forbidden", "a viewer can look but not change anything")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_principal)]
