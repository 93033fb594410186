"""Each service's AsyncAPI document names every event it consumes and produces, typed by the contract.

The apps are built, never started (nothing connects), and the document is the one each serves at
/asyncapi.json. What a service consumes is read from its broker's subscribers; what it produces
from its code: every event class it builds (called, `caused_by`, or handed first to a builder such
as orders' `actor.event`), which must be what its main.py declares in `publishes=`. The gateway
has no broker and no such document.
"""

import ast
from pathlib import Path
from typing import Any

import httpx
import pytest
from contracts import ALL_EVENTS, Event, dlq_topic
from contracts.compat import schema_of
from fastapi import FastAPI
from servicekit.asyncapi import message_payload

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("offers", "orders", "payments", "notifications")
BY_NAME: dict[str, type[Event]] = {event.__name__: event for event in ALL_EVENTS}
BY_TOPIC: dict[str, type[Event]] = {event.topic: event for event in ALL_EVENTS}


def _create_app(service: str) -> FastAPI:
    if service == "offers":
        from offers.main import create_app
        from offers.settings import Settings
        return create_app(Settings(log_json=False))
    if service == "orders":
        from orders.main import create_app
        from orders.settings import Settings
        return create_app(Settings(log_json=False))
    if service == "payments":
        from payments.adapters.sealing import new_key
        from payments.main import create_app
        from payments.settings import Settings
        return create_app(Settings(log_json=False, credentials_keys=new_key()))
    from notifications.main import create_app
    from notifications.settings import Settings
    return create_app(Settings(log_json=False))


async def _served(app: FastAPI) -> dict[str, Any]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
        answer = await client.get("/asyncapi.json")
    assert answer.status_code == 200
    return answer.json()


@pytest.fixture(scope="module", params=SERVICES)
async def service(request: pytest.FixtureRequest) -> tuple[str, FastAPI, dict[str, Any]]:
    app = _create_app(request.param)
    return request.param, app, await _served(app)


def built_events(service: str) -> set[type[Event]]:
    """The events a service's code and migrations build, hence add to its outbox."""
    found: set[type[Event]] = set()
    base = ROOT / "services" / service
    for path in [*(base / "src").rglob("*.py"), *(base / "migrations").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            names = []
            if isinstance(node.func, ast.Name):
                names.append(node.func.id)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "caused_by" \
                    and isinstance(node.func.value, ast.Name):
                names.append(node.func.value.id)
            if node.args and isinstance(node.args[0], ast.Name):
                names.append(node.args[0].id)
            found |= {BY_NAME[name] for name in names if name in BY_NAME}
    return found


def _operations(doc: dict[str, Any], action: str, topic: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    found = []
    for operation in doc["operations"].values():
        channel = doc["channels"][operation["channel"]["$ref"].rsplit("/", 1)[-1]]
        if operation["action"] == action and channel["address"] == topic:
            found.append((operation, channel))
    return found


def _messages(doc: dict[str, Any], channel: dict[str, Any]) -> list[dict[str, Any]]:
    return [doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]] for ref in channel["messages"].values()]


def _assert_typed(doc: dict[str, Any], channel: dict[str, Any], event: type[Event]) -> None:
    messages = _messages(doc, channel)
    assert messages, f"{channel['address']} has no message"
    for message in messages:
        assert message.get("name") == event.__name__, f"{channel['address']}: the document names no event"
        assert message_payload(doc, message) == schema_of(event), f"{event.__name__}'s payload is not its contract"
        key = message["bindings"]["kafka"]["key"]
        assert key["x-partition-by"] == list(event.partition_by) and event.partition_by


def test_what_the_code_builds_is_what_main_declares(service) -> None:
    name, app, _ = service
    declared = {publisher.topic for publisher in app.state.broker.publishers}
    assert declared == {event.topic for event in built_events(name)}


def test_every_consumed_event_is_typed_and_names_its_dead_letter_topic(service) -> None:
    name, app, doc = service
    # In batch mode the consumers are one process-wide consumer, documented on a broker of its own.
    brokers = [app.state.broker] + ([app.state.batches.schema] if app.state.batches is not None else [])
    topics = {topic.name for broker in brokers for subscriber in broker.subscribers for topic in subscriber.topics}
    assert topics, f"{name} consumes nothing?"
    for topic in sorted(topics):
        assert topic in BY_TOPIC, f"{name} consumes {topic}, which is no contract's topic"
        found = _operations(doc, "receive", topic)
        assert found, f"{name}'s document does not say it consumes {topic}"
        for _, channel in found:
            _assert_typed(doc, channel, BY_TOPIC[topic])
            assert channel["x-dead-letter-topic"] == dlq_topic(topic)
        assert _operations(doc, "send", dlq_topic(topic)), f"{dlq_topic(topic)} is not in {name}'s document"


def test_every_produced_event_is_typed(service) -> None:
    name, _, doc = service
    for event in sorted(built_events(name), key=lambda e: e.topic):
        found = _operations(doc, "send", event.topic)
        assert found, f"{name}'s document does not say it publishes {event.topic}"
        for _, channel in found:
            _assert_typed(doc, channel, event)


def test_no_payload_is_bytes(service) -> None:
    name, _, doc = service
    for title, message in doc["components"]["messages"].items():
        assert message_payload(doc, message).get("format") != "binary", f"{name}: {title} is untyped"
