"""order status and cancelled deliveries; latest payment link per payment; log indexes for keyset pages

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('order_recipients',
                  sa.Column('status', sa.Text(), server_default=sa.text("'active'"), nullable=False))
    op.add_column('deliveries', sa.Column('cancel_reason', sa.Text(), nullable=True))
    op.drop_constraint('deliveries_status', 'deliveries', type_='check')
    op.create_check_constraint('deliveries_status', 'deliveries',
                               "status IN ('pending', 'sent', 'failed', 'cancelled')")
    op.create_table('payment_links',
    sa.Column('payment_id', sa.UUID(), nullable=False),
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('order_id', sa.UUID(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('payment_id')
    )
    op.drop_index('deliveries_order', table_name='deliveries')
    op.create_index('deliveries_order', 'deliveries', ['account_id', 'order_id', 'created_at', 'id'], unique=False)
    op.drop_index('deliveries_contact', table_name='deliveries')
    op.create_index('deliveries_contact', 'deliveries', ['account_id', 'contact_id', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('deliveries_contact', table_name='deliveries')
    op.create_index('deliveries_contact', 'deliveries', ['account_id', 'contact_id', 'created_at'], unique=False)
    op.drop_index('deliveries_order', table_name='deliveries')
    op.create_index('deliveries_order', 'deliveries', ['account_id', 'order_id', 'created_at'], unique=False)
    op.drop_table('payment_links')
    # The older schema has no cancelled state: such an email was never sent, and is not to be.
    op.execute("UPDATE deliveries SET status = 'failed', last_error = 'cancelled: ' || coalesce(cancel_reason, '') "
               "WHERE status = 'cancelled'")
    op.drop_constraint('deliveries_status', 'deliveries', type_='check')
    op.create_check_constraint('deliveries_status', 'deliveries', "status IN ('pending', 'sent', 'failed')")
    op.drop_column('deliveries', 'cancel_reason')
    op.drop_column('order_recipients', 'status')
