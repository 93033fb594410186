"""Kafka subscribers of the offers service: thin, no rules."""

from contracts import OfferCopyRequested, OrderCreated, PaymentLinkIssued, PaymentProvidersUpdated
from faststream.kafka import KafkaBroker
from servicekit.messaging import ConsumerGroup, JoinedUnitOfWork, UnitOfWorkFactory, consume
from servicekit.providers import on_providers_updated
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service

SERVICE = "offers"


def register(
    broker: KafkaBroker, engine: AsyncEngine, group: ConsumerGroup, *, unit_of_work: UnitOfWorkFactory,
    joined_unit_of_work: JoinedUnitOfWork,
) -> None:
    consume(broker, {
        OrderCreated: service.on_order_created,
        PaymentLinkIssued: service.on_payment_link_issued,
        OfferCopyRequested: service.on_offer_copy_requested,
        PaymentProvidersUpdated: on_providers_updated,
    }, engine=engine, group=group, service=SERVICE)
