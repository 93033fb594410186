"""How long a record waits for a consumer whose fetch the broker is holding, by fetch_max_wait_ms.

    python libs/servicekit/bench/fetch_wait.py [--rounds 25] [--waits 500,100,50,20] [--partitions 1,6]

Starts the embedded broker (as the tests do), then for each wait and partition count: one
consumer in a group of its own polls a fresh topic while a producer sends one record at a time,
0.3-0.7 s apart (so each lands while the consumer's fetch is held), and the time from the send to
the record in the consumer's hands is taken. Prints its median, 90th percentile and worst, and the
broker's CPU per second over the run (what a consumer's held fetches cost it).
"""

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from localstack.broker import TansuBroker
from localstack.cpu import read_stat
from localstack.ports import free_port


def cpu_of(pid: int) -> float:
    stat = read_stat(pid)
    assert stat is not None, "the broker is gone"
    return stat.ticks / os.sysconf("SC_CLK_TCK")


async def waits_of(bootstrap: str, broker_pid: int, wait_ms: int, partitions: int, rounds: int) -> str:
    topic = f"bench-wait-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=topic, fetch_max_wait_ms=wait_ms,
                                auto_offset_reset="latest", session_timeout_ms=2000, heartbeat_interval_ms=600)
    await producer.start()
    await consumer.start()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.5)  # past the group's first assignment and the first fetches
        sent: dict[str, float] = {}
        waited: list[float] = []

        async def read() -> None:
            while True:
                polled = await consumer.getmany(timeout_ms=1000)
                now = time.perf_counter()
                waited.extend((now - sent[r.value.decode()]) * 1000 for rs in polled.values() for r in rs)

        reader = asyncio.create_task(read())
        cpu, started = cpu_of(broker_pid), time.perf_counter()
        for n in range(rounds):
            sent[str(n)] = time.perf_counter()
            await producer.send_and_wait(topic, str(n).encode(), partition=random.randrange(partitions))
            await asyncio.sleep(random.uniform(0.3, 0.7))
        await asyncio.sleep(1)
        reader.cancel()
        broker_ms = (cpu_of(broker_pid) - cpu) / (time.perf_counter() - started) * 1000
    finally:
        await consumer.stop()
        await producer.stop()
    waited.sort()
    p50, p90 = waited[len(waited) // 2], waited[int(len(waited) * 0.9)]
    return (f"fetch_max_wait_ms {wait_ms:4d}, {partitions} partition(s): waited {p50:6.1f} ms p50, "
            f"{p90:6.1f} p90, {waited[-1]:6.1f} max; broker {broker_ms:3.0f} ms CPU/s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--waits", default="500,100,50,20")
    parser.add_argument("--partitions", default="1,6")
    args = parser.parse_args()
    broker = TansuBroker(free_port(), Path(tempfile.mkdtemp()) / "tansu.log")
    broker.start()
    assert broker.process is not None
    try:
        for partitions in (int(p) for p in args.partitions.split(",")):
            for wait_ms in (int(w) for w in args.waits.split(",")):
                line = await waits_of(broker.bootstrap, broker.process.pid, wait_ms, partitions, args.rounds)
                print(line, flush=True)
    finally:
        broker.stop()


if __name__ == "__main__":
    asyncio.run(main())
