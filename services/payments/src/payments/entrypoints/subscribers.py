"""Kafka subscribers of the payments service: thin, no rules."""

from contracts import OrderCreated, OrderUpdated
from faststream.kafka import KafkaBroker
from servicekit.messaging import ConsumerGroup, JoinedUnitOfWork, UnitOfWorkFactory, consume
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service
from ..service import Providers, UnitOfWork

SERVICE = "payments"


def register(
    broker: KafkaBroker, engine: AsyncEngine, group: ConsumerGroup, *, providers: Providers,
    unit_of_work: UnitOfWorkFactory, joined_unit_of_work: JoinedUnitOfWork,
) -> None:
    # Each use case on a unit of work that claims the event in its transaction.
    async def on_order_created(uow: UnitOfWork, event: OrderCreated) -> None:
        await service.create_order_payments(uow, event, providers)

    async def on_order_updated(uow: UnitOfWork, event: OrderUpdated) -> None:
        await service.apply_order_update(uow, event)

    consume(
        broker, {OrderCreated: on_order_created, OrderUpdated: on_order_updated},
        engine=engine, group=group, service=SERVICE, unit_of_work=unit_of_work,
        joined_unit_of_work=joined_unit_of_work,
    )
