"""Purchases while each service, the gateway and the broker are killed with SIGKILL at random
moments and started again by the stack's supervisor: every order, payment and email exactly once.

The same driver, with more purchases and kills, is `make chaos` (see docs/reliability.md). The
seed is printed: the same seed kills in the same order.
"""

import asyncio
import random

import pytest
from localstack import chaos

pytestmark = pytest.mark.e2e


def test_purchases_across_kills_of_every_part_complete_exactly_once(stack, capsys):
    seed = random.randrange(1 << 30)
    targets = list(chaos.TARGETS)
    outcome = asyncio.run(chaos.run(chaos.Stack(stack), purchases=8, kills=len(targets), rate=1.0,
                                    targets=targets, seed=seed))
    with capsys.disabled():
        print(f"\nkills of every part (seed {seed}):\n{outcome.summary()}")
    # Every part was killed once, while purchases were in flight, and came back.
    assert sorted(k.target for k in outcome.kills) == sorted(targets)
    assert all(k.back_after is not None for k in outcome.kills)
    assert outcome.problems == {}, outcome.summary()
    assert outcome.emails == len(outcome.purchases) * chaos.EMAILS_PER_PURCHASE
