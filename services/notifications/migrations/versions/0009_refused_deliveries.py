"""whether the mail server refused a delivery for good, so a resend to that address is asked for

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 16:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('deliveries', sa.Column('refused', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    # Deliveries that failed before this column existed: a final refusal was logged as the server's
    # own 5xx reply ("550 5.1.1 ..."), while the other failures name their exception first.
    op.execute("UPDATE deliveries SET refused = true WHERE status = 'failed' AND last_error ~ '^5[0-9][0-9] '")


def downgrade() -> None:
    op.drop_column('deliveries', 'refused')
