"""the offers' own Idempotency-Key table goes: idempotent_requests has held the keys since 0009

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:10:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nothing reads or writes it since 0009; the release that did is older than the one serving
    # while this runs, so no replica of it is left to miss it.
    op.drop_table('idempotency_keys')


def downgrade() -> None:
    # Empty, as 0002 and 0003 left it; going below 0009 copies the keys back into it.
    op.create_table('idempotency_keys',
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.Text(), nullable=False),
    sa.Column('checkout_id', sa.UUID(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('resource_id', sa.UUID(), nullable=True),
    sa.ForeignKeyConstraint(['checkout_id'], ['checkouts.id'], ),
    sa.PrimaryKeyConstraint('scope', 'key')
    )
