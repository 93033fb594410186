"""one record of Idempotency-Key requests for every service: the offers' keys are copied into it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 16:30:00.000000
"""
import sqlalchemy as sa
from alembic import op
from servicekit.idempotency import idempotency_table

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    idempotency_table(sa.MetaData()).create(op.get_bind())
    # A CRM key is now the school's, whatever it created, so a key one school used for both a
    # product and an offer keeps the earlier. The old fingerprints hashed the body another way,
    # so none would match a repeat now: the keys come without one and give back what they made.
    op.execute("""
        INSERT INTO idempotent_requests (scope, key, fingerprint, resource_id, created_at)
        SELECT CASE WHEN scope LIKE 'open:%' THEN scope ELSE split_part(scope, ':', 2) END,
               key, NULL, coalesce(checkout_id, resource_id), created_at
        FROM idempotency_keys
        WHERE coalesce(checkout_id, resource_id) IS NOT NULL
        ORDER BY created_at
        ON CONFLICT (scope, key) DO NOTHING
    """)
    # idempotency_keys stays, unread: this runs while the previous release still serves and
    # writes it. A later migration drops it once no replica of that release is left.


def downgrade() -> None:
    op.execute("""
        INSERT INTO idempotency_keys (scope, key, fingerprint, checkout_id, resource_id, created_at)
        SELECT CASE WHEN r.scope LIKE 'open:%' THEN r.scope
                    WHEN EXISTS (SELECT 1 FROM products p WHERE p.id = r.resource_id) THEN 'product:' || r.scope
                    ELSE 'offer:' || r.scope END,
               r.key, coalesce(r.fingerprint, ''),
               CASE WHEN r.scope LIKE 'open:%' THEN r.resource_id END,
               CASE WHEN r.scope NOT LIKE 'open:%' THEN r.resource_id END,
               r.created_at
        FROM idempotent_requests r
        ON CONFLICT DO NOTHING
    """)
    op.drop_table('idempotent_requests')
