"""the course defaults of each catalog product, as ProductUpdated now carries them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 16:20:00.000000
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null until offers announces the product again with them (its migration does so for all).
    op.add_column('catalog_products', sa.Column('defaults', postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column('catalog_products', 'defaults')
