"""The gateway's public contract: its OpenAPI document, built from the services' own documents.

The gateway's routes are thin forwards, so what an operation takes and answers is the service's
to say: its query parameters, its body, its answers and its errors come from the service's
document, where they are declared on the route that really handles the call. The gateway adds
what is its own: the path as the public API spells it (and the checks it makes on the path
before forwarding), the bearer token of the CRM API, the rate limit of the public API and the
errors of forwarding itself. Internal headers (the gateway's proof) never appear.

`public_document` is pure, so the build can run wherever the services' documents are at hand
(the repository, with every service installed) while the gateway image carries only the result,
`openapi.json` beside this module; a test builds it again and fails when the committed one is
stale.
"""

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from servicekit.api import problem_responses

COMMITTED = Path(__file__).with_name("openapi.json")
SCHEMAS_REF = "#/components/schemas/"
BEARER = "crmToken"
METHODS = ("get", "put", "post", "patch", "delete")
# The headers a caller may send that the gateway passes on (proxy.PASSED_HEADERS): only these of a
# service's declared header parameters belong to the public contract.
PUBLIC_HEADERS = frozenset({"idempotency-key", "if-match", "if-none-match"})


@dataclass(frozen=True)
class Upstream:
    """Where a router's operations go: the service, and how its paths map onto the service's."""

    service: str
    gateway_prefix: str
    service_prefix: str = ""
    crm: bool = True  # the CRM API: a bearer token; else the public API: rate limited

    def service_path(self, path: str) -> str:
        return self.service_prefix + path.removeprefix(self.gateway_prefix)


class ContractError(ValueError):
    """The gateway and a service do not describe the same operation the same way."""


def _shape(path: str) -> str:
    # Parameters are named for each side (`order` at the gateway, `id_or_number` in orders).
    return re.sub(r"\{[^}]+\}", "{}", path)


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMAS_REF):
            yield ref.removeprefix(SCHEMAS_REF)
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _renamed(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: _renamed(v, names) for k, v in value.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMAS_REF) and ref.removeprefix(SCHEMAS_REF) in names:
            out["$ref"] = SCHEMAS_REF + names[ref.removeprefix(SCHEMAS_REF)]
        return out
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    return value


def _reachable(roots: Any, schemas: Mapping[str, Any]) -> set[str]:
    seen: set[str] = set()
    pending = list(_refs(roots))
    while pending:
        name = pending.pop()
        if name not in seen and name in schemas:
            seen.add(name)
            pending.extend(_refs(schemas[name]))
    return seen


def _success(operation: Mapping[str, Any]) -> list[str]:
    return sorted(status for status in operation.get("responses", {}) if status.startswith("2"))


class _Service:
    """One service's document, its operations found by method and path shape."""

    def __init__(self, name: str, document: Mapping[str, Any]) -> None:
        self.name = name
        self.document = document
        self.schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
        self.operations = {
            (method, _shape(path)): (path, operation)
            for path, operations in document.get("paths", {}).items()
            for method, operation in operations.items() if method in METHODS
        }


