"""course structure of products; access terms, discount kind, payment plan, curators, system copies and
versions of offers; idempotency keys of the CRM's creating requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:20:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('products', sa.Column('modules', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False))
    op.add_column('products', sa.Column('defaults', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.add_column('products', sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False))
    op.add_column('offers', sa.Column('discount_kind', sa.Text(), server_default=sa.text("'amount'"), nullable=False))
    op.add_column('offers', sa.Column('payment_plan', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('offers', sa.Column('curators', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False))
    op.add_column('offers', sa.Column('is_system_copy', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('offers', sa.Column('source_offer_id', sa.UUID(), nullable=True))
    op.add_column('offers', sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False))
    op.add_column('offer_items', sa.Column('access', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.add_column('idempotency_keys', sa.Column('resource_id', sa.UUID(), nullable=True))
    op.alter_column('idempotency_keys', 'checkout_id', existing_type=sa.UUID(), nullable=True)
    op.create_table('offer_versions',
    sa.Column('offer_id', sa.UUID(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('snapshot', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'version')
    )


def downgrade() -> None:
    op.drop_table('offer_versions')
    op.execute("DELETE FROM idempotency_keys WHERE checkout_id IS NULL")
    op.alter_column('idempotency_keys', 'checkout_id', existing_type=sa.UUID(), nullable=False)
    op.drop_column('idempotency_keys', 'resource_id')
    op.drop_column('offer_items', 'access')
    for column in ('updated_at', 'source_offer_id', 'is_system_copy', 'curators', 'payment_plan', 'discount_kind'):
        op.drop_column('offers', column)
    for column in ('updated_at', 'defaults', 'modules'):
        op.drop_column('products', column)
