from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, MetaData, Numeric, Table,
    Text, UniqueConstraint, func, text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from servicekit.inbox import inbox_table
from servicekit.idempotency import idempotency_table
from servicekit.outbox import outbox_table
from servicekit.providers import providers_table

metadata = MetaData()

pipelines = Table(
    "pipelines",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # One default pipeline per school.
    Index("pipelines_one_default", "account_id", unique=True, postgresql_where=text("is_default")),
)

stages = Table(
    "stages",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("pipeline_id", UUID(as_uuid=True), ForeignKey("pipelines.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("on_full_payment", Boolean, nullable=False, server_default=text("false")),
    Column("on_cancel", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("pipeline_id", "position"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("email_key", Text, nullable=False),
    Column("phone", Text),
    Column("locale", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("account_id", "email_key"),
    Index("contacts_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
    Index("contacts_email_trgm", "email_key", postgresql_using="gin", postgresql_ops={"email_key": "gin_trgm_ops"}),
    Index("contacts_phone_trgm", "phone", postgresql_using="gin", postgresql_ops={"phone": "gin_trgm_ops"}),
    Index("contacts_account_name", "account_id", "name", "id"),
)

order_counters = Table(
    "order_counters",
    metadata,
    Column("account_id", UUID(as_uuid=True), primary_key=True),
    Column("last_number", Integer, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("number", Integer, nullable=False),
    Column("checkout_id", UUID(as_uuid=True), unique=True),
    Column("offer_id", UUID(as_uuid=True)),
    Column("contact_id", UUID(as_uuid=True), ForeignKey("contacts.id"), nullable=False),
    Column("pipeline_id", UUID(as_uuid=True), ForeignKey("pipelines.id"), nullable=False),
    Column("stage_id", UUID(as_uuid=True), ForeignKey("stages.id"), nullable=False),
    Column("type", Text, nullable=False, server_default=text("'regular'")),
    Column("source", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("subtotal", Numeric(18, 4), nullable=False),
    Column("discount", Numeric(18, 4), nullable=False),
    # The percent a manager gave, when it was one (`discount` is then its amount, following the
    # lines); NULL: the discount is the amount itself, and stays put when the lines change.
    Column("discount_percent", Numeric(7, 4)),
    Column("total", Numeric(18, 4), nullable=False),
    Column("paid", Numeric(18, 4), nullable=False, server_default=text("0")),
    Column("payment_status", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("paid_at", DateTime(timezone=True)),
    Column("status", Text, nullable=False, server_default=text("'active'")),
    Column("managers", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("tags", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("comment", Text),
    Column("refunded", Numeric(18, 4), nullable=False, server_default=text("0")),
    # The first money received: every access window hangs on it.
    Column("first_paid_at", DateTime(timezone=True)),
    # Overdue payments that close access until they are paid or cancelled.
    Column("access_holds", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'")),
    # What each holding payment's PaymentOverdue said (amount, currency, due_at), by payment id.
    Column("overdue_holds", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # Unpaid orders from offers expire counting from here once a manager reopened them.
    Column("reopened_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    UniqueConstraint("account_id", "number"),
    CheckConstraint("discount_percent IS NULL OR discount_percent BETWEEN 0 AND 100", name="orders_discount_percent"),
    Index("orders_account_created", "account_id", text("created_at DESC"), text("id DESC")),
    Index("orders_account_total", "account_id", "total", "id"),
    Index("orders_contact", "contact_id"),
    Index("orders_contact_offer", "contact_id", "offer_id"),
    Index("orders_managers", "managers", postgresql_using="gin"),
    Index("orders_tags", "tags", postgresql_using="gin"),
    Index("orders_unpaid_from_offers", "created_at",
          postgresql_where=text("status = 'active' AND payment_status = 'not_paid' AND source IN ('page', 'widget')")),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("product_id", UUID(as_uuid=True), nullable=False),
    Column("product_title", Text, nullable=False),
    Column("offer_id", UUID(as_uuid=True)),
    Column("offer_title", Text),
    Column("price", Numeric(18, 4), nullable=False),
    Column("access", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # Customised lines point at a system copy of their offer and no longer follow the original.
    Column("customised", Boolean, nullable=False, server_default=text("false")),
    Column("offer_version", Integer),
    # The window last announced with AccessChanged, to tell when it moved.
    Column("window_status", Text),
    Column("window_starts_at", DateTime(timezone=True)),
    Column("window_ends_at", DateTime(timezone=True)),
    # The overdue payment a suspended window was last announced with.
    Column("window_hold", UUID(as_uuid=True)),
    UniqueConstraint("order_id", "position"),
    Index("order_lines_offer", "offer_id", postgresql_where=text("NOT customised")),
    Index("order_lines_product", "product_id"),
)

# Each confirmed payment is counted once, whatever event announces it.
order_payments = Table(
    "order_payments",
    metadata,
    Column("payment_id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("amount", Numeric(18, 4), nullable=False),
    Column("paid_at", DateTime(timezone=True), nullable=False),
    # Every load of an order lists the payments it counted (adapters.orders._SELECT).
    Index("order_payments_order", "order_id"),
)

order_history = Table(
    "order_history",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Index("order_history_order", "order_id", "id"),
)

# Each school's products as offers announces them (ProductUpdated): what a manual line may sell.
catalog_products = Table(
    "catalog_products",
    metadata,
    Column("product_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("title", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("modules", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("defaults", JSONB),  # the course defaults; null until announced with them
    # When offers said so: a late copy of an older state never overwrites a newer one.
    Column("announced_at", DateTime(timezone=True), nullable=False),
)

# The school as the other services describe it, and its own CRM settings.
schools = Table(
    "schools",
    metadata,
    Column("account_id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text),
    Column("locale", Text),
    Column("unpaid_expiry_days", Integer),
    # ISO 3166 alpha-2; phones typed without a country code are read as national numbers of it.
    Column("phone_region", Text),
    # An IANA zone, as SchoolUpdated named it; dates typed without an offset are read in it.
    Column("time_zone", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A repeated POST /orders under the same Idempotency-Key gets the order the first one made.
idempotent_requests = idempotency_table(metadata)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
# What payments announced: the providers each school can sell through (servicekit.providers).
payment_providers = providers_table(metadata)
