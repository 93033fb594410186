"""What the relay's check of the broker costs, each time it runs (about once a second a service).

    python libs/servicekit/bench/verify_cost.py [--topics 30] [--own 8] [--calls 300] [--rounds 2]

Starts the embedded broker (as the tests do) and makes `--topics` topics of 4 partitions (the
local stack's layout), one record in each partition. A service's topics are `--own` of them, and
the relay has placed rows on every partition of those. Then calls each way of checking, in turn,
`--calls` times back to back, and prints the CPU each call costs the caller (time.process_time)
and the broker (its process's user and system time from /proc), per call:

- `ensure+reach`: `ServiceTopics.ensure` (the whole cluster's topic list, then create the missing)
  and `ServiceTopics.reach` (describe the placed topics, then their end offsets), as the relay's
  verify did;
- `checked`: `ServiceTopics.check` (one description of the service's topics and the placed ones,
  which says which are missing, then their end offsets).
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from localstack.broker import TansuBroker
from localstack.ports import free_port
from servicekit.topics import ServiceTopics, TopicLayout

PARTITIONS = 4
TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def make_topics(bootstrap: str, count: int) -> list[str]:
    names = [f"bench-verify-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, PARTITIONS, 1) for name in names])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await asyncio.gather(*(producer.send_and_wait(name, b"x", partition=p)
                               for name in names for p in range(PARTITIONS)))
    finally:
        await producer.stop()
    return names


async def measure(bootstrap: str, broker_pid: int, names: list[str], own: int, calls: int, rounds: int) -> None:
    mine = names[:own]
    placed = {(topic, p): 0 for topic in mine for p in range(PARTITIONS)}
    topics = ServiceTopics(bootstrap, mine, TopicLayout(PARTITIONS, 1))

    async def old() -> None:
        await topics.ensure(extra={topic for topic, _ in placed})
        await topics.reach(placed)

    async def new() -> None:
        await topics.check(placed)

    ways = {"ensure+reach": old, "checked": new}
    try:
        for way in ways.values():  # connections made, metadata learnt
            await way()
        for round_ in range(rounds):
            order = list(ways) if round_ % 2 == 0 else list(reversed(ways))
            for name in order:
                cpu, broker = time.process_time(), process_cpu(broker_pid)
                for _ in range(calls):
                    await ways[name]()
                cpu, broker = time.process_time() - cpu, process_cpu(broker_pid) - broker
                print(f"round {round_ + 1}, {name:13s}: caller {cpu / calls * 1000:5.2f} ms, "
                      f"broker {broker / calls * 1000:5.2f} ms a check ({calls} checks)", flush=True)
    finally:
        await topics.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", type=int, default=30)
    parser.add_argument("--own", type=int, default=8)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    broker = TansuBroker(free_port(), Path(tempfile.mkdtemp()) / "tansu.log")
    broker.start()
    try:
        assert broker.process is not None
        names = asyncio.run(make_topics(broker.bootstrap, args.topics))
        asyncio.run(measure(broker.bootstrap, broker.process.pid, names, args.own, args.calls, args.rounds))
    finally:
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
