"""announce every product made before ProductUpdated existed, so orders starts with the catalog

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00.000000
"""
import json
from uuid import uuid4

import sqlalchemy as sa
from alembic import op
from contracts import ModuleOutline, ProductUpdated
from servicekit.outbox import event_headers

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    correlation_id = uuid4()
    for row in bind.execute(sa.text("SELECT id, account_id, title, kind, modules FROM products ORDER BY created_at")):
        event = ProductUpdated(
            account_id=row.account_id, correlation_id=correlation_id, product_id=row.id, title=row.title,
            kind=row.kind, modules=[ModuleOutline.model_validate(m) for m in row.modules],
        )
        bind.execute(
            sa.text("INSERT INTO outbox (topic, key, payload, headers) "
                    "VALUES (:topic, :key, CAST(:payload AS jsonb), CAST(:headers AS jsonb))"),
            {"topic": event.topic, "key": event.partition_key(), "payload": event.model_dump_json(),
             "headers": json.dumps(event_headers(event))},
        )


def downgrade() -> None:
    pass  # announcements that went out stay out
