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
    # Use cases on the unit of work: each in one that claims the event in its transaction.
    consume(broker, {
        OrderCreated: service.on_order_created,
        PaymentLinkIssued: service.on_payment_link_issued,
        OfferCopyRequested: service.on_offer_copy_requested,
    }, engine=engine, group=group, service=SERVICE, unit_of_work=unit_of_work,
       joined_unit_of_work=joined_unit_of_work)
    # The school's payment providers, kept by servicekit's handler that orders shares: on a bare
    # connection, the inbox claim made in its transaction.
    consume(broker, {
        PaymentProvidersUpdated: on_providers_updated,
    }, engine=engine, group=group, service=SERVICE)
