"""The gateway's routes, one module per upstream service: thin forwards."""

from fastapi import APIRouter

from . import catalog, notifications, orders, payments, public

ROUTERS: tuple[APIRouter, ...] = (
    public.public, catalog.router, orders.router, payments.router, notifications.router, public.pages,
)
