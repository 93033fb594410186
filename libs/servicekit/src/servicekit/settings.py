"""Settings every service has; each service subclasses with its own env prefix."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True
    # Pool size per process; a service process handles HTTP and its consumers.
    db_pool_size: int = 10
    # Requests served at once by one process; the next is a 503 with Retry-After at once rather
    # than a wait for a database connection that ends in a timeout (see shedding.py, which also
    # sheds while the event loop lags). The pool holds twice db_pool_size connections, shared
    # with the consumers and the relay.
    max_in_flight: int = Field(default=32, ge=1)
    # Kafka consumer group; defaults to the service's name. Replicas of a service share it.
    consumer_group: str | None = None
    # How the service's consumers read (messaging.py): one consumer and group per topic, or one
    # consumer for all its topics applying each poll's records in a transaction per partition
    # (batches.py). Batch: the whole test suite, the fault and kill suites included, passes on it,
    # with fewer consumers, fewer transactions and quicker recovery (docs/messaging.md).
    consumer_mode: Literal["per-topic", "batch"] = "batch"
    # The most records the batch consumer takes in one poll (all partitions together).
    consumer_batch_size: int = Field(default=500, ge=1, le=10_000)
    # How long the broker waits for a silent consumer before it takes its partitions away. Kafka's
    # brokers accept 6 s and up (10 s is the client's default); the embedded broker of the local
    # stack and the tests also makes every new member wait half of it before its first
    # assignment, once per topic, so they set 2-3 s to start a service in seconds.
    # How a service creates a topic it needs that the broker lacks (at start, or after a broker
    # came back empty). A cluster's topics are normally declared by its operator beforehand.
    kafka_topic_partitions: int = Field(default=3, ge=1, le=1000)
    kafka_topic_replication_factor: int = Field(default=1, ge=1, le=10)
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1_000, le=300_000)
    # How long the broker may hold a consumer's fetch while nothing new has arrived. Kafka answers
    # a held fetch as soon as a record lands, so the client's 500 ms costs no latency there; the
    # embedded broker of the local stack and the tests only looks again within the wait (a record
    # waited up to half of it, measured in docs/performance.md), so they set tens of ms.
    kafka_fetch_max_wait_ms: int = Field(default=500, ge=1, le=30_000)
    # The kit's quicker encoding of the consumers' fetches (fetchcodec.py): most of an idle
    # consumer's CPU was aiokafka's generic reading and writing of them. Used only with the aiokafka
    # version it was checked against; false keeps aiokafka's own everywhere.
    kafka_fetch_codec: bool = True
    # The gateway's public keys (Ed25519, PEM blocks one after another; two during a rotation):
    # internal routes take the caller only from a token one of them signed. Empty: every
    # internal route answers 401.
    gateway_keys: str = ""
    # How long an Idempotency-Key is honoured (servicekit.idempotency; see docs/decisions.md):
    # a repeat within it gets the first result, the same key after it is a new request.
    idempotency_retention_hours: int = Field(default=48, ge=1, le=24 * 366)
    # Outbox rows the relay takes at a time: it sends them all, then awaits the broker's
    # acknowledgements, then marks them in one statement (see relay.py). Larger batches cost
    # fewer round trips per row; a batch is also what is sent again if the relay dies mid-way.
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
