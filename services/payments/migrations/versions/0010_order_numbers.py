"""orders found by their number as well as their id: an index on the school's order numbers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:00:00.000000
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('order_states_account_number', 'order_states', ['account_id', 'order_number'])


def downgrade() -> None:
    op.drop_index('order_states_account_number', table_name='order_states')
