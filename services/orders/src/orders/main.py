"""Wiring of the orders service: the one place that knows every concrete piece."""

from functools import partial
from pathlib import Path

from contracts import AccessChanged, OfferCopyRequested, OrderCreated, OrderUpdated
from fastapi import FastAPI
from servicekit.runtime import build_app

from .adapters.unit_of_work import SqlUnitOfWork, joined
from .entrypoints import http, http_crm, subscribers
from .entrypoints.problems import PROBLEMS
from .service import catalog, expiry, intake, notifications, payments
from .workers import clock
from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

# The consumers' and the clock's use cases on a connection whose transaction is already open, on
# the SQL unit of work: as a consumer applies an event (its inbox record made in that transaction;
# the tests and benches apply events so), and as the clock's passes run.
on_offer_opened = joined(intake.open_order_from_offer)
on_offer_updated = joined(catalog.follow_offer)
on_school_updated = joined(catalog.describe_school)
on_product_updated = joined(catalog.keep_product)
expire_unpaid = joined(expiry.expire_unpaid)
advance_windows = joined(expiry.advance_windows)
on_payment_succeeded = joined(payments.count_payment)
on_payment_refunded = joined(payments.count_refund)
on_payment_overdue = joined(payments.hold_access_for_overdue)
on_payment_cancelled = joined(payments.drop_cancelled_payment)
on_payment_failed = joined(payments.note_failed_payment)
on_payment_link_issued = joined(payments.note_payment_link)
on_notification_sent = joined(notifications.note_email_sent)
on_notification_failed = joined(notifications.note_email_failed)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = build_app(
        name="orders",
        settings=settings,
        routers=[http.router, http_crm.router],
        problems=PROBLEMS,
        subscribers=partial(subscribers.register, unit_of_work=SqlUnitOfWork.begin, joined_unit_of_work=SqlUnitOfWork),
        publishes=[OrderCreated, OrderUpdated, AccessChanged, OfferCopyRequested],
        workers=[partial(clock.ClockWorker, expire_unpaid=expire_unpaid, advance_windows=advance_windows)],
        description="Contacts, orders, pipelines and order history.",
    )
    # The routes' use cases each run in one unit of work: its own transaction on the app's engine.
    app.state.unit_of_work = SqlUnitOfWork.begin
    return app
