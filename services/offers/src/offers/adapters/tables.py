from sqlalchemy import (
    Column, DateTime, ForeignKey, Index, Integer, MetaData, Numeric, Table, Text, func, text,
)
from sqlalchemy.dialects.postgresql import UUID
from servicekit.inbox import inbox_table
from servicekit.outbox import outbox_table

metadata = MetaData()

schools = Table(
    "schools",
    metadata,
    Column("account_id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("default_locale", Text, nullable=False, server_default=text("'en'")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

products = Table(
    "products",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("title", Text, nullable=False),
    Column("kind", Text, nullable=False, server_default=text("'course'")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("products_account", "account_id", "created_at"),
)

offers = Table(
    "offers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("title", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("discount", Numeric(18, 4), nullable=False, server_default=text("0")),
    Column("provider", Text, nullable=False, server_default=text("'sandbox'")),
    Column("status", Text, nullable=False, server_default=text("'active'")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("offers_account", "account_id", "created_at"),
)

offer_items = Table(
    "offer_items",
    metadata,
    Column("offer_id", UUID(as_uuid=True), ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("product_id", UUID(as_uuid=True), ForeignKey("products.id"), nullable=False),
    Column("price", Numeric(18, 4), nullable=False),
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

# A repeated POST with the same Idempotency-Key gets the checkout the first one made.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("checkout_id", UUID(as_uuid=True), ForeignKey("checkouts.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
