"""overdue payments holding access (what to tell the contact), the hold each line last announced,
reopened orders, and the school's phone region

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('orders', sa.Column('overdue_holds', postgresql.JSONB(astext_type=sa.Text()),
                                      server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.add_column('orders', sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('order_lines', sa.Column('window_hold', sa.UUID(), nullable=True))
    op.add_column('schools', sa.Column('phone_region', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('schools', 'phone_region')
    op.drop_column('order_lines', 'window_hold')
    op.drop_column('orders', 'reopened_at')
    op.drop_column('orders', 'overdue_holds')
