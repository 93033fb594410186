"""The gateway's OpenAPI document is the complete public contract a front end generates its client from.

It is built from the services' own documents (gateway.contract) and committed beside the code;
tests/contracts checks that it is current. Here: that the gateway serves it, that it covers every
route the gateway has and no other, and that every operation in it is typed.
"""

import json
from typing import Any

import pytest
from gateway.contract import BEARER, COMMITTED, PUBLIC_HEADERS, ContractError, Upstream, public_document
from gateway.main import create_app
from gateway.settings import Settings
from servicekit.api_checks import OPERATIONS_ROUTES, routes_of, undocumented_errors

SECRET = "a-test-secret-that-is-long-enough-for-hs256"

# Operations that answer no JSON document, and why.
NOT_JSON = {
    ("GET", "/api/v1/orders/export.csv"),  # CSV, streamed
    ("GET", "/offer/{offer_id}"),  # the offer's HTML page
    ("DELETE", "/api/v1/pipelines/{pipeline_id}"),  # 204, no content
    ("DELETE", "/api/v1/templates/{template}/{locale}"),  # 204, no content
} | OPERATIONS_ROUTES


def _committed() -> dict[str, Any]:
    return json.loads(COMMITTED.read_text(encoding="utf-8"))


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), path): operation for path, operations in document["paths"].items()
            for method, operation in operations.items()}


def _typed(schema: dict[str, Any] | None) -> bool:
    # A bare object or an empty schema says nothing a client could use.
    return bool(schema) and schema not in ({"type": "object"}, {"type": "object", "additionalProperties": True}) \
        and not (schema.get("type") == "object" and "properties" not in schema and "$ref" not in schema
                 and schema.get("additionalProperties") in (None, True))


def test_the_gateway_serves_the_committed_contract() -> None:
    app = create_app(Settings(jwt_secret=SECRET, log_json=False))
    assert app.openapi() == _committed()


def test_the_contract_has_every_route_of_the_gateway_and_no_other() -> None:
    app = create_app(Settings(jwt_secret=SECRET, log_json=False))
    routes = {call for call, route in routes_of(app).items() if route.include_in_schema}
    assert routes == set(_operations(_committed()))


def test_every_operation_is_typed() -> None:
    faults = []
    for (method, path), operation in sorted(_operations(_committed()).items()):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None and not _typed(body.get("schema")):
            faults.append(f"{method} {path}: untyped body")
        if (method, path) in NOT_JSON:
            continue
        answers = [answer.get("content", {}).get("application/json", {}).get("schema")
                   for status, answer in operation["responses"].items() if status.startswith("2")]
        if not answers or not all(_typed(schema) for schema in answers):
            faults.append(f"{method} {path}: untyped answer")
    assert faults == []


def test_the_crm_api_takes_a_bearer_token_and_no_internal_header() -> None:
    document = _committed()
    assert document["components"]["securitySchemes"][BEARER]["scheme"] == "bearer"
    for (method, path), operation in _operations(document).items():
        headers = {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}
        assert headers <= PUBLIC_HEADERS, (method, path, headers)
        if path.startswith("/api/v1/"):
            assert operation["security"] == [{BEARER: []}], (method, path)
            assert "401" in operation["responses"], (method, path)
        if path.startswith("/public/v1/"):
            assert "security" not in operation and "429" in operation["responses"], (method, path)


def test_every_error_is_the_problem() -> None:
    assert undocumented_errors(_committed()) == []


def test_an_order_is_named_by_its_id_or_its_number_on_every_order_route() -> None:
    for (method, path), operation in _operations(_committed()).items():
        if path.startswith("/api/v1/orders/{"):
            [order] = [p for p in operation["parameters"] if p["in"] == "path" and path.startswith(
                f"/api/v1/orders/{{{p['name']}}}")]
            assert order["name"] == "order", (method, path)
            kinds = {(s.get("type"), s.get("format")) for s in order["schema"]["anyOf"]}
            assert kinds == {("string", "uuid"), ("integer", None)}, (method, path)


# The merge itself, on documents small enough to read.

def _doc(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths,
            "components": {"schemas": schemas or {}}}


def _op(status: str = "200", ref: str | None = None, **extra: Any) -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"} if ref else {}}}
    return {"tags": ["things"], "responses": {status: {"description": "ok", "content": content}}, **extra}


UP = {"things": Upstream("things", "/api/v1")}


def test_the_answer_comes_from_the_service_and_the_path_from_the_gateway() -> None:
    own = _doc({"/api/v1/things/{thing}": {"get": _op(parameters=[
        {"name": "thing", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}])}})
    theirs = _doc({"/things/{thing_id}": {"get": _op(ref="Thing", parameters=[
        {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
        {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}},
        {"name": "X-Internal", "in": "header", "schema": {"type": "string"}}])}},
        {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}})
    merged = public_document(own, {"things": theirs}, UP)
    operation = merged["paths"]["/api/v1/things/{thing}"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["thing", "limit", "Idempotency-Key"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Thing")
    assert {"401", "503", "504"} <= operation["responses"].keys() and operation["security"] == [{BEARER: []}]
    assert set(merged["components"]["schemas"]) == {"Thing"}


def test_a_schema_two_services_name_alike_but_hold_differently_is_kept_apart() -> None:
    up = {"a": Upstream("alpha", "/api/v1"), "b": Upstream("beta", "/api/v1")}
    own = _doc({"/api/v1/a": {"get": _op() | {"tags": ["a"]}}, "/api/v1/b": {"get": _op() | {"tags": ["b"]}}})
    alpha = _doc({"/a": {"get": _op(ref="Card")}}, {"Card": {"type": "object", "properties": {"x": {}}}})
    beta = _doc({"/b": {"get": _op(ref="Card")}}, {"Card": {"type": "object", "properties": {"y": {}}}})
    merged = public_document(own, {"alpha": alpha, "beta": beta}, up)
    refs = [merged["paths"][p]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            for p in ("/api/v1/a", "/api/v1/b")]
    assert refs == ["#/components/schemas/Card", "#/components/schemas/BetaCard"]
    assert set(merged["components"]["schemas"]) == {"Card", "BetaCard"}


def test_a_gateway_route_the_service_lacks_or_answers_otherwise_is_refused() -> None:
    own = _doc({"/api/v1/things": {"get": _op()}})
    with pytest.raises(ContractError, match="has no GET /things"):
        public_document(own, {"things": _doc({})}, UP)
    with pytest.raises(ContractError, match="answers"):
        public_document(own, {"things": _doc({"/things": {"get": _op(status="201")}})}, UP)
    body = {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}}
    with pytest.raises(ContractError, match="body"):
        public_document(_doc({"/api/v1/things": {"post": _op(**body)}}),
                        {"things": _doc({"/things": {"post": _op()}})}, UP)
