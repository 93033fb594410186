"""the full order card: status, managers, tags, comment, refunds, access windows on lines, schools,
idempotency keys, and search indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:20:00.000000
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

UNPAID_FROM_OFFERS = "status = 'active' AND payment_status = 'not_paid' AND source IN ('page', 'widget')"


def upgrade() -> None:
    # Substring search on names, emails and phones over a school's contacts.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.add_column('orders', sa.Column('status', sa.Text(), server_default=sa.text("'active'"), nullable=False))
    op.add_column('orders', sa.Column('managers', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False))
    op.add_column('orders', sa.Column('tags', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False))
    op.add_column('orders', sa.Column('comment', sa.Text(), nullable=True))
    op.add_column('orders', sa.Column('refunded', sa.Numeric(precision=18, scale=4), server_default=sa.text('0'), nullable=False))
    op.add_column('orders', sa.Column('first_paid_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('orders', sa.Column('access_holds', postgresql.ARRAY(sa.UUID()), server_default=sa.text("'{}'"), nullable=False))
    op.add_column('orders', sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE orders o SET first_paid_at = (SELECT min(p.paid_at) FROM order_payments p WHERE p.order_id = o.id)")
    op.create_index('orders_account_total', 'orders', ['account_id', 'total', 'id'], unique=False)
    op.create_index('orders_contact_offer', 'orders', ['contact_id', 'offer_id'], unique=False)
    op.create_index('orders_managers', 'orders', ['managers'], unique=False, postgresql_using='gin')
    op.create_index('orders_tags', 'orders', ['tags'], unique=False, postgresql_using='gin')
    op.create_index('orders_unpaid_from_offers', 'orders', ['created_at'], unique=False,
                    postgresql_where=sa.text(UNPAID_FROM_OFFERS))

    op.add_column('order_lines', sa.Column('access', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.add_column('order_lines', sa.Column('customised', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('order_lines', sa.Column('offer_version', sa.Integer(), nullable=True))
    op.add_column('order_lines', sa.Column('window_status', sa.Text(), nullable=True))
    op.add_column('order_lines', sa.Column('window_starts_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('order_lines', sa.Column('window_ends_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('order_lines_offer', 'order_lines', ['offer_id'], unique=False, postgresql_where=sa.text('NOT customised'))
    op.create_index('order_lines_product', 'order_lines', ['product_id'], unique=False)

    op.create_index('contacts_name_trgm', 'contacts', ['name'], unique=False, postgresql_using='gin',
                    postgresql_ops={'name': 'gin_trgm_ops'})
    op.create_index('contacts_email_trgm', 'contacts', ['email_key'], unique=False, postgresql_using='gin',
                    postgresql_ops={'email_key': 'gin_trgm_ops'})
    op.create_index('contacts_phone_trgm', 'contacts', ['phone'], unique=False, postgresql_using='gin',
                    postgresql_ops={'phone': 'gin_trgm_ops'})
    op.create_index('contacts_account_name', 'contacts', ['account_id', 'name', 'id'], unique=False)

    op.create_table('schools',
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('locale', sa.Text(), nullable=True),
    sa.Column('unpaid_expiry_days', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('account_id')
    )
    op.create_table('idempotency_keys',
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.Text(), nullable=False),
    sa.Column('order_id', sa.UUID(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'key')
    )


def downgrade() -> None:
    op.drop_table('idempotency_keys')
    op.drop_table('schools')
    for name in ('contacts_account_name', 'contacts_phone_trgm', 'contacts_email_trgm', 'contacts_name_trgm'):
        op.drop_index(name, table_name='contacts')
    op.drop_index('order_lines_product', table_name='order_lines')
    op.drop_index('order_lines_offer', table_name='order_lines')
    for column in ('window_ends_at', 'window_starts_at', 'window_status', 'offer_version', 'customised', 'access'):
        op.drop_column('order_lines', column)
    for name in ('orders_unpaid_from_offers', 'orders_tags', 'orders_managers', 'orders_contact_offer',
                 'orders_account_total'):
        op.drop_index(name, table_name='orders')
    for column in ('closed_at', 'access_holds', 'first_paid_at', 'refunded', 'comment', 'tags', 'managers', 'status'):
        op.drop_column('orders', column)
