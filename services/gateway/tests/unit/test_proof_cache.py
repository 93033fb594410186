"""The proofs the gateway forwards are reused only for the same caller and service, and only while young."""

import uuid
from datetime import timedelta

import pytest
from gateway.proofs import REUSE_FOR, CachedProofs
from servicekit.caller import Caller, InvalidProof, ProofSigner, ProofVerifier, new_key_pair

PRIVATE, PUBLIC = new_key_pair()
ACCOUNT = uuid.uuid4()
OWNER = Caller(account_id=ACCOUNT, user_id="ann", role="owner")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def proofs(clock):
    return CachedProofs(ProofSigner(PRIVATE), clock=clock)


def verify(token, service):
    return ProofVerifier(PUBLIC).verify(token, audience=service)


def test_the_same_caller_and_service_get_the_same_proof_while_it_is_young(proofs, clock):
    first = proofs.sign(OWNER, "orders")
    clock.now += REUSE_FOR.total_seconds() - 0.5
    assert proofs.sign(OWNER, "orders") == first
    assert verify(first, "orders") == OWNER


def test_a_proof_is_never_reused_past_half_its_life(proofs, clock):
    first = proofs.sign(OWNER, "orders")
    clock.now += REUSE_FOR.total_seconds()
    second = proofs.sign(OWNER, "orders")
    assert second != first
    assert verify(second, "orders") == OWNER
    clock.now += 1
    assert proofs.sign(OWNER, "orders") == second


def test_a_proof_for_one_service_is_never_sent_to_another(proofs):
    for_orders = proofs.sign(OWNER, "orders")
    for_offers = proofs.sign(OWNER, "offers")
    assert for_offers != for_orders
    assert verify(for_offers, "offers") == OWNER
    with pytest.raises(InvalidProof):
        verify(for_offers, "orders")


@pytest.mark.parametrize("other", [
    Caller(account_id=ACCOUNT, user_id="ann", role="viewer"),
    Caller(account_id=ACCOUNT, user_id="bob", role="owner"),
    Caller(account_id=uuid.uuid4(), user_id="ann", role="owner"),
])
def test_a_proof_names_only_the_caller_it_was_signed_for(proofs, other):
    mine = proofs.sign(OWNER, "orders")
    theirs = proofs.sign(other, "orders")
    assert theirs != mine
    assert verify(theirs, "orders") == other
    assert verify(proofs.sign(OWNER, "orders"), "orders") == OWNER


def test_the_cache_keeps_a_bounded_number_of_proofs(clock):
    proofs = CachedProofs(ProofSigner(PRIVATE), max_entries=2, clock=clock)
    callers = [Caller(account_id=ACCOUNT, user_id=f"user-{n}", role="manager") for n in range(3)]
    first = [proofs.sign(caller, "orders") for caller in callers]
    assert len(proofs) == 2
    # The oldest was dropped and is signed again; the two newer are still reused.
    assert proofs.sign(callers[2], "orders") == first[2]
    assert proofs.sign(callers[0], "orders") != first[0]
    assert len(proofs) == 2


def test_reuse_may_not_exceed_half_a_proofs_life():
    with pytest.raises(ValueError):
        CachedProofs(ProofSigner(PRIVATE), reuse_for=timedelta(seconds=31))
