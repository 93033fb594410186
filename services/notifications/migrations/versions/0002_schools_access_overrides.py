"""schools, access states, template overrides; contacts and resends on deliveries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:40:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('order_recipients', sa.Column('contact_id', sa.UUID(), nullable=True))
    op.add_column('order_recipients', sa.Column('school_locale', sa.Text(), nullable=True))
    op.add_column('order_recipients', sa.Column('order_version', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.create_table('schools',
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('default_locale', sa.Text(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id')
    )
    op.create_table('access_states',
    sa.Column('order_id', sa.UUID(), nullable=False),
    sa.Column('line_id', sa.UUID(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('order_id', 'line_id', name='access_states_pkey')
    )
    op.create_table('template_overrides',
    sa.Column('account_id', sa.UUID(), nullable=False),
    sa.Column('template', sa.Text(), nullable=False),
    sa.Column('locale', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'template', 'locale', name='template_overrides_pkey')
    )
    op.add_column('deliveries', sa.Column('contact_id', sa.UUID(), nullable=True))
    op.add_column('deliveries', sa.Column('correlation_id', sa.UUID(), nullable=True))
    op.add_column('deliveries', sa.Column('resend_of', sa.UUID(), nullable=True))
    op.create_index('deliveries_contact', 'deliveries', ['account_id', 'contact_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('deliveries_contact', table_name='deliveries')
    op.drop_column('deliveries', 'resend_of')
    op.drop_column('deliveries', 'correlation_id')
    op.drop_column('deliveries', 'contact_id')
    op.drop_table('template_overrides')
    op.drop_table('access_states')
    op.drop_table('schools')
    op.drop_column('order_recipients', 'order_version')
    op.drop_column('order_recipients', 'school_locale')
    op.drop_column('order_recipients', 'contact_id')
