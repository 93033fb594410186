from sqlalchemy import (
    Boolean, CheckConstraint, Column, DateTime, Index, Integer, MetaData, Numeric, PrimaryKeyConstraint, Table, Text,
    UniqueConstraint, func, text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from servicekit.inbox import inbox_table
from servicekit.idempotency import idempotency_table
from servicekit.outbox import outbox_table

metadata = MetaData()

# Filled from OrderCreated, kept current by OrderUpdated: enough to address and word an email, nothing more.
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
    Column("contact_id", UUID(as_uuid=True)),
    Column("school_locale", Text),
    Column("order_version", Integer, nullable=False, server_default=text("0")),
    # active, cancelled or expired (OrderUpdated): a closed order gets no payment links or reminders.
    Column("status", Text, nullable=False, server_default=text("'active'")),
    Index("order_recipients_account_number", "account_id", "order_number"),
)

# A manual order's confirmation waiting for its first payment's link, to carry it (OrderCreated as sent).
held_confirmations = Table(
    "held_confirmations",
    metadata,
    Column("order_id", UUID(as_uuid=True), primary_key=True),
    Column("event", JSONB, nullable=False),
    Column("held_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Filled from SchoolUpdated: the school's current name and language.
schools = Table(
    "schools",
    metadata,
    Column("account_id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("default_locale", Text),
    Column("time_zone", Text),
    Column("reply_to", Text),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
)

# The last access state told per order line, so a contact hears of a change, not of every recalculation.
access_states = Table(
    "access_states",
    metadata,
    Column("order_id", UUID(as_uuid=True), nullable=False),
    Column("line_id", UUID(as_uuid=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("order_id", "line_id", name="access_states_pkey"),
)

# The latest link per payment (PaymentLinkIssued, ReminderRequested), so an email about an overdue
# payment that carries no link can still offer one.
payment_links = Table(
    "payment_links",
    metadata,
    Column("payment_id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("order_id", UUID(as_uuid=True), nullable=False),
    Column("url", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
)

# A school's own wording of a template in one locale.
template_overrides = Table(
    "template_overrides",
    metadata,
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("template", Text, nullable=False),
    Column("locale", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("account_id", "template", "locale", name="template_overrides_pkey"),
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
    Column("contact_id", UUID(as_uuid=True)),
    Column("correlation_id", UUID(as_uuid=True)),
    # A resend is a delivery of its own, pointing at the one whose message it repeats.
    Column("resend_of", UUID(as_uuid=True)),
    # Why a delivery was cancelled before it went out (order_cancelled, order_expired).
    Column("cancel_reason", Text),
    # Set, by the try named in `attempts`, just before the end of the message goes to the mail
    # server: from then on the server may own it, so no other try sends it blindly again.
    Column("handed_over_at", DateTime(timezone=True)),
    # The school the contact sees it from (the From display name) and where replies go, as they
    # were when it was rendered, so a resend repeats them.
    Column("sender_name", Text),
    Column("reply_to", Text),
    # The mail server refused this address or message for good (a 5xx), not merely out of tries:
    # a resend goes to that address only when asked to.
    Column("refused", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("status IN ('pending', 'sent', 'failed', 'cancelled')", name="deliveries_status"),
    # One email per event, template and address, however often the event is delivered.
    UniqueConstraint("event_id", "template", "recipient", name="deliveries_once"),
    Index("deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    # The handed-over rows a sender's pass settles (repository._settling): only those in flight, so
    # the pass never reads the sent ones, which are nearly the whole table.
    Index("deliveries_handed_over", "next_attempt_at",
          postgresql_where=text("handed_over_at IS NOT NULL AND status IN ('pending', 'cancelled')")),
    # The delivery logs, newest first, a page at a time (keyset on created_at, id).
    Index("deliveries_order", "account_id", "order_id", "created_at", "id"),
    Index("deliveries_contact", "account_id", "contact_id", "created_at", "id"),
)

# A repeated resend under the same Idempotency-Key gets the delivery the first one made.
idempotent_requests = idempotency_table(metadata)
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
