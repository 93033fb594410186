"""announce every product again with its course defaults, now that ProductUpdated carries them

Orders shows what a line "as in the course" grants from its copy of the catalog; products
announced before the defaults were part of the event are announced again once.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:20:00.000000
"""
from uuid import uuid4

import sqlalchemy as sa
from alembic import op
from contracts import CourseDefaultsOutline, ModuleOutline, ProductUpdated
from servicekit.outbox import announce_from_migration

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    correlation_id = uuid4()
    rows = bind.execute(sa.text("SELECT id, account_id, title, kind, modules, defaults FROM products ORDER BY created_at"))
    announce_from_migration(bind, (
        ProductUpdated(account_id=row.account_id, correlation_id=correlation_id, product_id=row.id, title=row.title,
                       kind=row.kind, modules=[ModuleOutline.model_validate(m) for m in row.modules],
                       defaults=CourseDefaultsOutline.model_validate(row.defaults or {}))
        for row in rows.all()
    ))


def downgrade() -> None:
    pass  # announcements that went out stay out
