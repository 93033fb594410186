"""a manual order's confirmation waiting for its first payment's link, to carry it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:20:00.000000
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'held_confirmations',
        sa.Column('order_id', sa.UUID(), nullable=False),
        sa.Column('event', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('held_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('order_id'),
    )


def downgrade() -> None:
    op.drop_table('held_confirmations')
