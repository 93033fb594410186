"""An HTTP/1.1 transport for httpx whose pool costs the same however many connections it keeps.

httpcore's pool (httpx's default transport) looks at every connection it holds on every request,
and asks the operating system whether each idle one is still open: with the visitor's waiting
status requests holding tens of connections open at once, that scan was most of the gateway's
CPU per forwarded request (and of the benchmark's load generator). This one keeps idle
connections on a stack per origin, takes the most recent, and learns that the server closed one
from its stream (at end of file), which costs nothing to ask; the answer is parsed by httptools
(C), as uvicorn parses requests.

What it does not do, httpx's own transport does: a request over TLS, a HEAD (whose answer has no
body whatever its headers say) or through a proxy goes to the fallback transport given. Errors
are httpx's own classes, so callers handle them as before: a connection closed before any answer
is a `RemoteProtocolError` (most often the request was not seen; a caller may send a GET again),
a full pool a `PoolTimeout`, and connect, read and write timeouts theirs.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httptools
import httpx

_READ = 65536


@dataclass
class _Pool:
    """One origin's connections: the idle ones, and a count of what may still be opened or lent."""

    free: asyncio.Semaphore
    idle: list["_Connection"] = field(default_factory=list)


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def closed(self) -> bool:
        return self.reader.at_eof() or self.writer.is_closing() or self.reader.exception() is not None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class _Answer:
    """httptools' callbacks, collecting one response."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.headers_done = False
        self.chunks: list[bytes] = []
        self.complete = False
        self.keep_alive = False
        self.parser: httptools.HttpResponseParser | None = None

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_done = True
        # Asked here, as uvicorn does: once the message is complete the parser has moved on to the next.
        self.keep_alive = self.parser is not None and self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class PooledTransport(httpx.AsyncBaseTransport):
    """Kept-alive HTTP/1.1 connections, at most `max_connections` per origin, `max_idle` of them kept idle."""

    def __init__(self, *, max_connections: int = 100, max_idle: int = 50,
                 fallback: httpx.AsyncBaseTransport | None = None) -> None:
        self.max_connections = max_connections
        self.max_idle = max_idle
        self._pools: dict[tuple[str, int], _Pool] = {}
        self._fallback = fallback or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_idle))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "http" or request.method == "HEAD" or "proxy" in request.extensions:
            return await self._fallback.handle_async_request(request)
        timeouts = request.extensions.get("timeout", {})
        origin = (url.host, url.port or 80)
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = _Pool(asyncio.Semaphore(self.max_connections))
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                await pool.free.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no connection free in the pool", request=request) from None
        conn: _Connection | None = None
        try:
            body = await request.aread()
            conn = await self._connection(pool, origin, timeouts.get("connect"), request)
            try:
                async with asyncio.timeout(timeouts.get("write")):
                    conn.writer.write(_head(request) + body)
                    await conn.writer.drain()
            except TimeoutError:
                raise httpx.WriteTimeout("writing the request timed out", request=request) from None
            except OSError:
                raise _unsent(request) from None
            answer = _Answer()
            parser = answer.parser = httptools.HttpResponseParser(answer)
            await _read_until(conn, parser, answer, lambda: answer.headers_done, timeouts.get("read"), request)
        except BaseException:
            if conn is not None:
                conn.close()
            pool.free.release()
            raise
        return httpx.Response(
            parser.get_status_code(), headers=answer.headers,
            stream=_Body(self, pool, conn, parser, answer, timeouts.get("read"), request),
            extensions={"http_version": b"HTTP/1.1"}, request=request,
        )

    async def _connection(self, pool: _Pool, origin: tuple[str, int], timeout: float | None,
                          request: httpx.Request) -> _Connection:
        while pool.idle:
            conn = pool.idle.pop()
            if not conn.closed():
                return conn
            conn.close()
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(*origin, limit=_READ)
        except TimeoutError:
            raise httpx.ConnectTimeout("connecting timed out", request=request) from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or repr(exc), request=request) from None
        return _Connection(reader, writer)

    def _give_back(self, pool: _Pool, conn: _Connection, reusable: bool) -> None:
        if reusable and len(pool.idle) < self.max_idle and not conn.closed():
            pool.idle.append(conn)
        else:
            conn.close()
        pool.free.release()

    async def aclose(self) -> None:
        for pool in self._pools.values():
            while pool.idle:
                pool.idle.pop().close()
        await self._fallback.aclose()


class _Body(httpx.AsyncByteStream):
    """The answer's body as it arrives; its connection goes back to the pool once it was read whole."""

    def __init__(self, transport: PooledTransport, pool: _Pool, conn: _Connection, parser: httptools.HttpResponseParser,
                 answer: _Answer, timeout: float | None, request: httpx.Request) -> None:
        self._transport = transport
        self._pool = pool
        self._conn: _Connection | None = conn
        self._parser = parser
        self._answer = answer
        self._timeout = timeout
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        answer = self._answer
        while True:
            if answer.chunks:
                chunks, answer.chunks = answer.chunks, []
                for chunk in chunks:
                    yield chunk
            if answer.complete or self._conn is None:
                return
            await _read_until(self._conn, self._parser, answer, lambda: bool(answer.chunks) or answer.complete,
                              self._timeout, self._request)

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            reusable = self._answer.complete and not self._answer.chunks and self._answer.keep_alive
            self._transport._give_back(self._pool, conn, reusable)


def _head(request: httpx.Request) -> bytes:
    """The request line and headers; httpx has added Host and Content-Length."""
    lines = [request.method.encode(), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        lines += [name, b": ", value, b"\r\n"]
    lines.append(b"\r\n")
    return b"".join(lines)


async def _read_until(conn: _Connection, parser: httptools.HttpResponseParser, answer: _Answer,
                      done: Callable[[], bool], timeout: float | None, request: httpx.Request) -> None:
    """Feed the parser what the server sends until `done()`."""
    got_any = False
    while not done():
        try:
            async with asyncio.timeout(timeout):
                data = await conn.reader.read(_READ)
        except TimeoutError:
            raise httpx.ReadTimeout("reading the answer timed out", request=request) from None
        except OSError as exc:
            if not got_any and not answer.headers_done:
                raise _unsent(request) from None
            raise httpx.ReadError(str(exc) or repr(exc), request=request) from None
        if not data:
            if not got_any and not answer.headers_done:
                raise _unsent(request)
            if answer.headers_done and _ends_with_close(answer.headers):
                answer.complete = True  # an answer whose end is the connection's close; not kept alive
                return
            raise httpx.RemoteProtocolError("the server closed the connection mid-answer", request=request)
        got_any = True
        try:
            parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise httpx.RemoteProtocolError(f"unreadable answer: {exc}", request=request) from None


def _ends_with_close(headers: list[tuple[bytes, bytes]]) -> bool:
    """No length and not chunked: the body runs to the connection's end."""
    names = {name.lower() for name, _ in headers}
    return b"content-length" not in names and b"transfer-encoding" not in names


def _unsent(request: httpx.Request) -> httpx.TransportError:
    """Closed before any answer, as httpcore words it: most often a kept-alive connection the server
    closed while idle, under a request it never read, which a caller may send again if it is safe."""
    return httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
