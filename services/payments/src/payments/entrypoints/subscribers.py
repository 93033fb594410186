"""Kafka subscribers of the payments service: thin, no rules."""

from contracts import OrderCreated
from faststream.kafka import KafkaBroker
from servicekit.messaging import subscribe
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .. import service
from ..service import Providers

SERVICE = "payments"


def register(broker: KafkaBroker, engine: AsyncEngine, group: str, *, providers: Providers) -> None:
    async def on_order_created(conn: AsyncConnection, event: OrderCreated) -> None:
        await service.create_order_payments(conn, event, providers)

    subscribe(broker, OrderCreated, on_order_created, engine=engine, group_id=group, service=SERVICE)
