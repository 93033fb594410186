"""Wiring of the gateway: settings, upstream clients, routes."""

import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from servicekit.api import install_problem_schema
from servicekit.caller import ProofSigner
from servicekit.http import install_problem_handlers, install_request_context
from servicekit.inputs import install_input_rules
from servicekit.logging import configure_logging
from servicekit.shedding import install_load_shedding

from . import health
from .auth import TokenVerifier
from .contract import install_public_contract
from .proofs import CachedProofs
from .proxy import Upstreams
from .ratelimit import RateLimiter, parse_networks
from .routes import ROUTERS, console
from .settings import DEV_SECRET, Settings


def create_app(
    settings: Settings | None = None, transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> FastAPI:
    """`transports` replaces the network to a service (tests run services in-process)."""
    settings = settings or Settings()
    urls = {"offers": settings.offers_url, "orders": settings.orders_url, "payments": settings.payments_url,
            "notifications": settings.notifications_url}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging("gateway", settings.log_level, as_json=settings.log_json)
        app.state.upstreams = Upstreams(urls, settings.upstream_timeout, transports,
                                        max_connections=settings.upstream_max_connections,
                                        pool_timeout=settings.upstream_pool_timeout)
        try:
            yield
        finally:
            await app.state.upstreams.close()

    app = FastAPI(
        title="Orders CRM API",
        version="0.1.0",
        description="The CRM API (`/api/v1`, bearer token naming account, user and role) and the public API "
                    "(`/public/v1`: open an offer, checkout status). Errors are RFC 9457 problem details.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    check_jwt_secret(settings)
    if not settings.signing_key.strip():
        raise ValueError("GATEWAY_SIGNING_KEY is not set: the services accept no call the gateway has not signed "
                         "(make a key pair with `python -m gateway.keys`)")
    app.state.proof_signer = CachedProofs(ProofSigner(settings.signing_key))
    app.state.token_verifier = TokenVerifier(settings)
    app.state.public_limiter = RateLimiter(settings.public_rate_per_minute)
    app.state.trusted_proxies = parse_networks(settings.trusted_proxies)
    install_problem_handlers(app)
    install_input_rules(app)
    install_request_context(app, "gateway")
    app.include_router(health.router)
    for router in ROUTERS:
        app.include_router(router)
    if console.demo_enabled(settings):
        console.demo_account(settings)  # a wrong id stops the start, not the first sign-in
        app.include_router(console.demo)  # before the console's files, whose names it would shadow
    app.include_router(console.pages)
    install_load_shedding(app, "gateway", settings.max_in_flight)
    install_problem_schema(app)
    install_public_contract(app)
    return app


# Values that are someone's example, not a secret: the development default and the placeholders
# of the deployment files.
KNOWN_SECRETS = {DEV_SECRET, "local-development-secret-change-me"}


def check_jwt_secret(settings: Settings) -> None:
    """Refuse to start on a secret anyone could know: empty, short, a placeholder or the development one."""
    secret = settings.jwt_secret
    if settings.development and secret == DEV_SECRET:
        return
    if len(secret) < 32 or secret in KNOWN_SECRETS or secret.lower().startswith("change-me"):
        raise ValueError("GATEWAY_JWT_SECRET must be a secret of your own of at least 32 characters "
                         "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))'); "
                         "the development secret is taken only with GATEWAY_DEVELOPMENT=true")
