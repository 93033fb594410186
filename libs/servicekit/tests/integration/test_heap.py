"""The collector's settings of a service process: what startup built is frozen, young collections
spaced out, and cycles made later are still collected. Each check runs in a fresh interpreter, so
this test process's own collector is left as it is."""

import subprocess
import sys
import textwrap


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_what_startup_built_is_frozen_and_young_collections_are_spaced_out():
    out = run("""
        import gc
        import fastapi  # what a service imports before it serves
        from servicekit.heap import YOUNG_THRESHOLD, settle_heap
        before = gc.get_threshold()
        settle_heap()
        after = gc.get_threshold()
        print(gc.get_freeze_count() > 10_000, after == (YOUNG_THRESHOLD, before[1], before[2]), before[0] < after[0])
    """)
    assert out == "True True True"


def test_a_cycle_made_after_startup_is_collected_without_being_asked():
    # No gc.collect() here: the young collection the new threshold schedules must find it.
    out = run("""
        import gc, weakref
        from servicekit.heap import YOUNG_THRESHOLD, settle_heap
        settle_heap()

        class Node:
            pass

        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        kept = [[] for _ in range(YOUNG_THRESHOLD // 2)]
        alive_midway = gone() is not None  # not yet: far fewer allocations than the threshold
        kept += [[] for _ in range(2 * YOUNG_THRESHOLD)]
        print(alive_midway, gone() is None)
    """)
    assert out == "True True"
