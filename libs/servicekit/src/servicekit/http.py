"""HTTP conventions: RFC 9457 problem details, the verified caller, correlation ids."""

import logging
import time
import uuid
from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .caller import Caller, InvalidProof, ProofVerifier
from .logging import correlation_id
from .metrics import HTTP_REQUESTS
from .statements import tallied

log = logging.getLogger("servicekit.http")

PROBLEM_JSON = "application/problem+json"
CORRELATION_HEADER = "X-Correlation-Id"


class Problem(Exception):
    """An error the client can act on, rendered as problem details."""

    def __init__(
        self, status: int, title: str, detail: str | None = None, *, type_: str = "about:blank",
        headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        # Response headers that go with it, such as Retry-After on a 503.
        self.headers = headers
        self.extra = extra


def problem_response(status: int, title: str, detail: str | None = None, *, headers: dict[str, str] | None = None,
                     **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": extra.pop("type", "about:blank"), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def render_problem(exc: Problem) -> JSONResponse:
    return problem_response(exc.status, exc.title, exc.detail, type=exc.type, headers=exc.headers, **exc.extra)


def invalid_field(field: str, message: str) -> JSONResponse:
    """The 422 that names one field, as the request validation's own problems do."""
    return problem_response(422, "Invalid request", f"Check these fields: {field}",
                            errors=[{"field": field, "message": message}])


# A service's domain errors and the problem each one is: exception type -> (status, title).
# A title of None takes the error's own `title`, for a refusal whose kinds are named where raised.
ProblemTable = Mapping[type[Exception], tuple[int, str | None]]


def domain_problem(exc: Exception, status: int, title: str | None) -> JSONResponse:
    """A domain error as problem details: its message is the detail.

    `facts` (a mapping) are members the caller acts on, such as the version to reload; field
    errors are `field_errors`' to build.
    """
    detail = str(exc)
    extra: dict[str, Any] = dict(getattr(exc, "facts", None) or {})
    if (errors := field_errors(exc)) is not None:
        extra["errors"] = errors
    return problem_response(status, title or getattr(exc, "title", None) or "Error", detail, **extra)


def field_errors(exc: Exception) -> list[dict[str, str]] | None:
    """The problem's `errors` (servicekit.api.FieldError) for an error naming the input to fix.

    The one way every service's errors say it, so none maps it by hand: `field` names the input,
    as request validation does (`contact.email`, `lines.0.price`); `message`, if the error has
    one, is what the client shows beside it, where the detail (the error's text) may name the
    field too; without one, the error's text is both. None: the error names no input.
    """
    field = getattr(exc, "field", None)
    if not field:
        return None
    message = getattr(exc, "message", None) or str(exc)
    return [{"field": str(field), "message": str(message)}]


def install_domain_problems(app: FastAPI, table: ProblemTable) -> None:
    """Each mapped error (and its subclasses, the closest mapping winning) answers its problem.

    What the table does not name is left to the 500 of UnhandledErrors: a refusal nobody mapped is a
    bug to see, not a 4xx to guess.
    """
    for kind, (status, title) in table.items():
        async def _mapped(_: Request, exc: Exception, status: int = status, title: str | None = title) -> JSONResponse:
            return domain_problem(exc, status, title)

        app.add_exception_handler(kind, _mapped)


def _field(loc: tuple[Any, ...]) -> str:
    # ("body", "contact", "email") -> "contact.email"; keep the source for headers and paths.
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return render_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem_response(422, "Invalid request", f"Check these fields: {fields}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(exc.status_code, title, detail)

    @app.exception_handler(ClientDisconnect)
    async def _gone(_: Request, exc: ClientDisconnect) -> JSONResponse:
        # The caller gave up (its timeout) before we read its request: nobody reads this answer,
        # and a traceback per abandoned request would cost an overloaded process more CPU still.
        return problem_response(400, "Client went away", "the request was abandoned before it was read")

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        # Reached only from outside UnhandledErrors (a failing middleware): the server then closes
        # the connection after this answer, as Starlette re-raises what reaches it.
        log.exception("unhandled error")
        return _internal_error()

    app.add_middleware(UnhandledErrors)


def _internal_error() -> JSONResponse:
    return problem_response(500, "Internal error", "The request could not be completed; nothing was changed.")


class UnhandledErrors:
    """An unhandled exception answers a 500 problem and the connection stays open.

    Starlette's own last handler answers too, but then re-raises, and the server closes the
    keep-alive connection after the answer: the gateway's pooled connection to the service would
    die with it, failing the next, innocent request sent on it. Here the exception ends with
    the answer. Only an answer already half sent (a stream) still has to close the connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception("unhandled error")
            if started:
                raise
            await _internal_error()(scope, receive, send)


def install_request_context(app: FastAPI, service: str) -> None:
    """Correlation id in and out, and request metrics."""
    app.add_middleware(RequestContext, service=service)


_CORRELATION_KEY = CORRELATION_HEADER.lower().encode("latin-1")


class RequestContext:
    """The request's correlation id (the caller's or a new one) for its logs and its answer, its
    statements tallied under its route, and its time observed by route and status.

    Plain ASGI rather than Starlette's `BaseHTTPMiddleware`, which runs the rest of the app in a
    task of its own and copies every answer through a stream: about 0.3 ms of CPU a request
    (docs/performance.md)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((value for name, value in scope["headers"] if name == _CORRELATION_KEY), b"")
        cid = given.decode("latin-1") or str(uuid.uuid4())
        header = (_CORRELATION_KEY, cid.encode("latin-1"))
        status = 500

        async def answered(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*(h for h in message.get("headers", ()) if h[0].lower() != _CORRELATION_KEY),
                                      header]
            await send(message)

        token = correlation_id.set(cid)
        started = time.perf_counter()
        method = scope["method"]
        with tallied("unmatched") as statements:
            try:
                await self.app(scope, receive, answered)
            finally:
                correlation_id.reset(token)
                path = getattr(scope.get("route"), "path", "unmatched")
                statements.work = f"{method} {path}"
        HTTP_REQUESTS.labels(self.service, method, path, str(status)).observe(time.perf_counter() - started)


def current_correlation_id() -> UUID:
    cid = correlation_id.get()
    try:
        return UUID(cid) if cid else uuid.uuid4()
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, cid)


async def _caller(request: Request) -> Caller:
    """The caller as the gateway's proof names it; a viewer may only read."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "Unauthorized", "internal routes take the gateway's proof as 'Authorization: Bearer'")
    verifier: ProofVerifier = request.app.state.proof_verifier
    try:
        caller = verifier.verify(token.strip(), audience=request.app.state.service_name)
    except InvalidProof as exc:
        raise Problem(401, "Unauthorized", f"the gateway's proof does not hold: {exc}") from None
    refuse_viewer_writes(caller, request.method)
    return caller


def refuse_viewer_writes(caller: Caller, method: str) -> None:
    """A viewer may look but not change anything: the one rule the gateway and every service apply."""
    if not caller.may_write and method not in ("GET", "HEAD"):
        raise Problem(403, "Forbidden", "a viewer can look but not change anything")


# Every internal route names who is calling, for which account, with which role: from the proof only.
CurrentCaller = Annotated[Caller, Depends(_caller)]


async def _account(caller: CurrentCaller) -> UUID:
    return caller.account_id


AccountId = Annotated[UUID, Depends(_account)]


async def _owner(caller: CurrentCaller) -> Caller:
    if caller.role != "owner":
        raise Problem(403, "Forbidden", "only the school's owner can do this")
    return caller


# Routes only a school's owner may call (payment credentials, for one).
OwnerCaller = Annotated[Caller, Depends(_owner)]
