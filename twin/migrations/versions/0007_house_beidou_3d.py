"""Each house carries its GB/T 39409 3D BeiDou grid location code.

Revision ID: 0007
Revises: 0006

The code is the 2D cell of the house's point lifted to the middle of its storey (the
building's height shared among its floors; twin.placement.house_code_3d). A nullable
column with an index (what /codes/{code} finds a house by); `twin load-sample --replace`
fills it for the sample, every house written through `twin.editing` gets it. Idempotent
like 0002–0006.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "beidou_code_3d" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("house")}:
        op.execute("ALTER TABLE house ADD COLUMN beidou_code_3d VARCHAR(40)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_house_beidou_code_3d ON house (beidou_code_3d)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_house_beidou_code_3d")
    if op.get_bind().dialect.name == "postgresql":  # SQLite keeps the nullable column
        op.execute("ALTER TABLE house DROP COLUMN IF EXISTS beidou_code_3d")
