from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Column, DateTime, Index, Integer, MetaData, Numeric, Table, Text,
    UniqueConstraint, func, text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from servicekit.inbox import inbox_table
from servicekit.outbox import outbox_table

metadata = MetaData()

payments = Table(
    "payments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("order_id", UUID(as_uuid=True), nullable=False),
    Column("checkout_id", UUID(as_uuid=True)),
    Column("number", Integer, nullable=False),
    Column("type", Text, nullable=False, server_default=text("'regular'")),
    Column("status", Text, nullable=False, server_default=text("'unpaid'")),
    Column("amount", Numeric(18, 4), nullable=False),
    Column("currency", Text, nullable=False),
    Column("due_at", DateTime(timezone=True)),
    Column("method", Text, nullable=False, server_default=text("'cashless'")),
    Column("provider", Text, nullable=False),
    Column("link_url", Text),
    Column("link_expires_at", DateTime(timezone=True)),
    Column("provider_reference", Text),
    Column("closes_access", Boolean, nullable=False, server_default=text("false")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_failure", Text),
    Column("paid_at", DateTime(timezone=True)),
    # The purchase flow the payment was created in, so its confirmation is traced with it.
    Column("correlation_id", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The last line of defence under the domain's rules: a bad row can never be written.
    UniqueConstraint("order_id", "number", name="payments_order_number"),
    CheckConstraint("number >= 1", name="payments_number_positive"),
    CheckConstraint("amount >= 0", name="payments_amount_not_negative"),
    CheckConstraint("type IN ('regular', 'prepayment', 'surcharge')", name="payments_type_known"),
    CheckConstraint("status IN ('unpaid', 'paid', 'failed', 'cancelled', 'refunded')", name="payments_status_known"),
    CheckConstraint("method IN ('cashless', 'cash', 'bank_transfer', 'other')", name="payments_method_known"),
    Index("payments_account_order", "account_id", "order_id"),
)

# The providers' notifications as received; the unique key is what makes a replayed
# webhook change nothing.
provider_events = Table(
    "provider_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("provider", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("payment_id", UUID(as_uuid=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("provider", "event_id", name="provider_events_provider_event"),
    Index("provider_events_payment", "payment_id"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
