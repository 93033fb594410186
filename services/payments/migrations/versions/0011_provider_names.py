"""every stored provider is a provider's name (contracts.ProviderName): one typed otherwise is spelled as one

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:00:00.000000
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# contracts.ProviderName: lower-case letters, digits and '_', a letter first, at most 50.
_NAME = r"^[a-z][a-z0-9_]{0,49}$"


def _spelled(column: str) -> str:
    # "Privat 24" is "privat_24", "24pay" "provider_24pay": lower case, each run of anything else
    # one '_', a letter first, cut to 50.
    word = f"regexp_replace(lower(btrim({column})), '[^a-z0-9_]+', '_', 'g')"
    return f"left(CASE WHEN {word} ~ '^[a-z]' THEN {word} ELSE 'provider_' || {word} END, 50)"


def upgrade() -> None:
    # A payment added by hand, and a manual order, could name their provider in any text of up to
    # 50 characters before the name was one type; the payment card answers it and PaymentSucceeded
    # carries it as ProviderName, so what was typed is kept in that shape. Links, reports and
    # failures only ever came from payments' registry, whose names already fit.
    for table in ("payments", "order_states"):
        op.execute(f"UPDATE {table} SET provider = {_spelled('provider')} WHERE provider !~ '{_NAME}'")


def downgrade() -> None:
    # Nothing to restore: every name left is one the older code took too.
    pass
