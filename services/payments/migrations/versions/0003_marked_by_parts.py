"""who marked a payment paid, and the parts of a payment split across methods

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
    op.add_column('payments', sa.Column('marked_by', sa.Text(), nullable=True))
    op.add_column('payments', sa.Column('parts', postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade() -> None:
    op.drop_column('payments', 'parts')
    op.drop_column('payments', 'marked_by')