def _operation(own: dict[str, Any], upstream: Upstream, service: _Service, method: str, path: str
               ) -> dict[str, Any]:
    service_path = upstream.service_path(path)
    found = service.operations.get((method, _shape(service_path)))
    if found is None:
        raise ContractError(f"{method.upper()} {path}: {service.name} has no {method.upper()} {service_path}")
    _, theirs = found
    # The gateway passes the service's status on, so what it declares must be one the service answers.
    if not set(_success(own)) <= set(_success(theirs)):
        raise ContractError(f"{method.upper()} {path}: the gateway answers {_success(own)}, "
                            f"{service.name} {_success(theirs)}")
    merged: dict[str, Any] = {k: v for k, v in own.items() if k not in ("parameters", "requestBody", "responses")}
    if theirs.get("description") and not own.get("description"):
        merged["description"] = theirs["description"]
    # The path as the gateway checks it; what follows the path is the service's to define.
    parameters = [p for p in own.get("parameters", []) if p["in"] == "path"]
    theirs_named = set()
    for parameter in theirs.get("parameters", []):
        if parameter["in"] == "query" or (parameter["in"] == "header"
                                          and parameter["name"].lower() in PUBLIC_HEADERS):
            parameters.append(parameter)
            theirs_named.add((parameter["in"], parameter["name"]))
    # A query parameter the gateway declares itself stays, unless the service declares it too.
    parameters += [p for p in own.get("parameters", [])
                   if p["in"] != "path" and (p["in"], p["name"]) not in theirs_named]
    if parameters:
        merged["parameters"] = parameters
    if "requestBody" in theirs:
        merged["requestBody"] = theirs["requestBody"]
    elif "requestBody" in own:
        raise ContractError(f"{method.upper()} {path}: the gateway takes a body {service.name} does not declare")
    responses = {**own.get("responses", {}), **theirs.get("responses", {})}
    # Errors of forwarding: the service unreachable or too slow, a body over the gateway's limit.
    gateway_errors = [503, 504] + ([413] if "requestBody" in merged else [])
    gateway_errors += [401] if upstream.crm else [429]
    for status, answer in problem_responses(*gateway_errors).items():
        responses.setdefault(str(status), answer)
    if upstream.crm:
        responses["401"] = problem_responses(401)[401] | {"description": "No valid CRM token"}
        merged["security"] = [{BEARER: []}]
    merged["responses"] = dict(sorted(responses.items()))
    return merged


def public_document(own: Mapping[str, Any], services: Mapping[str, Mapping[str, Any]],
                    upstreams: Mapping[str, Upstream]) -> dict[str, Any]:
    """The gateway's document from its routes' own (`own`, the path and the checks) and the services'.

    `upstreams` maps a router's tag to where its operations go; operations of any other tag (the
    gateway's pages and probes) stay as the gateway declares them.
    """
    own = copy.deepcopy(dict(own))
    schemas: dict[str, Any] = dict(own.get("components", {}).get("schemas", {}))
    found: dict[str, _Service] = {}
    # Each service's schemas join the document's; one that another holds differently under the
    # same name takes the service's name in front, so no operation changes meaning.
    for name in sorted({u.service for u in upstreams.values()}):
        theirs = services[name].get("components", {}).get("schemas", {})
        names = {key: f"{name.capitalize()}{key}" for key, schema in theirs.items()
                 if key in schemas and schemas[key] != schema}
        document = _renamed(services[name], names)
        if names:
            held = document["components"]["schemas"]
            document["components"]["schemas"] = {names.get(key, key): schema for key, schema in held.items()}
        found[name] = _Service(name, document)
        for key, schema in found[name].schemas.items():
            schemas.setdefault(key, schema)
    paths: dict[str, Any] = {}
    for path, operations in own.get("paths", {}).items():
        for method, operation in operations.items():
            tags = operation.get("tags") or [""]
            upstream = upstreams.get(tags[0])
            merged = operation if upstream is None else _operation(
                operation, upstream, found[upstream.service], method, path)
            paths.setdefault(path, {})[method] = merged
    used = _reachable(paths, schemas)
    components = dict(own.get("components", {}))
    components["schemas"] = {name: schemas[name] for name in sorted(used) if name in schemas}
    components["securitySchemes"] = {BEARER: {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A CRM token naming the school (account_id), the user (sub) and the role",
    }}
    own["paths"] = paths
    own["components"] = components
    return own


def install_public_contract(app: FastAPI) -> None:
    """The app answers /openapi.json with the committed public contract.

    `app.state.route_document` keeps the document of the gateway's own routes, which the build
    merges with the services' documents.
    """
    app.state.route_document = app.openapi
    if not COMMITTED.exists():
        # A gateway that served its routes' bare document would hand front ends untyped operations.
        raise RuntimeError(f"the gateway's API document {COMMITTED.name} is missing from its package "
                           "(build it with `make openapi`)")
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))

    def openapi() -> dict[str, Any]:
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def dumped(document: Mapping[str, Any]) -> str:
    """The committed form: stable key order within what FastAPI gives, two-space indent, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
