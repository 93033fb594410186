"""Forwarding to the services: the gateway adds who is asking and passes the answer back."""

import logging
from typing import Any

import httpx
from fastapi import Request, Response
from servicekit.http import ACCOUNT_HEADER, CORRELATION_HEADER, Problem
from servicekit.logging import correlation_id

from .auth import Principal

log = logging.getLogger("gateway.proxy")

MAX_BODY = 1_000_000
PASSED_HEADERS = ("content-type", "idempotency-key", "accept", "if-match")
RETURNED_HEADERS = ("content-type", "location", "etag", "retry-after")
JSON_BODY: dict[str, Any] = {
    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}, "required": True}
}


class Upstreams:
    """One pooled HTTP client per service."""

    def __init__(
        self, urls: dict[str, str], timeout: float, transports: dict[str, httpx.AsyncBaseTransport] | None = None
    ) -> None:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        transports = transports or {}
        self.clients = {
            name: httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits, transport=transports.get(name))
            for name, url in urls.items()
        }

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


async def forward(request: Request, service: str, path: str, principal: Principal | None = None) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Problem(413, "Request too large", f"bodies are limited to {MAX_BODY} bytes")
    headers = {k: v for k, v in request.headers.items() if k.lower() in PASSED_HEADERS}
    headers[CORRELATION_HEADER] = correlation_id.get() or ""
    if principal is not None:
        headers[ACCOUNT_HEADER] = str(principal.account_id)
        headers["X-User-Id"] = principal.user_id
        headers["X-User-Role"] = principal.role
    client: httpx.AsyncClient = request.app.state.upstreams.clients[service]
    try:
        upstream = await client.request(
            request.method, path, params=request.query_params, content=body or None, headers=headers
        )
    except httpx.TimeoutException:
        raise Problem(504, "Upstream timeout", f"the {service} service did not answer in time") from None
    except httpx.TransportError as exc:
        log.warning("cannot reach %s: %r", service, exc)
        raise Problem(503, "Service unavailable", f"the {service} service cannot be reached; try again") from None
    returned = {k: v for k, v in upstream.headers.items() if k.lower() in RETURNED_HEADERS}
    return Response(content=upstream.content, status_code=upstream.status_code, headers=returned)
