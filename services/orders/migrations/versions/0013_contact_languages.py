"""contacts' languages are kept as the language alone: a tag stored before is cut to it, anything else cleared

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 05:00:00.000000
"""
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# contracts.Locale's tag, as PostgreSQL spells it: what a contact's language may have been given as.
_TAG = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,6}(\.[A-Za-z0-9-]{1,20})?(@[A-Za-z0-9]{1,20})?$"


def upgrade() -> None:
    # A contact's language has been contracts.Locale (kept as its language, "uk") since it was
    # given so; before, a manual contact's was any text of 2 to 20 characters. The order card
    # answers it and OrderUpdated carries it as Locale, so what is left of that text must fit:
    # a tag keeps its language ("uk_UA" is "uk"), and what names no language is no language.
    op.execute(f"""
        UPDATE contacts
        SET locale = CASE WHEN btrim(locale) ~ '{_TAG}' THEN lower(substring(btrim(locale) FROM '^[A-Za-z]{{2,3}}')) END
        WHERE locale IS NOT NULL AND locale !~ '^[a-z]{{2,3}}$'
    """)


def downgrade() -> None:
    # Nothing to restore: every value left is one the older code took too.
    pass
