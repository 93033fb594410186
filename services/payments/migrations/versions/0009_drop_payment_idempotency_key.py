"""payments.idempotency_key and its unique index go: idempotent_requests has held the keys since 0007

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:10:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nothing reads or writes the column since 0007, and every payment made since has it NULL,
    # so its unique index guards nothing: idempotent_requests' primary key (scope, key) keeps a
    # key to one payment. The release that named the column is older than the one serving while
    # this runs, so no replica of it is left to miss it.
    op.drop_index('payments_account_idempotency', table_name='payments')
    op.drop_column('payments', 'idempotency_key')


def downgrade() -> None:
    # Empty, as 0002 made it; going below 0007 copies the keys back into it.
    op.add_column('payments', sa.Column('idempotency_key', sa.Text(), nullable=True))
    op.create_index('payments_account_idempotency', 'payments', ['account_id', 'idempotency_key'], unique=True,
                    postgresql_where=sa.text('idempotency_key IS NOT NULL'))
