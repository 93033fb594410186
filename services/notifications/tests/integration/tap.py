"""A real TCP relay between the sender and a mail server that can hold the server's replies.

It stands in for the network, not for the server: every byte goes through unchanged, only
later. `delay` slows every reply of the server (a slow link); `hold` picks where the server's
replies stop until `release()`:

- `"greeting"`: from the start, so the sender is stuck connecting (after its claim);
- `"after-end"`: once the sender has sent the end of the message ("." alone on a line), so the
  server has the whole message and its answer has not reached the sender yet.

A sender that dies meanwhile closes its side; the relay then closes the server's, as the
network would, and a server that never saw the end of the message keeps nothing.
"""

import asyncio
import contextlib
from typing import Literal

END_OF_DATA = b"\r\n.\r\n"


class SmtpTap:
    def __init__(
        self, upstream_port: int, hold: Literal["greeting", "after-end"] | None = None, delay: float = 0.0
    ) -> None:
        self.upstream_port = upstream_port
        self.hold = hold
        self.delay = delay
        self.port = 0
        self.connections = 0
        self.datas_seen = 0
        self.ends_seen = 0
        self.replies_held = asyncio.Event()
        self._released = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> "SmtpTap":
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        await self._server.wait_closed()

    def release(self) -> None:
        self._released.set()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        state = {"ended": False}
        up = asyncio.create_task(self._pump_up(client_reader, server_writer, state))
        down = asyncio.create_task(self._pump_down(server_reader, client_writer, state))
        self._tasks.update((up, down))
        try:
            # Either side closing ends the relay, as a broken connection would.
            await asyncio.wait((up, down), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (up, down):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await task
                self._tasks.discard(task)
            for writer in (server_writer, client_writer):
                writer.close()

    async def _pump_up(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: dict) -> None:
        tail = b""
        while data := await reader.read(65536):
            seen = tail + data
            if seen.endswith(b"\nDATA\r\n") or data == b"DATA\r\n":
                self.datas_seen += 1
            if END_OF_DATA in seen:
                state["ended"] = True
                self.ends_seen += 1
            tail = seen[-4:]
            writer.write(data)
            await writer.drain()

    async def _pump_down(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: dict) -> None:
        while data := await reader.read(65536):
            await asyncio.sleep(self.delay)
            if self.hold == "greeting" or (self.hold == "after-end" and state["ended"]):
                self.replies_held.set()
                await self._released.wait()
            writer.write(data)
            await writer.drain()
