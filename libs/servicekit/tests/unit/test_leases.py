"""The lease keeper on its own (the notifications sender's tests run it on real rows)."""

import asyncio

from servicekit.leases import LeaseKeeper


async def test_renews_what_is_held_together_and_stops_when_nothing_is():
    calls: list[list[str]] = []

    async def renew(keys: list[str]) -> None:
        calls.append(sorted(keys))

    keeper: LeaseKeeper[str] = LeaseKeeper(renew, every=0.05)
    async with keeper.holding("a"):
        async with keeper.holding("b"):
            await asyncio.sleep(0.12)
        await asyncio.sleep(0.1)
    held_both = [c for c in calls if c == ["a", "b"]]
    assert held_both and calls[-1] == ["a"]
    count = len(calls)
    await asyncio.sleep(0.15)
    assert len(calls) == count, "nothing held, nothing renewed"
    await keeper.stop()


async def test_a_failed_renewal_is_tried_again_at_the_next_round():
    calls = 0

    async def renew(keys: list[int]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database away")

    keeper: LeaseKeeper[int] = LeaseKeeper(renew, every=0.03)
    async with keeper.holding(1):
        await asyncio.sleep(0.2)
    assert calls >= 3
    await keeper.stop()
