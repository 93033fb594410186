"""Wiring of the offers service: the one place that knows every concrete piece."""

from pathlib import Path

from contracts import OfferOpened
from fastapi import FastAPI
from servicekit.runtime import build_app

from .entrypoints import http, subscribers
from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        name="offers",
        settings=settings or Settings(),
        routers=[http.crm, http.public],
        subscribers=subscribers.register,
        publishes=[OfferOpened],
        description="Products, offers (tariffs) and checkouts. Public: open an offer, checkout status.",
    )
