"""Liveness, readiness (every service ready) and metrics of the gateway."""

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from servicekit.metrics import REGISTRY

router = APIRouter(tags=["operations"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    clients = request.app.state.upstreams.clients

    async def check(name: str) -> tuple[str, str]:
        try:
            response = await clients[name].get("/ready", timeout=3)
            return name, "ok" if response.status_code == 200 else f"not ready ({response.status_code})"
        except Exception as exc:
            return name, f"down: {type(exc).__name__}"

    checks = dict(await asyncio.gather(*(check(n) for n in clients)))
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
