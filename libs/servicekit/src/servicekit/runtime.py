"""Builds a service process: HTTP app, broker with its subscribers, outbox relay, and the
workers every service runs (the pruning of expired Idempotency-Key records) beside its own."""

import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Protocol

import uvicorn
from contracts import Event
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from . import fetchcodec, health
from .api import install_problem_schema
from .batches import batch_consumer_of
from .caller import ProofVerifier
from .channels import declare_publishers
from .db import create_engine
from .heap import settle_heap
from .http import ProblemTable, install_domain_problems, install_problem_handlers, install_request_context
from .idempotency import ExpiredKeysPruner
from .inputs import install_input_rules
from .listeners import listening_socket
from .logging import configure_logging
from .messaging import ConsumerGroup, make_broker
from .migrations import upgrade
from .notices import Notices
from .relay import OutboxRelay
from .rewind import Rewinder
from .settings import ServiceSettings
from .shedding import install_load_shedding
from .tasks import stop_within
from .topics import ServiceTopics, TopicLayout, service_topics

log = logging.getLogger("servicekit.runtime")

# The longest one step of the shutdown may take (a worker also gets its grace). A shutdown takes
# well under a second; a step still going after this is stuck, and is abandoned.
STOP_STEP_S = 10.0

Subscribers = Callable[[KafkaBroker, AsyncEngine, ConsumerGroup], None]


class Worker(Protocol):
    """A background task of a service (the relay, an email sender...)."""

    name: str
    # How long a pass in progress may go on after stop() is called.
    grace: float

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


# Given the process's one notices connection (notices.py), on which it may wait for commits.
WorkerFactory = Callable[[AsyncEngine, ServiceSettings, Notices], Worker]


def build_app(
    *,
    name: str,
    settings: ServiceSettings,
    routers: Sequence[APIRouter] = (),
    subscribers: Subscribers | None = None,
    publishes: Sequence[type[Event]] = (),
    workers: Sequence[WorkerFactory] = (),
    description: str = "",
    problems: ProblemTable | None = None,
) -> FastAPI:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    broker = make_broker(settings.kafka_bootstrap_servers, client_id=name)
    if subscribers is not None:
        subscribers(broker, engine, ConsumerGroup(settings.consumer_group or name, settings.kafka_session_timeout_ms,
                                                  settings.consumer_mode, settings.consumer_batch_size,
                                                  settings.kafka_fetch_max_wait_ms))
    # In batch mode the subscribers registered with one consumer of the process's own (batches.py).
    batches = batch_consumer_of(broker)
    declare_publishers(broker, name, publishes)
    topics = ServiceTopics(settings.kafka_bootstrap_servers, service_topics(broker),
                           TopicLayout(settings.kafka_topic_partitions, settings.kafka_topic_replication_factor))
    # After a broker lost its log, consumers need up to a session to learn their group is gone
    # and rejoin; twice that before the relay refills a partition (see rewind.py).
    relay = OutboxRelay(engine, broker, service=name, topics=topics, batch_size=settings.outbox_batch_size,
                        settle=2 * settings.kafka_session_timeout_ms / 1000)
    # Only consumers can be left past the end of a log the broker lost.
    rewinder = Rewinder(broker, topics) if subscribers is not None else None
    notices = Notices.of(engine)
    # Every service keeps Idempotency-Key records, and every one forgets them the same way.
    extra = [ExpiredKeysPruner(engine, settings.idempotency_retention_hours),
             *(make(engine, settings, notices) for make in workers)]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(name, settings.log_level, as_json=settings.log_json)
        if settings.kafka_fetch_codec:
            # Process-wide, before the consumers start; on another aiokafka a log line and nothing else.
            fetchcodec.install()
        # Before the consumers subscribe; a broker that is down now gets them from the relay later.
        try:
            await topics.ensure()
        except Exception as exc:
            log.warning("could not create the topics at start, the relay will: %r", exc)
        await broker.start()
        if batches is not None:
            await batches.start()
        await relay.start()
        if rewinder is not None:
            await rewinder.start()
        await notices.start()
        for worker in extra:
            await worker.start()
        try:
            yield
        finally:
            # Each step bounded (tasks.py): one that is stuck never keeps the process from exiting.
            for worker in reversed(extra):
                await stop_within(STOP_STEP_S + worker.grace, f"the worker {worker.name}", worker.stop())
            await stop_within(STOP_STEP_S, "the notices connection", notices.stop())
            if rewinder is not None:
                await stop_within(STOP_STEP_S, "the rewinder", rewinder.stop())
            await stop_within(STOP_STEP_S, "the outbox relay", relay.stop())
            if batches is not None:
                await stop_within(STOP_STEP_S, "the batch consumer", batches.stop())
            await stop_within(STOP_STEP_S, "the broker's clients", broker.stop())
            await stop_within(STOP_STEP_S, "the topics' admin client", topics.close())
            await stop_within(STOP_STEP_S, "the database pool", engine.dispose())

    app = FastAPI(title=f"{name} service", version="0.1.0", description=description, lifespan=lifespan)
    app.state.engine = engine
    app.state.broker = broker
    app.state.relay = relay
    app.state.rewinder = rewinder
    app.state.batches = batches
    app.state.topics = topics
    app.state.workers = extra
    app.state.notices = notices
    app.state.settings = settings
    app.state.service_name = name
    app.state.proof_verifier = ProofVerifier(settings.gateway_keys)
    install_problem_handlers(app)
    install_problem_schema(app)
    install_domain_problems(app, problems or {})
    install_input_rules(app)
    install_request_context(app, name)
    app.include_router(health.router)
    for router in routers:
        app.include_router(router)
    install_load_shedding(app, name, settings.max_in_flight)
    return app


def main(
    *, name: str, settings: ServiceSettings, create_app: Callable[[], FastAPI], migrations_dir: Path | None,
    public_port: int | None = None,
) -> None:
    """`python -m <service> [serve|migrate]`; with `public_port`, the app also listens there (see listeners)."""
    action = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if action == "migrate":
        if migrations_dir is not None:
            upgrade(migrations_dir, settings.database_url)
        return
    if action != "serve":
        raise SystemExit(f"usage: python -m {name} [serve|migrate]")
    configure_logging(name, settings.log_level, as_json=settings.log_json)
    config = uvicorn.Config(create_app(), host=settings.http_host, port=settings.http_port, log_config=None,
                            access_log=False)
    # The imports and the app live as long as the process: out of the collector's sight (heap.py).
    settle_heap()
    sockets = [config.bind_socket()]
    if public_port:
        sockets.append(listening_socket(settings.http_host, public_port))
    uvicorn.Server(config).run(sockets=sockets)
