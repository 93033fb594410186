"""Providers and languages are one type each, in the events, every service's API and the gateway's.

Every field or parameter named for a provider (`provider`, `*_provider`, a list `providers`) or a
language (`locale`, `*_locale`, `language`, a list `locales`) must have the schema of
`contracts.ProviderName` or `contracts.Locale`: a field typed `str`, its own pattern or its own
list of values fails here, naming where it is. A list of the type's own values is the type
narrowed (the webhook's path names the providers registered), and passes.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from contracts import ALL_EVENTS, Locale, ProviderName
from contracts.compat import schema_of
from localstack.contract import build, route_document, service_documents
from pydantic import TypeAdapter

_DOC_KEYS = {"title", "description", "examples", "default"}
_KINDS = {
    "provider": re.compile(r"^(\w+_)?provider$"),
    "locale": re.compile(r"^((\w+_)?locale|language)$"),
}
_PLURALS = {"provider": re.compile(r"^(\w+_)?providers$"), "locale": re.compile(r"^(\w+_)?(locales|languages)$")}


def _bare(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in _DOC_KEYS}


THE_TYPE = {
    "provider": _bare(TypeAdapter(ProviderName).json_schema()),
    "locale": _bare(TypeAdapter(Locale).json_schema()),
}


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _value(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of the value itself: an optional one's null dropped."""
    schema = _resolve(schema, defs)
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1 and len(schema["anyOf"]) == 2:
        return _bare(_resolve(options[0], defs))
    return _bare(schema)


def _kind(name: str) -> tuple[str, bool] | None:
    for kind, pattern in _KINDS.items():
        if pattern.match(name):
            return kind, False
    for kind, pattern in _PLURALS.items():
        if pattern.match(name):
            return kind, True
    return None


def _named_fields(schema: Any, defs: dict[str, Any], where: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, kind, value schema) of every property, at any depth, named for a provider or a language."""
    if isinstance(schema, dict):
        for name, prop in (schema.get("properties") or {}).items():
            if isinstance(prop, dict) and (found := _kind(name)):
                kind, plural = found
                value = _value(prop, defs)
                if plural:
                    value = _value(value.get("items", {}), defs) if value.get("type") == "array" else value
                yield f"{where}.{name}", kind, value
        for key, value in schema.items():
            if key != "properties":
                yield from _named_fields(value, defs, f"{where}.{key}")
            else:
                for name, prop in value.items():
                    yield from _named_fields(prop, defs, f"{where}.{name}")
    elif isinstance(schema, list):
        for i, item in enumerate(schema):
            yield from _named_fields(item, defs, f"{where}[{i}]")


def _parameters(document: dict[str, Any], defs: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if (found := _kind(parameter["name"])) and "schema" in parameter:
                    kind, plural = found
                    value = _value(parameter["schema"], defs)
                    if plural and value.get("type") == "array":
                        value = _value(value.get("items", {}), defs)
                    yield f"{method.upper()} {path} {parameter['in']} {parameter['name']}", kind, value


_ADAPTERS = {"provider": TypeAdapter(ProviderName), "locale": TypeAdapter(Locale)}


def _narrows(kind: str, value: dict[str, Any]) -> bool:
    """A fixed list of the type's own values, e.g. the webhook's path naming the registered providers."""
    if value.get("type") != "string" or not value.get("enum") or set(value) - {"type", "enum"}:
        return False
    try:
        return all(_ADAPTERS[kind].validate_python(v) == v for v in value["enum"])
    except ValueError:
        return False


def _problems(found: Iterator[tuple[str, str, dict[str, Any]]]) -> list[str]:
    return [f"{where}: {value} is not the one {kind} type {THE_TYPE[kind]}"
            for where, kind, value in found if value != THE_TYPE[kind] and not _narrows(kind, value)]


def _document_problems(document: dict[str, Any]) -> tuple[list[str], int]:
    defs = document.get("components", {}).get("schemas", {})
    found = [*_named_fields(defs, defs, "#"), *_parameters(document, defs),
             *_named_fields(document.get("paths", {}), defs, "paths")]
    return _problems(iter(found)), len(found)


def test_the_two_types_are_constrained_strings():
    assert THE_TYPE["provider"]["type"] == THE_TYPE["locale"]["type"] == "string"
    assert "pattern" in THE_TYPE["provider"] and "pattern" in THE_TYPE["locale"]


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.topic)
def test_every_event_field_of_a_provider_or_a_language_has_the_one_type(event):
    schema = schema_of(event)
    problems = _problems(_named_fields(schema, schema.get("$defs", {}), event.topic))
    assert problems == []


def test_the_events_name_providers_and_languages():
    """The walk finds what it is meant to check (a rename would otherwise pass unnoticed)."""
    found = {where for event in ALL_EVENTS
             for where, _, _ in _named_fields(schema_of(event), schema_of(event).get("$defs", {}), event.topic)}
    assert {"OrderCreated.provider", "OrderCreated.school_locale", "SchoolUpdated.default_locale",
            "NotificationSent.locale", "PaymentProvidersUpdated.providers"} <= found
    assert any(where.endswith(".locale") and where.startswith("OrderCreated.") and "ContactData" in where
               for where in found)


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {**service_documents(), "gateway routes": route_document(), "gateway": build()}


@pytest.mark.parametrize("name", ["offers", "orders", "payments", "notifications", "gateway routes", "gateway"])
def test_every_api_field_and_parameter_of_a_provider_or_a_language_has_the_one_type(documents, name):
    problems, checked = _document_problems(documents[name])
    assert checked > 0, f"{name}: nothing named for a provider or a language was found"
    assert problems == []
