"""Wiring of the payments service: the one place that knows every concrete piece."""

from functools import partial
from pathlib import Path

from contracts import PaymentLinkIssued, PaymentSucceeded
from fastapi import FastAPI
from servicekit.runtime import build_app

from .adapters import sandbox
from .entrypoints import http, subscribers
from .service import Providers
from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def providers_from(settings: Settings) -> Providers:
    # Stripe and WayForPay join here, each behind the same PaymentProvider port.
    return {sandbox.NAME: sandbox.SandboxProvider(settings.public_base_url)}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app(
        name="payments",
        settings=settings,
        routers=[http.crm, http.sandbox],
        subscribers=partial(subscribers.register, providers=providers_from(settings)),
        publishes=[PaymentLinkIssued, PaymentSucceeded],
        description="Payments of orders, their links and the providers' confirmations. Public: sandbox payment page.",
    )
