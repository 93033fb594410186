"""one record of Idempotency-Key requests for every service: the payments' keys are copied into it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:30:00.000000
"""
import sqlalchemy as sa
from alembic import op
from servicekit.idempotency import idempotency_table

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    idempotency_table(sa.MetaData()).create(op.get_bind())
    # No request body was kept, so the carried keys have no fingerprint: they give back their
    # payment to any repeat, as the route did then for one of the same amount and type.
    op.execute("INSERT INTO idempotent_requests (scope, key, fingerprint, resource_id, created_at) "
               "SELECT account_id::text, idempotency_key, NULL, id, created_at FROM payments "
               "WHERE idempotency_key IS NOT NULL")
    # payments.idempotency_key and its index stay, unread: this runs while the previous release
    # still serves, and it names the column in every read and write of a payment. A later
    # migration drops them once no replica of that release is left.


def downgrade() -> None:
    op.execute("""
        UPDATE payments p SET idempotency_key = r.key FROM idempotent_requests r
        WHERE r.resource_id = p.id AND r.scope = p.account_id::text AND p.idempotency_key IS NULL
          AND NOT EXISTS (SELECT 1 FROM payments q WHERE q.account_id = p.account_id AND q.idempotency_key = r.key)
    """)
    op.drop_table('idempotent_requests')
