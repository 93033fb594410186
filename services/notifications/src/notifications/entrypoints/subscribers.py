"""Kafka subscribers of the notifications service: thin, no rules."""

from contracts import (
    AccessChanged, OrderCreated, OrderUpdated, PaymentLinkIssued, PaymentSucceeded, ReminderRequested, SchoolUpdated,
)
from faststream.kafka import KafkaBroker
from servicekit.messaging import ConsumerGroup, JoinedUnitOfWork, UnitOfWorkFactory, consume
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import service

SERVICE = "notifications"


def register(
    broker: KafkaBroker, engine: AsyncEngine, group: ConsumerGroup, *, unit_of_work: UnitOfWorkFactory,
    joined_unit_of_work: JoinedUnitOfWork,
) -> None:
    # Each use case on a unit of work that claims the event in its transaction (or, in a batch,
    # one made on the batch's connection, its claim already made).
    consume(broker, {
        OrderCreated: service.on_order_created,
        OrderUpdated: service.on_order_updated,
        SchoolUpdated: service.on_school_updated,
        PaymentLinkIssued: service.on_payment_link_issued,
        PaymentSucceeded: service.on_payment_succeeded,
        ReminderRequested: service.on_reminder_requested,
        AccessChanged: service.on_access_changed,
    }, engine=engine, group=group, service=SERVICE, unit_of_work=unit_of_work,
       joined_unit_of_work=joined_unit_of_work)
