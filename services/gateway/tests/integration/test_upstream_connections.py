"""The gateway's pooled connections: a connection the service closed is retried only when that is safe.

The upstream is a real socket server that reads a request and then hangs up without answering,
as a service does when its kept-alive connection closes under a request that was just sent.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from gateway.auth import mint
from gateway.main import create_app
from gateway.settings import Settings
from localstack.ports import free_port
from servicekit.testing import running

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


class HangingUp:
    """Answers 200 to every request, except that the next `drops` requests get a closed socket."""

    def __init__(self) -> None:
        self.drops = 0
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                self.requests.append(head.split(b"\r\n", 1)[0])
                if self.drops:
                    self.drops -= 1
                    break
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
                             b'{"items": []}')
                await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def upstream() -> AsyncIterator[tuple[HangingUp, str]]:
    service = HangingUp()
    port = free_port()
    server = await asyncio.start_server(service.handle, "127.0.0.1", port)
    async with server:
        yield service, f"http://127.0.0.1:{port}"


def bearer() -> dict[str, str]:
    token = mint(SECRET, account_id=uuid.uuid4(), user_id="u1", role="owner", ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


async def test_a_read_is_sent_again_once_and_a_write_never():
    async with upstream() as (service, url):
        app = create_app(Settings(jwt_secret=SECRET, orders_url=url, log_json=False))
        async with running(app) as client:
            service.drops = 1
            read = await client.get("/api/v1/orders", headers=bearer())
            assert read.status_code == 200, read.text
            assert service.requests == [b"GET /orders HTTP/1.1"] * 2

            service.requests.clear()
            service.drops = 1
            write = await client.post("/api/v1/orders", json={}, headers=bearer())
            assert write.status_code == 503
            assert write.headers["content-type"] == "application/problem+json"
            assert service.requests == [b"POST /orders HTTP/1.1"]  # sent once: it may have been done

            service.requests.clear()
            service.drops = 2  # a read that fails twice is the service's trouble, told as such
            assert (await client.get("/api/v1/orders", headers=bearer())).status_code == 503
            assert len(service.requests) == 2
