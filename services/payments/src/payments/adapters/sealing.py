"""Schools' provider credentials, sealed at rest with AES-256-GCM.

A database dump or backup must not hand out every school's Stripe key. Each row of
`provider_accounts` holds `{"sealed": 1, "kid": ..., "nonce": ..., "data": ...}`: the settings as
JSON, encrypted and authenticated with the key `kid`, bound to the row's school and provider
(associated data), so a sealed blob copied to another school's row does not open.

Keys come from `PAYMENTS_CREDENTIALS_KEYS`: `kid:key` pairs, comma-separated, each key 32 random
bytes in URL-safe base64. The first seals; every one opens. To rotate: put a new key first, keep
the old one after it; rows are re-sealed with the new key whenever they are written, and
`python -m payments reseal` re-seals all at once, after which the old key can go.
"""

import base64
import binascii
import json
import os
import secrets
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SealError(Exception):
    """The credentials cannot be sealed or opened with the configured keys."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> str:
    """A new `kid:key` entry for PAYMENTS_CREDENTIALS_KEYS."""
    return f"k{secrets.token_hex(4)}:{base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('=')}"


class Sealer:
    def __init__(self, keys: str) -> None:
        self._keys: dict[str, AESGCM] = {}
        self._current: str | None = None
        for entry in filter(None, (e.strip() for e in keys.split(","))):
            kid, _, encoded = entry.partition(":")
            try:
                raw = _b64decode(encoded)
            except (binascii.Error, ValueError):
                raise SealError(f"credentials key {kid!r} is not URL-safe base64") from None
            if not kid or len(raw) != 32:
                raise SealError(f"credentials key {kid!r} must be 'kid:<32 bytes in URL-safe base64>'")
            self._keys[kid] = AESGCM(raw)
            self._current = self._current or kid
        if self._current is None:
            raise SealError("PAYMENTS_CREDENTIALS_KEYS is empty: schools' provider credentials cannot be stored")

    @staticmethod
    def _context(account_id: UUID, provider: str) -> bytes:
        return f"provider_accounts:{account_id}:{provider}".encode()

    def seal(self, settings: Mapping[str, Any], account_id: UUID, provider: str) -> dict[str, Any]:
        assert self._current is not None
        nonce = os.urandom(12)
        data = self._keys[self._current].encrypt(nonce, json.dumps(dict(settings)).encode(),
                                                 self._context(account_id, provider))
        return {"sealed": 1, "kid": self._current, "nonce": base64.b64encode(nonce).decode(),
                "data": base64.b64encode(data).decode()}

    def open(self, stored: Mapping[str, Any], account_id: UUID, provider: str) -> dict[str, Any]:
        if stored.get("sealed") != 1:
            return dict(stored)  # a row written before sealing: readable until resealed
        key = self._keys.get(str(stored.get("kid")))
        if key is None:
            raise SealError(f"the credentials were sealed with key {stored.get('kid')!r}, which is not configured")
        try:
            plain = key.decrypt(base64.b64decode(stored["nonce"]), base64.b64decode(stored["data"]),
                                self._context(account_id, provider))
        except (InvalidTag, KeyError, binascii.Error, ValueError):
            raise SealError("the stored credentials do not open: tampered with, or moved from another row") from None
        return json.loads(plain)

    def needs_reseal(self, stored: Mapping[str, Any]) -> bool:
        return stored.get("sealed") != 1 or stored.get("kid") != self._current
