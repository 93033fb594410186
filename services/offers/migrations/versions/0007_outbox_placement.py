"""where the broker placed each published outbox row, so the relay notices a broker that lost it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('outbox', sa.Column('kafka_partition', sa.Integer(), nullable=True))
    op.add_column('outbox', sa.Column('kafka_offset', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column('outbox', 'kafka_offset')
    op.drop_column('outbox', 'kafka_partition')
