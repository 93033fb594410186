"""Wiring of the notifications service: the one place that knows every concrete piece."""

from functools import partial
from pathlib import Path

from contracts import NotificationFailed, NotificationSent
from fastapi import FastAPI
from servicekit.runtime import build_app

from .adapters.unit_of_work import SqlUnitOfWork
from .domain import zones
from .entrypoints import http, subscribers
from .entrypoints.problems import PROBLEMS
from .workers import sender
from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    zones.use_default(settings.default_time_zone)
    app = build_app(
        name="notifications",
        settings=settings,
        routers=[http.crm],
        subscribers=partial(subscribers.register, unit_of_work=SqlUnitOfWork.begin, joined_unit_of_work=SqlUnitOfWork),
        publishes=[NotificationSent, NotificationFailed],
        workers=[sender.email_sender],
        problems=PROBLEMS,
        description=(
            "Emails about orders (payment links, reminders, receipts, access, confirmations) in the contact's "
            "language, each sent once; the delivery log; schools' own templates."
        ),
    )
    # The routes' use cases each run in one unit of work: its own transaction on the app's engine.
    app.state.unit_of_work = SqlUnitOfWork.begin
    return app
