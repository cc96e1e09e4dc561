"""An index on address (updated_at, version), so the geocoder sees edits without a table scan.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 builds from models.py, which declares the index now: a new store has it already.
    op.execute("CREATE INDEX IF NOT EXISTS ix_address_updated ON address (updated_at, version)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_address_updated")
