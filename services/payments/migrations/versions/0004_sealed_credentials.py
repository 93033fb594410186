"""schools' provider credentials sealed at rest (AES-GCM, keys from PAYMENTS_CREDENTIALS_KEYS)

Rows written before sealing are sealed here with the first configured key; with no key set and
such rows present, the migration stops and says so rather than leave them readable.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00.000000
"""
import json
import os

import sqlalchemy as sa
from alembic import op

from payments.adapters.sealing import Sealer

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _rows(sealed: bool) -> list[sa.Row]:
    condition = "IS NOT NULL" if sealed else "IS NULL"
    return op.get_bind().execute(sa.text(
        f"SELECT account_id, provider, settings FROM provider_accounts WHERE settings->>'sealed' {condition}"
    )).all()


def _write(account_id: object, provider: str, settings: dict[str, object]) -> None:
    op.get_bind().execute(
        sa.text("UPDATE provider_accounts SET settings = CAST(:settings AS jsonb) "
                "WHERE account_id = :account_id AND provider = :provider"),
        {"settings": json.dumps(settings), "account_id": account_id, "provider": provider},
    )


def upgrade() -> None:
    rows = _rows(sealed=False)
    if rows:
        sealer = Sealer(os.environ.get("PAYMENTS_CREDENTIALS_KEYS", ""))
        for account_id, provider, settings in rows:
            _write(account_id, provider, sealer.seal(settings, account_id, provider))


def downgrade() -> None:
    rows = _rows(sealed=True)
    if rows:
        sealer = Sealer(os.environ.get("PAYMENTS_CREDENTIALS_KEYS", ""))
        for account_id, provider, settings in rows:
            _write(account_id, provider, sealer.open(settings, account_id, provider))
