"""Wiring of the payments service: the one place that knows every concrete piece."""

from functools import partial
from pathlib import Path

from contracts import (
    PaymentCancelled, PaymentFailed, PaymentLinkIssued, PaymentOverdue, PaymentProvidersUpdated, PaymentRefunded,
    PaymentSucceeded, ReminderRequested,
)
from fastapi import FastAPI
from servicekit.listeners import split_listeners
from servicekit.runtime import build_app

from .adapters import sandbox, stripe_checkout, wayforpay
from .adapters.sealing import Sealer
from .adapters.unit_of_work import SqlUnitOfWork
from .domain.providers import PaymentProvider
from .entrypoints import http, subscribers, webhooks
from .entrypoints.problems import PROBLEMS
from .workers.due import PaymentsWorker
from .service import Providers
from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# What payers and providers reach, on the public listener only.
PUBLIC_PREFIXES = ("/webhooks", "/sandbox", "/thanks")


def providers_from(settings: Settings) -> Providers:
    """The registry: every provider by its name. Adding a provider is one entry here."""
    registered: list[PaymentProvider] = [
        stripe_checkout.StripeProvider(
            public_base_url=settings.public_base_url, api_base=settings.stripe_api_base,
            max_network_retries=settings.stripe_max_network_retries,
            webhook_tolerance_seconds=settings.stripe_webhook_tolerance_seconds,
        ),
        wayforpay.WayForPayProvider(
            public_base_url=settings.public_base_url, api_url=settings.wayforpay_api_url,
            order_timeout_seconds=settings.wayforpay_order_timeout_seconds,
            callback_max_age_seconds=settings.wayforpay_callback_max_age_seconds,
        ),
    ]
    # The sandbox exists only where the deployment turned it on: elsewhere it is an unknown provider.
    if settings.sandbox_enabled:
        registered.insert(0, sandbox.SandboxProvider(settings.public_base_url))
    return {provider.name: provider for provider in registered}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    providers = providers_from(settings)
    sealer = Sealer(settings.credentials_keys)
    # Every use case runs on a unit of work: one transaction, the schools' credentials opened with the sealer.
    unit_of_work = partial(SqlUnitOfWork.begin, sealer=sealer)
    joined_unit_of_work = partial(SqlUnitOfWork, sealer=sealer)

    def worker(engine, _settings, notices) -> PaymentsWorker:  # noqa: ANN001
        return PaymentsWorker(partial(unit_of_work, engine), providers, poll_interval=settings.worker_poll_seconds,
                              notices=notices)

    app = build_app(
        name="payments",
        settings=settings,
        # Without the sandbox, its pages do not exist: a 404, not a way to settle a payment.
        routers=[http.crm, *([http.sandbox] if settings.sandbox_enabled else []), http.thanks, webhooks.webhooks],
        subscribers=partial(subscribers.register, providers=providers, unit_of_work=unit_of_work,
                            joined_unit_of_work=joined_unit_of_work),
        publishes=[
            PaymentLinkIssued, PaymentSucceeded, PaymentFailed, PaymentOverdue, PaymentCancelled, PaymentRefunded,
            ReminderRequested, PaymentProvidersUpdated,
        ],
        workers=[worker] if settings.worker_enabled else [],
        problems=PROBLEMS,
        description="Payments of orders, their links and the providers' confirmations. "
                    "Public: provider webhooks, sandbox payment page.",
    )
    app.state.providers = providers
    http.install_provider_bodies(app, providers)
    webhooks.install_webhook_document(app, providers)
    app.state.sealer = sealer
    app.state.unit_of_work = unit_of_work
    if settings.public_http_port:
        split_listeners(app, public_port=settings.public_http_port, public_prefixes=PUBLIC_PREFIXES)
    return app
