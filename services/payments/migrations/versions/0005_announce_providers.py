"""announce the providers every school has already set up, so offers and orders start with a copy

Offers and orders refuse a provider a school has no credentials for, from what payments
announced; schools that set theirs up before the announcement existed are announced here once,
through the outbox like any other event.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:00:00.000000
"""
from uuid import uuid4

import sqlalchemy as sa
from alembic import op
from contracts import PaymentProvidersUpdated
from servicekit.outbox import announce_from_migration

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    found: dict[object, list[str]] = {}
    for account_id, provider in bind.execute(sa.text(
        "SELECT account_id, provider FROM provider_accounts ORDER BY account_id, provider"
    )):
        found.setdefault(account_id, []).append(provider)
    correlation_id = uuid4()
    announce_from_migration(bind, (
        PaymentProvidersUpdated(account_id=account_id, correlation_id=correlation_id, providers=providers)
        for account_id, providers in found.items()
    ))


def downgrade() -> None:
    pass  # an announcement that went out stays out; the consumers' copies are harmless
