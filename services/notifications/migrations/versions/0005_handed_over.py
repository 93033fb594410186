"""when a try handed a delivery's message over to the mail server

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('deliveries', sa.Column('handed_over_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('deliveries', 'handed_over_at')
