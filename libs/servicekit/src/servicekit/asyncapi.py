"""The AsyncAPI document of a service: every event it consumes and publishes, typed.

FastStream builds the document (servers, channels, operations) from the broker's subscribers
and publishers, but its consumers read raw bytes (see messaging.py), so it can only say "binary"
of what they receive. This module completes the document from what was declared (channels.py):

- each message's payload is the contract's JSON Schema (`contracts.compat.schema_of`, the schema
  the snapshots hold every event to), its `$defs` among the document's schemas. An event travels
  as one JSON object: the envelope's fields (`contracts.envelope.Event`) beside the event's own;
- the message key (the Kafka binding's `key`) names the fields it is made of (`partition_by`),
  and the headers are those the outbox gives every event;
- each consumed channel names its dead-letter topic (`x-dead-letter-topic`), and the dead-letter
  topic is in the document too, with the headers a parked message carries.

An event type that is used but was not declared stays as FastStream described it; the services'
tests refuse a document with a binary payload, so such a consumer does not go unnoticed.
"""

import json
from typing import Any

from contracts import Event
from contracts.compat import schema_of
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from .batches import batch_consumer_of
from .channels import Consumer, channels_of
from .messaging import DEAD_LETTER_REASONS

Schema = dict[str, Any]

SCHEMAS = "#/components/schemas/"
KAFKA_BINDING = "0.4.0"
UUID_TEXT: Schema = {"type": "string", "format": "uuid"}


def document(broker: KafkaBroker, *, title: str, version: str) -> dict[str, Any]:
    """The service's AsyncAPI 3.0 document, as a JSON-ready dict."""
    doc = json.loads(AsyncAPI(broker, title=title, version=version).to_specification().to_json())
    components = doc.setdefault("components", {})
    components.setdefault("messages", {})
    components.setdefault("schemas", {})
    batch = batch_consumer_of(broker)
    if batch is not None:
        # The batch consumer is no FastStream subscriber: its topics come from its document broker.
        shadow = json.loads(AsyncAPI(batch.schema, title=title, version=version).to_specification().to_json())
        for part in ("channels", "operations"):
            doc.setdefault(part, {}).update(shadow.get(part, {}))
        for part in ("messages", "schemas"):
            components[part].update(shadow.get("components", {}).get(part, {}))
    declared = channels_of(broker)
    placed: set[str] = set()
    for op_name, operation in list(doc.get("operations", {}).items()):
        channel_name = operation["channel"]["$ref"].rsplit("/", 1)[-1]
        channel = doc["channels"][channel_name]
        topic = channel["address"]
        if operation["action"] == "receive" and topic in declared.consumed:
            consumer = declared.consumed[topic]
            _type_messages(doc, channel, consumer.event, placed)
            _name_dead_letters(doc, op_name, channel_name, channel, operation, consumer, placed)
        elif operation["action"] == "send" and topic in declared.published:
            _type_messages(doc, channel, declared.published[topic], placed)
    _drop_unused_schemas(doc)
    return doc


def message_payload(doc: dict[str, Any], message: dict[str, Any]) -> Schema:
    """A message's payload as one standalone JSON Schema, its references back under `$defs`: the
    shape `contracts.compat.schema_of` gives, to compare the two."""
    schemas = doc.get("components", {}).get("schemas", {})
    top = _resolve(message["payload"], schemas)
    defs: dict[str, Schema] = {}
    pending = _refs(top)
    while pending:
        name = pending.pop()
        if name not in defs:
            defs[name] = _to_local(schemas[name])
            pending |= _refs(schemas[name])
    standalone = _to_local(top)
    if defs:
        standalone["$defs"] = defs
    return standalone


def _type_messages(doc: dict[str, Any], channel: dict[str, Any], event: type[Event], placed: set[str]) -> None:
    payload = _place_schema(doc, event, placed)
    for ref in channel.get("messages", {}).values():
        message = doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]
        message.update(
            name=event.__name__,
            contentType="application/json",
            payload=payload,
            headers=event_headers_schema(event),
            bindings={"kafka": {"key": key_schema(event), "bindingVersion": KAFKA_BINDING}},
        )


def _name_dead_letters(doc: dict[str, Any], op_name: str, channel_name: str, channel: dict[str, Any],
                       operation: dict[str, Any], consumer: Consumer, placed: set[str]) -> None:
    dlq = consumer.dead_letter_topic
    channel["x-dead-letter-topic"] = dlq
    channel["description"] = (f"{channel.get('description', '').rstrip()} A message it can never apply "
                              f"is parked on {dlq}.").lstrip()
    operation["x-consumer-group"] = consumer.group_id
    dlq_channel, dlq_message = f"{channel_name}.dlq", f"{channel_name}.dlq:DeadLetter"
    doc["components"]["messages"][dlq_message] = {
        "name": f"{consumer.event.__name__}DeadLetter",
        "title": f"{consumer.event.__name__} parked by {consumer.group_id}",
        "payload": {
            "description": f"The message exactly as it arrived on {consumer.event.topic}, key and bytes: "
                           f"normally the {consumer.event.__name__} event, but possibly bytes that could "
                           "not be read as one.",
        },
        "headers": DEAD_LETTER_HEADERS,
        "bindings": {"kafka": {"key": key_schema(consumer.event), "bindingVersion": KAFKA_BINDING}},
    }
    doc["channels"][dlq_channel] = {
        "address": dlq,
        "description": f"Messages on {consumer.event.topic} that {consumer.service} could not apply, "
                       "with the reason in their headers; nothing consumes them automatically.",
        "servers": channel.get("servers", []),
        "messages": {"DeadLetter": {"$ref": f"#/components/messages/{dlq_message}"}},
        "bindings": {"kafka": {"topic": dlq, "bindingVersion": KAFKA_BINDING}},
        "x-dead-letter-of": consumer.event.topic,
    }
    doc["operations"][f"{op_name}.dlq"] = {
        "action": "send",
        "channel": {"$ref": f"#/channels/{dlq_channel}"},
        "messages": [{"$ref": f"#/channels/{dlq_channel}/messages/DeadLetter"}],
    }


