"""the percent a manager gave as an order's discount, which its amount follows when the lines change

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('orders', sa.Column('discount_percent', sa.Numeric(precision=7, scale=4), nullable=True))
    op.create_check_constraint(
        'orders_discount_percent', 'orders', 'discount_percent IS NULL OR discount_percent BETWEEN 0 AND 100'
    )


def downgrade() -> None:
    op.drop_constraint('orders_discount_percent', 'orders', type_='check')
    op.drop_column('orders', 'discount_percent')
