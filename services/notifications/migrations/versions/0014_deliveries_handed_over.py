"""the handed-over deliveries found without reading the sent ones: a partial index for the settling

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:00:00.000000

Each pass of the sender first settles the deliveries handed to the mail server whose wait is over
(pending or cancelled ones with a handover time). No index covered that, so every pass read the
whole table, nearly all of it emails sent long ago. The index holds only the rows in flight.

Building it reads the whole table while new deliveries wait (the migration runs in one
transaction, under the lock that keeps replicas from migrating at once). On a large table build
it first without blocking, and this migration then finds it there:

    CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_handed_over ON deliveries (next_attempt_at)
        WHERE handed_over_at IS NOT NULL AND status IN ('pending', 'cancelled');
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('deliveries_handed_over', 'deliveries', ['next_attempt_at'], if_not_exists=True,
                    postgresql_where=sa.text("handed_over_at IS NOT NULL AND status IN ('pending', 'cancelled')"))


def downgrade() -> None:
    op.drop_index('deliveries_handed_over', table_name='deliveries')
