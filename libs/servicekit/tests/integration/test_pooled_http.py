"""The pooled transport against a real uvicorn server over real sockets: the same answers as
httpx's own transport, connections kept and reused, servers that close them, and httpx's errors
for a full pool, a refused connection and a slow answer."""

import asyncio
import socket

import httpx
import pytest
from servicekit.pooled_http import PooledTransport
from servicekit.testing import serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

PEERS: list[int] = []  # the client port of each request the app saw: one per connection used


async def echo(request: Request) -> Response:
    PEERS.append(request.client.port if request.client else 0)
    body = await request.body()
    return JSONResponse({"method": request.method, "path": request.url.path, "query": request.url.query,
                         "body": body.decode(), "headers": {k: v for k, v in request.headers.items()
                                                            if k in ("content-type", "x-thing", "content-length")}},
                        status_code=int(request.query_params.get("status", 200)),
                        headers={"etag": '"v1"', "x-many": "a"})


async def chunks(request: Request) -> StreamingResponse:
    async def parts():
        for n in range(50):
            yield f"line {n}\n".encode() * 100
            await asyncio.sleep(0)
    return StreamingResponse(parts(), media_type="text/plain")


async def empty(request: Request) -> Response:
    return Response(status_code=204)


async def slow(request: Request) -> Response:
    await asyncio.sleep(float(request.query_params.get("s", "1")))
    return Response(b"late")


APP = Starlette(routes=[Route("/echo/{rest:path}", echo, methods=["GET", "POST", "PATCH", "DELETE", "PUT"]),
                        Route("/chunks", chunks), Route("/empty", empty, methods=["DELETE"]), Route("/slow", slow)])


@pytest.fixture
async def base():
    async with serving(APP) as url:
        yield url


async def both(base: str, method: str, path: str, **kwargs) -> tuple[httpx.Response, httpx.Response]:
    async with httpx.AsyncClient(base_url=base, transport=PooledTransport()) as ours, \
            httpx.AsyncClient(base_url=base) as theirs:
        return await ours.request(method, path, **kwargs), await theirs.request(method, path, **kwargs)


def _same(a: httpx.Response, b: httpx.Response) -> None:
    assert (a.status_code, a.content) == (b.status_code, b.content)
    dropped = {"date"}
    assert [(k, v) for k, v in a.headers.multi_items() if k not in dropped] == \
        [(k, v) for k, v in b.headers.multi_items() if k not in dropped]


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("GET", "/echo/a/b", {"params": {"q": "x y", "n": "1"}}),
    ("GET", "/echo/%C3%A4%2Fslash", {}),
    ("POST", "/echo/json", {"json": {"name": "Ann", "email": "ann@example.com"}, "headers": {"x-thing": "1"}}),
    ("POST", "/echo/form", {"data": {"a": "1", "b": "ü"}}),
    ("POST", "/echo/empty", {}),
    ("PATCH", "/echo/big", {"content": b"x" * 300_000, "headers": {"content-type": "application/octet-stream"}}),
    ("DELETE", "/echo/gone", {}),
    ("GET", "/echo/missing", {"params": {"status": "404"}}),
    ("DELETE", "/empty", {}),
    ("GET", "/chunks", {}),
])
async def test_the_same_answers_as_httpx_own_transport(base, method, path, kwargs):
    ours, theirs = await both(base, method, path, **kwargs)
    _same(ours, theirs)


async def test_a_streamed_answer_arrives_in_parts_and_whole(base):
    async with httpx.AsyncClient(base_url=base, transport=PooledTransport()) as client:
        async with client.stream("GET", "/chunks") as answer:
            parts = [part async for part in answer.aiter_raw()]
        assert len(parts) > 1
        assert b"".join(parts) == b"".join(f"line {n}\n".encode() * 100 for n in range(50))
        assert (await client.get("/echo/after")).status_code == 200  # the connection went back whole


