"""Prometheus metrics shared by every service (one registry per process)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()

MESSAGES = Counter(
    "consumer_messages_total",
    "Messages handled by consumers, by outcome (applied, duplicate, dead_lettered, retried)",
    ["service", "topic", "outcome"],
    registry=REGISTRY,
)
HANDLE_SECONDS = Histogram(
    "consumer_handle_seconds", "Time to apply one message", ["service", "topic"], registry=REGISTRY
)
OUTBOX_PUBLISHED = Counter(
    "outbox_published_total", "Outbox rows published", ["service"], registry=REGISTRY
)
OUTBOX_FAILURES = Counter(
    "outbox_publish_failures_total", "Failed relay rounds", ["service"], registry=REGISTRY
)
OUTBOX_REQUEUED = Counter(
    "outbox_requeued_total", "Published outbox rows queued again because the broker lost them", ["service"],
    registry=REGISTRY,
)
OUTBOX_LAG = Gauge(
    "outbox_lag_seconds", "Age of the oldest unpublished outbox row", ["service"], registry=REGISTRY
)
HTTP_REQUESTS = Histogram(
    "http_request_seconds", "HTTP requests", ["service", "method", "route", "status"], registry=REGISTRY
)
HTTP_IN_FLIGHT = Gauge(
    "http_requests_in_flight", "HTTP requests being served now (probes and metrics not counted)", ["service"],
    registry=REGISTRY,
)
HTTP_SHED = Counter(
    "http_requests_shed_total",
    "HTTP requests refused with a 503 for load: too many in flight (in_flight) or the event loop behind (loop_lag)",
    ["service", "reason"], registry=REGISTRY,
)
EVENT_LOOP_LAG = Gauge(
    "event_loop_lag_seconds", "How late the event loop ran a timer lately (while requests arrive)", ["service"],
    registry=REGISTRY,
)
DB_STATEMENTS = Counter(
    "db_statements_total", "SQL statements sent, by the work they were sent for (statements.py)", ["work"],
    registry=REGISTRY,
)
