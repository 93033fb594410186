"""payment details, order read model, link requests, provider accounts, reminders

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


def upgrade() -> None:
    op.add_column('payments', sa.Column('comment', sa.Text(), nullable=True))
    op.add_column('payments', sa.Column('link_generation', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.add_column('payments', sa.Column('link_error', sa.Text(), nullable=True))
    op.add_column('payments', sa.Column('refunded_amount', sa.Numeric(precision=18, scale=4),
                                        server_default=sa.text('0'), nullable=False))
    op.add_column('payments', sa.Column('overdue_notified_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('payments', sa.Column('idempotency_key', sa.Text(), nullable=True))
    op.create_index('payments_account_idempotency', 'payments', ['account_id', 'idempotency_key'], unique=True,
                    postgresql_where=sa.text('idempotency_key IS NOT NULL'))
    op.create_index(
        'payments_overdue_due', 'payments', ['due_at'], unique=False,
        postgresql_where=sa.text("status = 'unpaid' AND overdue_notified_at IS NULL AND due_at IS NOT NULL"),
    )
    op.create_index('payments_provider_reference', 'payments', ['provider', 'provider_reference'], unique=False)
    op.create_table('order_states',
    sa.Column('order_id', sa.UUID(), nullable=False),
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('order_number', sa.Integer(), nullable=False),
    sa.Column('school_name', sa.Text(), nullable=False),
    sa.Column('currency', sa.Text(), nullable=False),
    sa.Column('provider', sa.Text(), nullable=False),
    sa.Column('contact', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.Text(), server_default=sa.text("'active'"), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('order_id')
    )
    op.create_table('link_requests',
    sa.Column('payment_id', sa.UUID(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('send_email', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('correlation_id', sa.UUID(), nullable=False),
    sa.Column('causation_id', sa.UUID(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("purpose IN ('link', 'reminder_manual', 'reminder_scheduled')", name='link_requests_purpose'),
    sa.PrimaryKeyConstraint('payment_id', 'purpose')
    )
    op.create_index('link_requests_due', 'link_requests', ['next_attempt_at'], unique=False)
    op.create_table('provider_accounts',
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('provider', sa.Text(), nullable=False),
    sa.Column('settings', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'provider')
    )
    op.create_table('reminder_schedules',
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('offsets_hours', postgresql.ARRAY(sa.Integer()), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('account_id')
    )
    op.create_table('reminders',
    sa.Column('payment_id', sa.UUID(), nullable=False),
    sa.Column('offset_hours', sa.Integer(), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('remind_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Text(), server_default=sa.text("'pending'"), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'stopped')", name='reminders_status_known'),
    sa.PrimaryKeyConstraint('payment_id', 'offset_hours', 'planned_at')
    )
    op.create_index('reminders_pending_due', 'reminders', ['remind_at'], unique=False,
                    postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index('reminders_pending_due', table_name='reminders', postgresql_where=sa.text("status = 'pending'"))
    op.drop_table('reminders')
    op.drop_table('reminder_schedules')
    op.drop_table('provider_accounts')
    op.drop_index('link_requests_due', table_name='link_requests')
    op.drop_table('link_requests')
    op.drop_table('order_states')
    op.drop_index('payments_provider_reference', table_name='payments')
    op.drop_index('payments_overdue_due', table_name='payments')
    op.drop_index('payments_account_idempotency', table_name='payments')
    for column in ('idempotency_key', 'overdue_notified_at', 'refunded_amount', 'link_error', 'link_generation',
                   'comment'):
        op.drop_column('payments', column)
