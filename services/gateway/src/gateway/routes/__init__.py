"""The gateway's routes, one module per upstream service: thin forwards."""

from fastapi import APIRouter

from ..contract import Upstream
from . import catalog, notifications, orders, payments, public

ROUTERS: tuple[APIRouter, ...] = (
    public.public, catalog.router, orders.router, payments.router, notifications.router, public.pages,
)

# Where each router's operations go, by its tag: the public contract takes each operation's
# parameters, body and answers from the service route it forwards to (gateway.contract).
UPSTREAMS: dict[str, Upstream] = {
    "public": Upstream("offers", "/public/v1", "/public", crm=False),
    "catalog": Upstream("offers", "/api/v1"),
    "orders": Upstream("orders", "/api/v1"),
    "payments": Upstream("payments", "/api/v1"),
    "notifications": Upstream("notifications", "/api/v1"),
}
