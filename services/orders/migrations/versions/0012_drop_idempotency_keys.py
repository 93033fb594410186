"""the manual orders' own Idempotency-Key table goes: idempotent_requests has held the keys since 0010

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:10:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nothing reads or writes it since 0010; the release that did is older than the one serving
    # while this runs, so no replica of it is left to miss it.
    op.drop_table('idempotency_keys')


def downgrade() -> None:
    # Empty, as 0002 made it; going below 0010 copies the keys back into it.
    op.create_table('idempotency_keys',
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.Text(), nullable=False),
    sa.Column('order_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'key')
    )
