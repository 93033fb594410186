"""The garbage collector's settings for a long-running service process.

A service imports FastAPI, pydantic, SQLAlchemy, aiokafka and its own modules before it serves
anything: about 150,000 objects the collector tracks, which live as long as the process.
Python's cyclic collector walks them again on every full collection, and with its default
threshold runs a young collection every 700 allocations, which a request or a batch of events
makes many times over.
Measured on the stack (docs/performance.md, "The garbage collector"), the collector took 2-3 % of
each service's CPU, and each full collection stopped the event loop for over 100 ms.

So once the process has imported its code and built its app, those objects are moved out of the
collector's sight (`gc.freeze`), and young collections run after `YOUNG_THRESHOLD` allocations
instead. Most objects a request or an event makes die by reference counting before a collection
would look at them; cycles are still found, only later, so memory stays bounded. Only a process's
entry point calls it: a test process builds many apps, and freezing there would keep what each
test leaves behind.
"""

import gc

# Net allocations between young collections (Python's default: 700). The older generations keep
# their defaults: one in ten collections of the generation below.
YOUNG_THRESHOLD = 20_000


def settle_heap() -> None:
    """Collect what startup left behind, freeze the rest for the process's life, and space the
    young collections out. Called once, by the entry point, before the server starts."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
