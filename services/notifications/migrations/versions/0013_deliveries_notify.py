"""the sender woken by the database: a trigger notifies it of every pending delivery inserted

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 22:10:00.000000

Until now each use case that recorded an email sent its own `SELECT pg_notify('deliveries', '')`
after the insert: one more statement per email. The trigger does the same inside the insert (as
the outbox's does for the relay); PostgreSQL delivers it only when the transaction commits, and
folds the same notice repeated in one transaction into one. A delivery recorded as cancelled
wakes nobody, as before.
"""
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""CREATE OR REPLACE FUNCTION deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('deliveries', '');
  RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER deliveries_notify AFTER INSERT ON deliveries FOR EACH ROW "
               "WHEN (NEW.status = 'pending') EXECUTE FUNCTION deliveries_notify()")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS deliveries_notify ON deliveries")
    op.execute("DROP FUNCTION IF EXISTS deliveries_notify()")
