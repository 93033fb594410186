"""The proofs the gateway forwards, signed once per caller and service and reused while young.

A proof (servicekit.caller) names the account, the user and the role for one service and lasts
a minute. Signing one costs about a tenth of a millisecond, as much as the rest of a forwarded
request's own work, and a user's screen sends several requests to the same service within
seconds. So a proof is kept and sent again for the same account, user, role and service until
it has used up half its life: the service then still has at least half a minute (less the
clocks' difference) to check it, far more than any request waits. Anything that differs (the
role a newer token names, another service) is another key, so a proof is never sent for a
caller or a service it does not name. The cache is bounded: past `max_entries` the oldest
proof is dropped, so a flood of distinct users costs memory of a fixed size.
"""

import time
from collections.abc import Callable
from datetime import timedelta

from servicekit.caller import LIFETIME, Caller, ProofSigner

REUSE_FOR = LIFETIME / 2
MAX_ENTRIES = 10_000


class CachedProofs:
    def __init__(self, signer: ProofSigner, *, reuse_for: timedelta = REUSE_FOR, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if reuse_for > LIFETIME / 2:
            raise ValueError("a proof may be reused for at most half its lifetime")
        self._signer = signer
        self._reuse_for = reuse_for.total_seconds()
        self._max_entries = max_entries
        self._clock = clock
        self._proofs: dict[tuple[object, str, str, str], tuple[str, float]] = {}

    def sign(self, caller: Caller, service: str) -> str:
        key = (caller.account_id, caller.user_id, caller.role, service)
        now = self._clock()
        kept = self._proofs.get(key)
        if kept is not None and now - kept[1] < self._reuse_for:
            return kept[0]
        proof = self._signer.sign(caller, service)
        self._proofs.pop(key, None)  # re-inserted last: the dict's order is the order of signing
        if len(self._proofs) >= self._max_entries:
            del self._proofs[next(iter(self._proofs))]
        self._proofs[key] = (proof, now)
        return proof

    def __len__(self) -> int:
        return len(self._proofs)
