"""One process, two listeners: the internal API, and the few routes the outside world must reach.

Payments serves providers' webhooks and the payer's pages to the internet, and its CRM API only
to the gateway. Both run in one process, on one app with one lifespan, but each request is
answered only on the listener it belongs to: a public route on the internal port, or any other
route on the public port, is a 404, as if it did not exist there.
"""

import socket
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .http import problem_response


def is_public(path: str, prefixes: Sequence[str]) -> bool:
    return any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def split_listeners(app: FastAPI, *, public_port: int, public_prefixes: Sequence[str]) -> None:
    """Answer `public_prefixes` only on `public_port`, and everything else only on the other ports."""
    app.add_middleware(_ListenerSplit, fastapi=app, public_port=public_port, public_prefixes=tuple(public_prefixes))


class _ListenerSplit:
    """Plain ASGI, not Starlette's `BaseHTTPMiddleware`: that one runs the rest of the app in a
    task group with memory streams between them, about 0.2 ms of CPU on every request."""

    def __init__(self, app: ASGIApp, *, fastapi: FastAPI, public_port: int, public_prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.fastapi = fastapi
        self.public_port = public_port
        self.public_prefixes = public_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        server = scope.get("server") or ("", None)
        on_public = server[1] == self.public_port
        path = scope["path"]
        if path == "/openapi.json" and scope["method"] == "GET":
            # Each listener documents what it answers: the outside world sees only its routes.
            document = listener_document(self.fastapi.openapi(), self.public_prefixes, public=on_public)
            await JSONResponse(document)(scope, receive, send)
        elif on_public != is_public(path, self.public_prefixes):
            await problem_response(404, "Not found", "no such route on this listener")(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def listener_document(document: dict[str, Any], public_prefixes: Sequence[str], *, public: bool) -> dict[str, Any]:
    """The app's OpenAPI document with only the paths one listener answers."""
    paths = {path: operations for path, operations in document.get("paths", {}).items()
             if is_public(path, public_prefixes) == public}
    return {**document, "paths": paths}


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound socket for uvicorn to serve on, beside the one it binds itself."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock
