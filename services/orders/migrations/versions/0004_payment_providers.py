"""the payment providers each school can sell through, as the payments service announces them

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 13:00:00.000000
"""
import sqlalchemy as sa
from alembic import op
from servicekit.providers import providers_table

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    providers_table(sa.MetaData()).create(op.get_bind())


def downgrade() -> None:
    op.drop_table('payment_providers')
