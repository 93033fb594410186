"""an order's counted payments found by the order: an index on order_payments.order_id

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:00:00.000000

Every message about an order loads it with the payments it has counted; without this index that
subquery read the whole of order_payments, one row per payment the school ever had, each time
(and so did deleting an order, through the foreign key's cascade).

Building it reads the whole table while new payments wait (the migration runs in one transaction,
under the lock that keeps replicas from migrating at once). On a large table build it first
without blocking, and this migration then finds it there:

    CREATE INDEX CONCURRENTLY IF NOT EXISTS order_payments_order ON order_payments (order_id);
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('order_payments_order', 'order_payments', ['order_id'], if_not_exists=True)


def downgrade() -> None:
    op.drop_index('order_payments_order', table_name='order_payments')
