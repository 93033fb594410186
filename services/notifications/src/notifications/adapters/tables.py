from sqlalchemy import (
    CheckConstraint, Column, DateTime, Index, Integer, MetaData, Numeric, Table, Text, UniqueConstraint, func, text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from servicekit.inbox import inbox_table
from servicekit.outbox import outbox_table

metadata = MetaData()

# Filled from OrderCreated: enough to address and word an email, nothing more.
order_recipients = Table(
    "order_recipients",
    metadata,
    Column("order_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("order_number", Integer, nullable=False),
    Column("school_name", Text, nullable=False),
    Column("contact_name", Text, nullable=False),
    Column("contact_email", Text, nullable=False),
    Column("locale", Text),
    Column("currency", Text, nullable=False),
    Column("total", Numeric(18, 4), nullable=False),
    Column("products", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("order_id", UUID(as_uuid=True), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("template", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("locale", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    CheckConstraint("status IN ('pending', 'sent', 'failed')", name="deliveries_status"),
    # One email per event, template and address, however often the event is delivered.
    UniqueConstraint("event_id", "template", "recipient", name="deliveries_once"),
    Index("deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    Index("deliveries_order", "account_id", "order_id", "created_at"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