async def test_one_connection_serves_requests_one_after_another(base):
    PEERS.clear()
    async with httpx.AsyncClient(base_url=base, transport=PooledTransport()) as client:
        for n in range(20):
            assert (await client.post("/echo/x", json={"n": n})).json()["body"] == f'{{"n":{n}}}'
    assert len(PEERS) == 20 and len(set(PEERS)) == 1


async def test_concurrent_requests_open_connections_and_keep_at_most_max_idle(base):
    PEERS.clear()
    transport = PooledTransport(max_connections=10, max_idle=3)
    async with httpx.AsyncClient(base_url=base, transport=transport) as client:
        await asyncio.gather(*(client.get("/echo/c") for _ in range(10)))
        assert len(set(PEERS)) == 10
        assert len(next(iter(transport._pools.values())).idle) == 3
        PEERS.clear()
        await asyncio.gather(*(client.get("/echo/c") for _ in range(3)))
        assert len(set(PEERS)) <= 3


async def test_a_connection_the_server_closed_while_idle_is_replaced():
    async with serving(APP, timeout_keep_alive=0.2) as url:
        PEERS.clear()
        async with httpx.AsyncClient(base_url=url, transport=PooledTransport()) as client:
            assert (await client.get("/echo/1")).status_code == 200
            await asyncio.sleep(0.6)  # the server closes the kept-alive connection meanwhile
            assert (await client.get("/echo/2")).status_code == 200
        assert len(set(PEERS)) == 2


async def test_a_full_pool_is_a_pool_timeout(base):
    async with httpx.AsyncClient(base_url=base, transport=PooledTransport(max_connections=2),
                                 timeout=httpx.Timeout(5, pool=0.1)) as client:
        slow = [asyncio.create_task(client.get("/slow", params={"s": "0.5"})) for _ in range(2)]
        await asyncio.sleep(0.1)
        with pytest.raises(httpx.PoolTimeout):
            await client.get("/echo/third")
        assert [t.status_code for t in await asyncio.gather(*slow)] == [200, 200]
        assert (await client.get("/echo/now")).status_code == 200  # the slots came back


async def test_a_slow_answer_is_a_read_timeout_and_its_connection_is_not_kept(base):
    transport = PooledTransport()
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=httpx.Timeout(0.2)) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/slow", params={"s": "1"})
        assert next(iter(transport._pools.values())).idle == []
        assert (await client.get("/echo/next")).status_code == 200


async def test_nobody_listening_is_a_connect_error():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    async with httpx.AsyncClient(transport=PooledTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")


async def _closing_server(answer: bytes) -> tuple[asyncio.Server, str]:
    """A server that reads a request, then sends `answer` (maybe nothing) and closes."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_a_server_closing_without_an_answer_or_mid_answer_is_an_error():
    for answer, error in [(b"", httpx.RemoteProtocolError),
                          (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", httpx.RemoteProtocolError),
                          (b"garbage\r\n\r\n", httpx.RemoteProtocolError)]:
        server, url = await _closing_server(answer)
        async with server, httpx.AsyncClient(transport=PooledTransport()) as client:
            with pytest.raises(error):
                await client.get(url + "/")


async def test_an_answer_that_ends_with_the_connection_is_read_whole():
    server, url = await _closing_server(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end")
    async with server, httpx.AsyncClient(transport=PooledTransport()) as client:
        answer = await client.get(url + "/")
    assert answer.content == b"until the end"


async def test_a_kept_alive_connection_closed_under_a_request_is_a_remote_protocol_error():
    """What the gateway sends again for a GET: the server had closed the idle connection, and the
    request never reached it."""
    served = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        await reader.readuntil(b"\r\n\r\n")
        served += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")  # the next request arrives, and the server goes away unanswering
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server, httpx.AsyncClient(transport=PooledTransport()) as client:
        assert (await client.get(url + "/")).content == b"ok"
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(url + "/")
        assert (await client.get(url + "/")).content == b"ok"  # on a new connection
    assert served == 2
