"""Checks of the typed API contract, shared by every service's tests and the gateway's.

The routes are read from an app that is built, never started, so a route added without a
response model fails its service's unit tests the day it is written.
"""

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from .api import PROBLEM_REF
from .http import PROBLEM_JSON

Call = tuple[str, str]  # (method, path)

# servicekit's operations routes, the same in every service: probes, metrics, the AsyncAPI document.
OPERATIONS_ROUTES: frozenset[Call] = frozenset({
    ("GET", "/health"), ("GET", "/ready"), ("GET", "/metrics"), ("GET", "/asyncapi.json"),
})


def _walk(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        context = getattr(route, "include_context", None)
        if context is not None:  # a router included into the app (FastAPI keeps it whole)
            yield from _walk(route.original_router.routes, prefix + context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def routes_of(app: FastAPI) -> dict[Call, APIRoute]:
    """Every API route of the app by (method, path), routers included."""
    return {(method, path): route for path, route in _walk(app.routes) for method in route.methods}


def is_typed(route: APIRoute) -> bool:
    # FastAPI takes a return annotation such as dict[str, Any] for a response model too: that
    # documents nothing, so only a pydantic model counts (or a list of one).
    model = route.response_model
    args = getattr(model, "__args__", None)
    if args and getattr(model, "__origin__", None) is list:
        model = args[0]
    return isinstance(model, type) and issubclass(model, BaseModel)


def untyped_routes(app: FastAPI, not_json: Iterable[Call]) -> list[str]:
    """What is wrong with the app's routes against the list of those that answer no JSON of ours.

    Empty when every other route declares a response model, no listed route has one (the list
    holds only what needs it) and every listed route still exists.
    """
    exempt = set(not_json) | OPERATIONS_ROUTES
    found = routes_of(app)
    faults = [f"{m} {p}: no response model" for (m, p), route in sorted(found.items())
              if not is_typed(route) and (m, p) not in exempt]
    faults += [f"{m} {p}: listed as not JSON but has a response model" for (m, p) in sorted(set(not_json))
               if (m, p) in found and is_typed(found[(m, p)])]
    faults += [f"{m} {p}: listed but gone" for (m, p) in sorted(set(not_json)) if (m, p) not in found]
    return faults


def undocumented_errors(document: dict[str, Any]) -> list[str]:
    """Every error an OpenAPI document lists that is not the Problem under application/problem+json."""
    wanted = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}
    return [f"{method.upper()} {path} {status}"
            for path, operations in document.get("paths", {}).items()
            for method, operation in operations.items()
            for status, answer in operation.get("responses", {}).items()
            if status.startswith(("4", "5")) and answer.get("content") != wanted]
