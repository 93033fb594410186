"""The CPU an idle consumer costs its process: held fetches, their answers, the rewind check.

    python libs/servicekit/bench/fetch_cpu.py [--partitions 39,156] [--seconds 20] [--rounds 2]
                                              [--modes before,codec] [--profile DIR]

Starts the embedded broker (as the tests do) and makes topics of 3 partitions each (a service's
layout: 39 partitions are 13 topics). Then, for each round, partition count and mode, in turn (so
the modes alternate on a shared machine), runs one consumer in a process of its own: the kit's
client settings (a group of its own, fetches held 100 ms as on the local stack, 2 s sessions),
polling as the batch consumer does with nothing to read, and the kit's rewind check beside it.
Prints that process's CPU (time.process_time) per second over `--seconds` after a warm-up.

Modes: `before` is aiokafka's own fetch encoding; `codec` the kit's fetch codec
(servicekit.fetchcodec, the kit's default). Both run the rewind check as the services do, asking
the broker for every partition's end each round. With `--profile DIR`, each run also writes a
cProfile of its measured window there.
"""

import argparse
import asyncio
import cProfile
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from localstack.broker import EMBEDDED_BROKER_FETCH_MAX_WAIT_MS, TansuBroker
from localstack.ports import free_port

PARTITIONS_PER_TOPIC = 3
SESSION_TIMEOUT_MS = 2000  # the embedded broker's shortest useful session (as in the tests)


async def consume_idle(bootstrap: str, topics: list[str], mode: str, seconds: float,
                       profile: str | None) -> dict[str, Any]:
    from servicekit.rewind import Rewinder
    from servicekit.topics import ServiceTopics

    if mode == "codec":
        from servicekit import fetchcodec

        assert fetchcodec.install(), "the fetch codec was not installed"

    class OneConsumer(Rewinder):
        def __init__(self, consumer: AIOKafkaConsumer, topics: ServiceTopics) -> None:
            super().__init__(None, topics)  # type: ignore[arg-type]
            self._consumer = consumer

        def _consumers(self) -> list[Any]:
            return [self._consumer]

    group = f"bench-idle-{uuid.uuid4().hex[:8]}"
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_poll_records=500,
                                session_timeout_ms=SESSION_TIMEOUT_MS, heartbeat_interval_ms=SESSION_TIMEOUT_MS // 3,
                                fetch_max_wait_ms=EMBEDDED_BROKER_FETCH_MAX_WAIT_MS)
    service_topics = ServiceTopics(bootstrap, topics)
    rewinder = OneConsumer(consumer, service_topics)
    await consumer.start()
    polled = 0

    async def poll() -> None:
        nonlocal polled
        while True:
            batch = await consumer.getmany(timeout_ms=100, max_records=500)
            polled += sum(len(records) for records in batch.values())

    poller = asyncio.create_task(poll())
    try:
        while len(consumer.assignment()) < len(topics) * PARTITIONS_PER_TOPIC:
            await asyncio.sleep(0.1)
        await rewinder.start()
        await asyncio.sleep(3)  # past the first fetches and the first rewind rounds
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        cpu, started = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu_ms, wall = (time.process_time() - cpu) * 1000, time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)  # type: ignore[arg-type]
    finally:
        poller.cancel()
        await rewinder.stop()
        await consumer.stop()
        await service_topics.close()
    return {"cpu_ms_per_s": cpu_ms / wall, "records": polled}


def child(args: argparse.Namespace) -> None:
    result = asyncio.run(consume_idle(args.bootstrap, args.topics.split(","), args.mode, args.seconds, args.profile))
    print(json.dumps(result), flush=True)


async def make_topics(bootstrap: str, count: int) -> list[str]:
    names = [f"bench-idle-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, PARTITIONS_PER_TOPIC, 1) for name in names])
    finally:
        await admin.close()
    return names


def parent(args: argparse.Namespace) -> None:
    broker = TansuBroker(free_port(), Path(tempfile.mkdtemp()) / "tansu.log")
    broker.start()
    try:
        counts = [int(p) for p in args.partitions.split(",")]
        topics = {n: asyncio.run(make_topics(broker.bootstrap, n // PARTITIONS_PER_TOPIC)) for n in counts}
        modes = args.modes.split(",")
        for round_ in range(args.rounds):
            # Every other round the other way round, so neither mode always runs first.
            for mode in modes if round_ % 2 == 0 else list(reversed(modes)):
                for n in counts:
                    command = [sys.executable, __file__, "--child", "--bootstrap", broker.bootstrap,
                               "--topics", ",".join(topics[n]), "--mode", mode, "--seconds", str(args.seconds)]
                    if args.profile:
                        Path(args.profile).mkdir(parents=True, exist_ok=True)
                        command += ["--profile", str(Path(args.profile) / f"{mode}-{n}-{round_}.prof")]
                    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                    result = json.loads(out.strip().splitlines()[-1])
                    print(f"round {round_ + 1}, {mode:6s}, {n:4d} partitions: "
                          f"{result['cpu_ms_per_s']:5.1f} ms CPU/s", flush=True)
    finally:
        broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--partitions", default="39,156")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--modes", default="before,codec")
    parser.add_argument("--profile")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bootstrap", help=argparse.SUPPRESS)
    parser.add_argument("--topics", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args()
    child(args) if args.child else parent(args)


if __name__ == "__main__":
    main()
