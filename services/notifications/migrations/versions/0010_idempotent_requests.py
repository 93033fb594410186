"""one record of Idempotency-Key requests for every service: resends keep theirs in it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:30:00.000000
"""
import sqlalchemy as sa
from alembic import op
from servicekit.idempotency import idempotency_table

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Resends kept no key until now (it went into a derived event id), so there is none to carry.
    idempotency_table(sa.MetaData()).create(op.get_bind())


def downgrade() -> None:
    op.drop_table('idempotent_requests')
