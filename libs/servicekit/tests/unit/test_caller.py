"""The gateway's proof: signed for one service, short-lived, verified against the trusted keys only."""

import uuid
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from servicekit.caller import Caller, InvalidProof, ProofSigner, ProofVerifier, new_key_pair

CALLER = Caller(uuid.uuid4(), "user-olena", "manager")


def test_a_proof_names_the_caller_for_its_service() -> None:
    private, public = new_key_pair()
    token = ProofSigner(private).sign(CALLER, "orders")
    assert ProofVerifier(public).verify(token, audience="orders") == CALLER


def test_a_proof_for_one_service_is_refused_by_another() -> None:
    private, public = new_key_pair()
    token = ProofSigner(private).sign(CALLER, "orders")
    with pytest.raises(InvalidProof, match="(?i)audience"):
        ProofVerifier(public).verify(token, audience="payments")


def test_an_expired_proof_is_refused_beyond_the_clock_leeway() -> None:
    private, public = new_key_pair()
    verifier = ProofVerifier(public)
    assert verifier.verify(ProofSigner(private).sign(CALLER, "orders", lifetime=timedelta(seconds=-5)), "orders")
    with pytest.raises(InvalidProof, match="(?i)expired"):
        verifier.verify(ProofSigner(private).sign(CALLER, "orders", lifetime=timedelta(seconds=-30)), "orders")


def test_during_a_rotation_both_keys_are_trusted_and_a_stranger_is_not() -> None:
    old_private, old_public = new_key_pair()
    new_private, new_public = new_key_pair()
    stranger, _ = new_key_pair()
    verifier = ProofVerifier(old_public + new_public)
    for private in (old_private, new_private):
        assert verifier.verify(ProofSigner(private).sign(CALLER, "offers"), "offers") == CALLER
    with pytest.raises(InvalidProof, match="does not trust"):
        verifier.verify(ProofSigner(stranger).sign(CALLER, "offers"), "offers")
    # Once the old key is removed, its proofs are refused.
    with pytest.raises(InvalidProof):
        ProofVerifier(new_public).verify(ProofSigner(old_private).sign(CALLER, "offers"), "offers")


def test_a_tampered_or_unsigned_proof_is_refused() -> None:
    private, public = new_key_pair()
    verifier = ProofVerifier(public)
    token = ProofSigner(private).sign(CALLER, "orders")
    head, body, signature = token.split(".")
    forged_body = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(body).replace(b'"manager"', b'"owner"')).decode()
    with pytest.raises(InvalidProof):
        verifier.verify(f"{head}.{forged_body}.{signature}", "orders")
    unsigned = jwt.encode({"sub": "x", "role": "owner"}, key=None, algorithm="none",
                          headers={"kid": ProofSigner(private).kid})
    with pytest.raises(InvalidProof):
        verifier.verify(unsigned, "orders")
    with pytest.raises(InvalidProof):
        verifier.verify("not.a.token", "orders")


def test_a_proof_without_a_known_role_or_account_is_refused() -> None:
    private, public = new_key_pair()
    signer, verifier = ProofSigner(private), ProofVerifier(public)
    for caller in (Caller(CALLER.account_id, "u", "admin"), Caller("not-a-uuid", "u", "owner")):  # type: ignore[arg-type]
        with pytest.raises(InvalidProof):
            verifier.verify(signer.sign(caller, "orders"), "orders")


def test_no_trusted_key_trusts_nothing_and_only_ed25519_keys_are_taken() -> None:
    private, _ = new_key_pair()
    with pytest.raises(InvalidProof):
        ProofVerifier("").verify(ProofSigner(private).sign(CALLER, "orders"), "orders")
    other = ec.generate_private_key(ec.SECP256R1())
    pem = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode()
    with pytest.raises(ValueError, match="Ed25519"):
        ProofSigner(pem)
    public_pem = other.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(ValueError, match="Ed25519"):
        ProofVerifier(public_pem)
