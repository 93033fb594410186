"""the school each email is from (its name in From) and where its replies go (Reply-To)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:10:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('deliveries', sa.Column('sender_name', sa.Text(), nullable=True))
    op.add_column('deliveries', sa.Column('reply_to', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('deliveries', 'reply_to')
    op.drop_column('deliveries', 'sender_name')
