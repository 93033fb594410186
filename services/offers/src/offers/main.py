"""Wiring of the offers service: the one place that knows every concrete piece."""

from functools import partial
from pathlib import Path

from contracts import OfferOpened, OfferUpdated, ProductUpdated, SchoolUpdated
from fastapi import FastAPI
from servicekit.runtime import build_app

from .adapters.unit_of_work import SqlUnitOfWork
from .entrypoints import crm, public, subscribers
from .entrypoints.problems import PROBLEMS
from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = build_app(
        name="offers",
        settings=settings,
        routers=[crm.router, public.public],
        subscribers=partial(subscribers.register, unit_of_work=SqlUnitOfWork.begin, joined_unit_of_work=SqlUnitOfWork),
        publishes=[OfferOpened, OfferUpdated, ProductUpdated, SchoolUpdated],
        problems=PROBLEMS,
        description="Products, offers (tariffs) and checkouts. Public: open an offer, checkout status.",
    )
    # The routes' use cases each run in one unit of work: its own transaction on the app's engine.
    app.state.unit_of_work = SqlUnitOfWork.begin
    return app
