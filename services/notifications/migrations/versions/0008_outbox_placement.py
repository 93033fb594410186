"""where the broker placed each published outbox row, so the relay notices a broker that lost it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 13:00:00.000000
"""
from servicekit.outbox import add_placement, drop_placement

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_placement()


def downgrade() -> None:
    drop_placement()
