"""A caller that gives up before its request is read costs no traceback: under load every timeout
would otherwise log one, and an overloaded process would spend its CPU on logging."""

import logging

from fastapi import FastAPI, Request
from servicekit.http import install_problem_handlers


async def test_a_request_abandoned_before_it_was_read_is_answered_without_an_error_logged(caplog) -> None:
    app = FastAPI()

    @app.post("/things")
    async def things(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    install_problem_handlers(app)
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.disconnect"}  # the caller's timeout: gone before its body came

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "path": "/things", "raw_path": b"/things", "query_string": b"", "headers": [], "scheme": "http",
             "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000), "root_path": "", "app": app}
    with caplog.at_level(logging.ERROR):
        await app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text

