"""Who calls an internal route, as the gateway proves it: a short-lived token signed by the gateway.

The gateway verifies a CRM user's token, then forwards each request to a service with a token of
its own: the account, the user and the role, for that service only (`aud`), valid for a minute.
It is signed with the gateway's Ed25519 key; the services hold only public keys, so a service
that is broken into cannot speak for anyone to the others. A service trusts every public key in
its `<PREFIX>_GATEWAY_KEYS` (PEM blocks, one after another): during a rotation it lists the old
and the new key, the gateway switches to the new one, then the old one is removed.
"""

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

Role = Literal["owner", "manager", "viewer"]
ROLES: tuple[str, ...] = get_args(Role)
ISSUER = "orders-crm-gateway"
ALGORITHM = "EdDSA"
LIFETIME = timedelta(seconds=60)
# Clocks of the gateway's and the service's machines may differ by this much.
LEEWAY = timedelta(seconds=10)


@dataclass(frozen=True)
class Caller:
    account_id: UUID
    user_id: str
    role: Role

    @property
    def may_write(self) -> bool:
        return self.role != "viewer"


class InvalidProof(Exception):
    """The request carries no proof from the gateway, or one that does not hold."""


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class ProofSigner:
    """The gateway's side: signs a caller's identity for one service."""

    def __init__(self, private_key_pem: str) -> None:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the gateway's signing key must be an Ed25519 private key in PEM")
        self._key = key
        self.kid = key_id(key.public_key())

    def sign(self, caller: Caller, audience: str | list[str], *, lifetime: timedelta = LIFETIME) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": ISSUER, "aud": audience, "sub": caller.user_id, "account_id": str(caller.account_id),
            "role": caller.role, "iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})


class ProofVerifier:
    """A service's side: takes the caller only from a token one of the trusted keys signed."""

    def __init__(self, public_keys_pem: str) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for block in re.findall(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", public_keys_pem, re.S):
            key = serialization.load_pem_public_key(block.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("the gateway's keys must be Ed25519 public keys in PEM")
            self._keys[key_id(key)] = key

    def verify(self, token: str, audience: str) -> Caller:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise InvalidProof("signed by a key this service does not trust")
            claims = jwt.decode(
                token, key, algorithms=[ALGORITHM], audience=audience, issuer=ISSUER, leeway=LEEWAY,
                options={"require": ["iss", "aud", "sub", "iat", "exp"]},
            )
            role = claims.get("role")
            if role not in ROLES:
                raise InvalidProof(f"unknown role {role!r}")
            user = claims["sub"]
            if not isinstance(user, str) or not 0 < len(user) <= 200:
                raise InvalidProof("the user must be a text of 1 to 200 characters")
            return Caller(account_id=UUID(str(claims.get("account_id"))), user_id=user, role=role)
        except jwt.PyJWTError as exc:
            raise InvalidProof(str(exc)) from None
        except ValueError:
            raise InvalidProof("account_id is not a UUID") from None


def new_key_pair() -> tuple[str, str]:
    """A new Ed25519 key pair as PEM texts: (private, public)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public
