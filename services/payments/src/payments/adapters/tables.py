from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Column, DateTime, Index, Integer, MetaData, Numeric, Table, Text,
    UniqueConstraint, func, text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from servicekit.inbox import inbox_table
from servicekit.idempotency import idempotency_table
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
    Column("comment", Text),
    # Bumped whenever a fresh provider link is wanted: it names the provider's idempotency key.
    Column("link_generation", Integer, nullable=False, server_default=text("0")),
    Column("link_error", Text),
    Column("refunded_amount", Numeric(18, 4), nullable=False, server_default=text("0")),
    # Set once PaymentOverdue went out for the current planned date.
    Column("overdue_notified_at", DateTime(timezone=True)),
    # The team member (the gateway's user id) who recorded the money by hand; NULL when a provider did.
    Column("marked_by", Text),
    # A payment settled in several methods: [{"method", "amount", "reference"}], amounts as strings.
    Column("parts", JSONB),
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
    Index("payments_overdue_due", "due_at",
          postgresql_where=text("status = 'unpaid' AND overdue_notified_at IS NULL AND due_at IS NOT NULL")),
    Index("payments_provider_reference", "provider", "provider_reference"),
)

# What payments knows of an order: enough to add payments to it and to reach its contact.
order_states = Table(
    "order_states",
    metadata,
    Column("order_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("order_number", Integer, nullable=False),
    Column("school_name", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("contact", JSONB, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'active'")),
    Column("version", Integer, nullable=False, server_default=text("0")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("order_states_account_number", "account_id", "order_number"),
)

# A provider link that is wanted and not yet issued; the worker asks the provider outside any
# transaction and retries with backoff, so a crash or an outage only delays it.
link_requests = Table(
    "link_requests",
    metadata,
    Column("payment_id", UUID(as_uuid=True), primary_key=True),
    Column("purpose", Text, primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("send_email", Boolean, nullable=False, server_default=text("false")),
    Column("generation", Integer, nullable=False),
    Column("correlation_id", UUID(as_uuid=True), nullable=False),
    Column("causation_id", UUID(as_uuid=True)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("purpose IN ('link', 'reminder_manual', 'reminder_scheduled')", name="link_requests_purpose"),
    Index("link_requests_due", "next_attempt_at"),
)

# A school's credentials for one provider, sealed (AES-GCM, adapters/sealing.py): a dump of this
# table hands out no secret.
provider_accounts = Table(
    "provider_accounts",
    metadata,
    Column("account_id", UUID(as_uuid=True), primary_key=True),
    Column("provider", Text, primary_key=True),
    Column("settings", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

reminder_schedules = Table(
    "reminder_schedules",
    metadata,
    Column("account_id", UUID(as_uuid=True), primary_key=True),
    Column("offsets_hours", ARRAY(Integer), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# One row per reminder that is due at some point: the key makes each one go out once per
# planned date, whatever restarts or replicas do.
reminders = Table(
    "reminders",
    metadata,
    Column("payment_id", UUID(as_uuid=True), primary_key=True),
    Column("offset_hours", Integer, primary_key=True),
    Column("planned_at", DateTime(timezone=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("remind_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("done_at", DateTime(timezone=True)),
    CheckConstraint("status IN ('pending', 'sent', 'stopped')", name="reminders_status_known"),
    Index("reminders_pending_due", "remind_at", postgresql_where=text("status = 'pending'")),
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

# A repeated POST of a payment under the same Idempotency-Key gets the payment the first one made.
idempotent_requests = idempotency_table(metadata)
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
