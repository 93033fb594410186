"""announce every product made before ProductUpdated existed, so orders starts with the catalog

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00.000000
"""
from uuid import uuid4

import sqlalchemy as sa
from alembic import op
from contracts import ModuleOutline, ProductUpdated
from servicekit.outbox import announce_from_migration

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    correlation_id = uuid4()
    rows = bind.execute(sa.text("SELECT id, account_id, title, kind, modules FROM products ORDER BY created_at"))
    announce_from_migration(bind, (
        ProductUpdated(account_id=row.account_id, correlation_id=correlation_id, product_id=row.id, title=row.title,
                       kind=row.kind, modules=[ModuleOutline.model_validate(m) for m in row.modules])
        for row in rows.all()
    ))


def downgrade() -> None:
    pass  # announcements that went out stay out
