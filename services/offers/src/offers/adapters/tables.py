from sqlalchemy import (
    Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, Numeric, Table, Text, func, text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from servicekit.inbox import inbox_table
from servicekit.idempotency import idempotency_table
from servicekit.outbox import outbox_table
from servicekit.providers import providers_table

metadata = MetaData()

schools = Table(
    "schools",
    metadata,
    Column("account_id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("default_locale", Text, nullable=False, server_default=text("'en'")),
    Column("time_zone", Text),
    Column("reply_to", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

products = Table(
    "products",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("title", Text, nullable=False),
    Column("kind", Text, nullable=False, server_default=text("'course'")),
    # Ordered modules of ordered lessons: [{id, title, lessons: [{id, title}]}]; read whole, never queried inside.
    Column("modules", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("defaults", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("products_account", "account_id", "created_at"),
)

offers = Table(
    "offers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("title", Text, nullable=False),
    Column("currency", Text, nullable=False),
    # The discount as entered: an amount in the currency, or a percent (discount_kind).
    Column("discount", Numeric(18, 4), nullable=False, server_default=text("0")),
    Column("discount_kind", Text, nullable=False, server_default=text("'amount'")),
    Column("provider", Text, nullable=False, server_default=text("'sandbox'")),
    Column("status", Text, nullable=False, server_default=text("'active'")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("payment_plan", JSONB),  # NULL: one payment of the total
    Column("curators", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("is_system_copy", Boolean, nullable=False, server_default=text("false")),
    Column("source_offer_id", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("offers_account", "account_id", "created_at"),
)

# Every version of every offer as it was: what an order opened at version N was sold.
offer_versions = Table(
    "offer_versions",
    metadata,
    Column("offer_id", UUID(as_uuid=True), ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("snapshot", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

offer_items = Table(
    "offer_items",
    metadata,
    Column("offer_id", UUID(as_uuid=True), ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("product_id", UUID(as_uuid=True), ForeignKey("products.id"), nullable=False),
    Column("price", Numeric(18, 4), nullable=False),
    Column("access", JSONB, nullable=False, server_default=text("'{}'::jsonb")),  # AccessTerms
)

checkouts = Table(
    "checkouts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("offer_id", UUID(as_uuid=True), ForeignKey("offers.id"), nullable=False),
    Column("offer_version", Integer, nullable=False),
    Column("source", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("order_id", UUID(as_uuid=True)),
    Column("order_number", Integer),
    Column("payment_url", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A repeated POST with the same Idempotency-Key gets what the first one made: a checkout for a
# public open, a product or an offer for the CRM's creating requests.
idempotent_requests = idempotency_table(metadata)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
# What payments announced: the providers each school can sell through (servicekit.providers).
payment_providers = providers_table(metadata)
