"""Wiring of the offers service: the one place that knows every concrete piece."""

from pathlib import Path

from contracts import OfferOpened, OfferUpdated, ProductUpdated, SchoolUpdated
from fastapi import FastAPI
from servicekit.runtime import build_app

from .entrypoints import crm, public, subscribers
from .entrypoints.problems import PROBLEMS
from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return build_app(
        name="offers",
        settings=settings,
        routers=[crm.router, public.public],
        subscribers=subscribers.register,
        publishes=[OfferOpened, OfferUpdated, ProductUpdated, SchoolUpdated],
        problems=PROBLEMS,
        description="Products, offers (tariffs) and checkouts. Public: open an offer, checkout status.",
    )
