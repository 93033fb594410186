"""Forwarding to the services: the gateway adds who is asking and passes the answer back."""

import logging
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from servicekit.http import CORRELATION_HEADER, Problem
from servicekit.logging import correlation_id
from servicekit.pooled_http import PooledTransport
from servicekit.shedding import busy
from starlette.background import BackgroundTask

from .auth import Principal
from .proofs import CachedProofs

log = logging.getLogger("gateway.proxy")

MAX_BODY = 1_000_000
PASSED_HEADERS = ("content-type", "idempotency-key", "accept", "if-match", "if-none-match")
PASSED_NAMES = frozenset(name.encode() for name in PASSED_HEADERS)
CORRELATION_NAME = CORRELATION_HEADER.lower().encode()
RETURNED_HEADERS = ("content-type", "content-disposition", "location", "etag", "retry-after")
# Only these may be sent again when a pooled connection turns out to be dead before any answer:
# repeating anything else could do it twice.
RETRIED_METHODS = frozenset({"GET", "HEAD"})
JSON_BODY: dict[str, Any] = {
    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}, "required": True}
}


class Upstreams:
    """One pooled HTTP client per service."""

    def __init__(
        self, urls: dict[str, str], timeout: float, transports: dict[str, httpx.AsyncBaseTransport] | None = None,
        *, max_connections: int = 100, pool_timeout: float = 0.5,
    ) -> None:
        # Connect, read and write may take the whole upstream timeout; a free connection may not.
        timeouts = httpx.Timeout(timeout, pool=pool_timeout)
        transports = transports or {}
        # The kit's pool: httpx's own looks at every kept connection on every request, and the
        # visitors' waiting status requests keep many open.
        self.clients = {
            name: httpx.AsyncClient(base_url=url, timeout=timeouts, transport=transports.get(name) or PooledTransport(
                max_connections=max_connections, max_idle=min(50, max_connections)))
            for name, url in urls.items()
        }
        self._bases = {name: httpx.URL(url) for name, url in urls.items()}
        self._timeouts = timeouts.as_dict()

    def request(self, service: str, method: str, path: str, query: str, headers: list[tuple[bytes, bytes]],
                content: bytes | None) -> httpx.Request:
        """The request to a service, built directly: the client's own builder parses and merges the whole
        URL and its default headers again for every request, which costs more than the rest of it."""
        base = self._bases[service]
        target = base.raw_path.rstrip(b"/") + path.encode()
        if query:
            target += b"?" + query.encode()
        return httpx.Request(method, base.copy_with(raw_path=target), headers=headers, content=content,
                             extensions={"timeout": self._timeouts})

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


async def forward(request: Request, service: str, path: str, principal: Principal | None = None) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Problem(413, "Request too large", f"bodies are limited to {MAX_BODY} bytes")
    upstreams: Upstreams = request.app.state.upstreams
    upstream_request = upstreams.request(service, request.method, path, _query(request),
                                         _headers(request, service, principal), body or None)
    upstream = await _send(upstreams.clients[service], upstream_request, service, stream=False)
    return Response(content=upstream.content, status_code=upstream.status_code, headers=_returned(upstream))


async def forward_stream(request: Request, service: str, path: str, principal: Principal) -> StreamingResponse:
    """A GET whose answer may be large (an export): passed on as it arrives, never held whole."""
    upstreams: Upstreams = request.app.state.upstreams
    upstream_request = upstreams.request(service, "GET", path, _query(request), _headers(request, service, principal),
                                         None)
    upstream = await _send(upstreams.clients[service], upstream_request, service, stream=True)
    return StreamingResponse(upstream.aiter_raw(), status_code=upstream.status_code, headers=_returned(upstream),
                             background=BackgroundTask(upstream.aclose))


def segment(value: object) -> str:
    """One path segment of an upstream URL, escaped: a value can never add a segment or a query."""
    return quote(str(value), safe="")


def _query(request: Request) -> str:
    # Encoded as the client's own builder encodes the parsed parameters, so a service sees the same query.
    return str(httpx.QueryParams(request.query_params)) if request.scope.get("query_string") else ""


def _headers(request: Request, service: str, principal: Principal | None) -> list[tuple[bytes, bytes]]:
    # Passed on as the bytes that came: a header value outside ASCII is the service's to judge.
    # The raw list is already lower-case names and bytes; the last of a repeated header wins, as before.
    passed = {name: value for name, value in request.scope["headers"] if name in PASSED_NAMES}
    headers = list(passed.items())
    headers.append((CORRELATION_NAME, (correlation_id.get() or "").encode("latin-1")))
    if principal is not None:
        # The service believes only this: who is calling, signed by us, for that service alone.
        signer: CachedProofs = request.app.state.proof_signer
        headers.append((b"authorization", b"Bearer " + signer.sign(principal, service).encode()))
    return headers


async def _send(client: httpx.AsyncClient, upstream_request: httpx.Request, service: str, *, stream: bool
                ) -> httpx.Response:
    try:
        try:
            return await client.send(upstream_request, stream=stream)
        except httpx.RemoteProtocolError:
            # A kept-alive connection the service closed meanwhile: the request never arrived.
            if upstream_request.method not in RETRIED_METHODS:
                raise
            log.info("connection to %s closed under a %s; sending it once more", service, upstream_request.method)
            return await client.send(upstream_request, stream=stream)
    except httpx.PoolTimeout:
        # Every connection to that service is busy: it is swamped, so refuse fast, as it would.
        raise busy(service) from None
    except httpx.TimeoutException:
        raise Problem(504, "Upstream timeout", f"the {service} service did not answer in time") from None
    except httpx.TransportError as exc:
        log.warning("cannot reach %s: %r", service, exc)
        raise Problem(503, "Service unavailable", f"the {service} service cannot be reached; try again") from None


def _returned(upstream: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in upstream.headers.items() if k.lower() in RETURNED_HEADERS}
