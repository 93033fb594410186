"""Idempotency-Key records expire: an index on their creation time, which the pruning deletes by

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:00:00.000000
"""
from servicekit.idempotency import create_expiry_index, drop_expiry_index

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_expiry_index()


def downgrade() -> None:
    drop_expiry_index()
