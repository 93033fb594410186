"""Wiring of the orders service: the one place that knows every concrete piece."""

from pathlib import Path

from contracts import OrderCreated
from fastapi import FastAPI
from servicekit.runtime import build_app

from .entrypoints import http, subscribers
from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        name="orders",
        settings=settings or Settings(),
        routers=[http.router],
        subscribers=subscribers.register,
        publishes=[OrderCreated],
        description="Contacts, orders, pipelines and order history.",
    )
