"""Wiring of the orders service: the one place that knows every concrete piece."""

from functools import partial
from pathlib import Path

from contracts import AccessChanged, OfferCopyRequested, OrderCreated, OrderUpdated
from fastapi import FastAPI
from servicekit.runtime import build_app

from .adapters.unit_of_work import SqlUnitOfWork
from .entrypoints import http, http_crm, subscribers
from .entrypoints.problems import PROBLEMS
from .workers import clock
from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = build_app(
        name="orders",
        settings=settings,
        routers=[http.router, http_crm.router],
        problems=PROBLEMS,
        subscribers=partial(subscribers.register, unit_of_work=SqlUnitOfWork.begin, joined_unit_of_work=SqlUnitOfWork),
        publishes=[OrderCreated, OrderUpdated, AccessChanged, OfferCopyRequested],
        workers=[clock.ClockWorker],
        description="Contacts, orders, pipelines and order history.",
    )
    # The routes' use cases each run in one unit of work: its own transaction on the app's engine.
    app.state.unit_of_work = SqlUnitOfWork.begin
    return app
