"""one record of Idempotency-Key requests for every service: manual orders' keys are copied into it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:30:00.000000
"""
import sqlalchemy as sa
from alembic import op
from servicekit.idempotency import idempotency_table

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    idempotency_table(sa.MetaData()).create(op.get_bind())
    # The old fingerprints hashed the body another way, so none would match a repeat now: the
    # keys come without one and give back their order to any repeat, as they would have before.
    op.execute("INSERT INTO idempotent_requests (scope, key, fingerprint, resource_id, created_at) "
               "SELECT account_id::text, key, NULL, order_id, created_at FROM idempotency_keys")
    # idempotency_keys stays, unread: this runs while the previous release still serves and
    # writes it. A later migration drops it once no replica of that release is left.


def downgrade() -> None:
    op.execute("INSERT INTO idempotency_keys (account_id, key, fingerprint, order_id, created_at) "
               "SELECT scope::uuid, key, coalesce(fingerprint, ''), resource_id, created_at FROM idempotent_requests "
               "ON CONFLICT DO NOTHING")
    op.drop_table('idempotent_requests')
