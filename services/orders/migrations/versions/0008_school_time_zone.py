"""a school's time zone, as its SchoolUpdated names it: dates typed without an offset are read in it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('schools', sa.Column('time_zone', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('schools', 'time_zone')
