"""orders found by their number as well as their id: an index on the school's order numbers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:00:00.000000
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('order_recipients_account_number', 'order_recipients', ['account_id', 'order_number'])


def downgrade() -> None:
    op.drop_index('order_recipients_account_number', table_name='order_recipients')
