"""a school's time zone and reply-to address, as its SchoolUpdated says

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 13:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('schools', sa.Column('time_zone', sa.Text(), nullable=True))
    op.add_column('schools', sa.Column('reply_to', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('schools', 'reply_to')
    op.drop_column('schools', 'time_zone')
