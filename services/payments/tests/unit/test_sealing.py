"""Sealing a school's provider settings: bound to its row and key, key rotation, bad keys refused."""

import json
import uuid

import pytest
from payments.adapters.sealing import Sealer, SealError, new_key

ACCOUNT, OTHER = uuid.uuid4(), uuid.uuid4()
SETTINGS = {"secret_key": "sk_test_plain_secret", "webhook_secret": "whsec_plain_secret"}


def test_sealed_settings_open_only_for_their_row_and_key() -> None:
    sealer = Sealer(new_key())
    sealed = sealer.seal(SETTINGS, ACCOUNT, "stripe")
    assert "plain_secret" not in json.dumps(sealed)
    assert sealer.open(sealed, ACCOUNT, "stripe") == SETTINGS
    with pytest.raises(SealError, match="moved from another row"):
        sealer.open(sealed, OTHER, "stripe")
    with pytest.raises(SealError):
        sealer.open(sealed, ACCOUNT, "wayforpay")
    tampered = {**sealed, "data": sealed["data"][:-4] + ("AAAA" if not sealed["data"].endswith("AAAA") else "BBBB")}
    with pytest.raises(SealError):
        sealer.open(tampered, ACCOUNT, "stripe")
    with pytest.raises(SealError, match="not configured"):
        Sealer(new_key()).open(sealed, ACCOUNT, "stripe")


def test_rotation_opens_old_rows_and_seals_with_the_new_key() -> None:
    old, new = new_key(), new_key()
    sealed_before = Sealer(old).seal(SETTINGS, ACCOUNT, "stripe")
    rotated = Sealer(f"{new},{old}")
    assert rotated.open(sealed_before, ACCOUNT, "stripe") == SETTINGS
    assert rotated.needs_reseal(sealed_before)
    resealed = rotated.seal(SETTINGS, ACCOUNT, "stripe")
    assert resealed["kid"] == new.split(":")[0] and not rotated.needs_reseal(resealed)
    assert Sealer(new).open(resealed, ACCOUNT, "stripe") == SETTINGS


@pytest.mark.parametrize("keys", ["", "change-me", "k1:short", "k1:not base64!!", ":" + new_key().split(":")[1]])
def test_no_key_or_a_bad_key_is_refused_at_start(keys: str) -> None:
    with pytest.raises(SealError):
        Sealer(keys)