def _place_schema(doc: dict[str, Any], event: type[Event], placed: set[str]) -> Schema:
    """Put the event's schema and its `$defs` among the document's schemas; the payload's reference."""
    schemas = doc["components"]["schemas"]
    schema = schema_of(event)
    entries = {name: _to_components(sub) for name, sub in schema.pop("$defs", {}).items()}
    entries[event.__name__] = _to_components(schema)
    for name, entry in entries.items():
        # FastStream's own entries (from the publishers' models) give way; two different
        # schemas under one name would make one payload lie, so that is refused.
        if name in placed and schemas[name] != entry:
            raise ValueError(f"two different schemas named {name} in one AsyncAPI document")
        schemas[name] = entry
        placed.add(name)
    return {"$ref": SCHEMAS + event.__name__}


def key_schema(event: type[Event]) -> Schema:
    """The message key: the text of the first of the event's `partition_by` fields that is set."""
    fields = event.partition_by
    if not fields:
        return {"type": "string", "description": "The event's partition key."}
    properties = schema_of(event)["properties"]
    key: Schema = {"type": "string"}
    formats = {_format(properties[name]) for name in fields}
    if len(formats) == 1 and None not in formats:
        key["format"] = formats.pop()
    first, *others = fields
    key["description"] = (f"The event's {first}" + "".join(f", or its {name} if that is not set" for name in others)
                          + f": one {first.removesuffix('_id')}'s events stay in order on the topic.")
    key["x-partition-by"] = list(fields)
    return key


def event_headers_schema(event: type[Event]) -> Schema:
    """The headers the outbox gives every event (outbox.event_headers); consumers read the payload."""
    return {
        "type": "object",
        "properties": {
            "event_type": {"type": "string", "const": event.__name__},
            "event_id": UUID_TEXT,
            "correlation_id": UUID_TEXT,
            "content-type": {"type": "string", "const": "application/json"},
        },
    }


# The headers messaging.py's dead_letter writes on a parked message.
DEAD_LETTER_HEADERS: Schema = {
    "type": "object",
    "properties": {
        "x-original-topic": {"type": "string", "description": "The topic the message was consumed from."},
        "x-consumer-group": {"type": "string", "description": "The consumer group that parked it."},
        "x-reason": {"type": "string", "enum": list(DEAD_LETTER_REASONS),
                     "description": "Could not be read, refused by the handler, waited too long for a fact "
                                    "that never came, or kept failing."},
        "x-error": {"type": "string", "maxLength": 4000, "description": "The error, its type first."},
        "x-partition": {"type": "string", "description": "Where it was on the original topic."},
        "x-offset": {"type": "string", "description": "Where it was on the original topic."},
    },
    "required": ["x-original-topic", "x-consumer-group", "x-reason", "x-error", "x-partition", "x-offset"],
}


def _format(prop: Schema) -> str | None:
    variants = [v for v in prop.get("anyOf", [prop]) if v.get("type") != "null"]
    return variants[0].get("format") if len(variants) == 1 else None


def _drop_unused_schemas(doc: dict[str, Any]) -> None:
    """Drop the schemas no message refers to any more (FastStream's binary payloads, its copies)."""
    schemas = doc["components"]["schemas"]
    used: set[str] = set()
    pending = _refs(doc["components"]["messages"])
    while pending:
        name = pending.pop()
        if name in schemas and name not in used:
            used.add(name)
            pending |= _refs(schemas[name])
    for name in list(schemas):
        if name not in used:
            del schemas[name]


def _resolve(schema: Schema, schemas: dict[str, Schema]) -> Schema:
    ref = schema.get("$ref", "")
    return schemas[ref.removeprefix(SCHEMAS)] if ref.startswith(SCHEMAS) else schema


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].removeprefix(SCHEMAS)} if str(node.get("$ref", "")).startswith(SCHEMAS) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _rewrite(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {k: (new + v.removeprefix(old) if k == "$ref" and isinstance(v, str) and v.startswith(old)
                    else _rewrite(v, old, new)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite(v, old, new) for v in node]
    return node


def _to_components(schema: Schema) -> Schema:
    return _rewrite(schema, "#/$defs/", SCHEMAS)


def _to_local(schema: Schema) -> Schema:
    return _rewrite(schema, SCHEMAS, "#/$defs/")
