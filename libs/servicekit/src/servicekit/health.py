"""Liveness, readiness, metrics and the AsyncAPI document of a service."""

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from . import asyncapi as spec
from .metrics import REGISTRY

router = APIRouter(tags=["operations"])


@router.get("/health", summary="The process is alive")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="Database and broker are reachable, and the broker has the service's topics")
async def ready(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with request.app.state.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 2)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"down: {type(exc).__name__}"
    broker = request.app.state.broker
    checks["broker"] = "ok" if await broker.ping(timeout=2) else "down"
    if checks["broker"] == "ok":
        # A broker that restarted empty answers pings; without our topics nothing flows.
        try:
            missing = await asyncio.wait_for(request.app.state.topics.missing(), 5)
            checks["topics"] = f"missing: {', '.join(missing)}" if missing else "ok"
        except Exception as exc:
            checks["topics"] = f"unknown: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/asyncapi.json", summary="AsyncAPI document of the events this service consumes and publishes")
async def asyncapi(request: Request) -> Response:
    # Typed from the declared events: FastStream alone sees the consumers' payloads as bytes.
    doc = spec.document(request.app.state.broker, title=request.app.title, version=request.app.version)
    return JSONResponse(doc)
