"""Kafka subscribers of the orders service: thin, no rules."""

from contracts import (
    NotificationFailed, NotificationSent, OfferOpened, OfferUpdated, PaymentCancelled, PaymentFailed,
    PaymentLinkIssued, PaymentOverdue, PaymentProvidersUpdated, PaymentRefunded, PaymentSucceeded, ProductUpdated,
    SchoolUpdated,
)
from faststream.kafka import KafkaBroker
from servicekit.messaging import ConsumerGroup, JoinedUnitOfWork, UnitOfWorkFactory, consume
from servicekit.providers import on_providers_updated
from sqlalchemy.ext.asyncio import AsyncEngine

from ..service import catalog, intake, notifications, payments

SERVICE = "orders"


def register(
    broker: KafkaBroker, engine: AsyncEngine, group: ConsumerGroup, *, unit_of_work: UnitOfWorkFactory,
    joined_unit_of_work: JoinedUnitOfWork,
) -> None:
    # Use cases on the unit of work: each in one that records the event in its inbox in its transaction.
    consume(broker, {
        OfferOpened: intake.open_order_from_offer,
        OfferUpdated: catalog.follow_offer,
        SchoolUpdated: catalog.describe_school,
        ProductUpdated: catalog.keep_product,
        PaymentSucceeded: payments.count_payment,
        PaymentFailed: payments.note_failed_payment,
        PaymentOverdue: payments.hold_access_for_overdue,
        PaymentCancelled: payments.drop_cancelled_payment,
        PaymentRefunded: payments.count_refund,
        PaymentLinkIssued: payments.note_payment_link,
        NotificationSent: notifications.note_email_sent,
        NotificationFailed: notifications.note_email_failed,
    }, engine=engine, group=group, service=SERVICE, unit_of_work=unit_of_work,
       joined_unit_of_work=joined_unit_of_work)
    # The school's payment providers, kept by servicekit's handler that offers shares: on a bare
    # connection, the inbox record made in its transaction.
    consume(broker, {
        PaymentProvidersUpdated: on_providers_updated,
    }, engine=engine, group=group, service=SERVICE)
