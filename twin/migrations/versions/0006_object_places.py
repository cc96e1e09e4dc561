"""落图 for every object: township, community and grid on houses, people, organizations,
addresses and city objects, as buildings have had since 0001; and admin areas say
whether they have a boundary.

Revision ID: 0006
Revises: 0005

The columns are plain nullable additions (a division code, a grid code), so a store of any
size gains them without a table rewrite; `twin load-sample --replace` or an import fills
them, and every create or move through `twin.editing` places the object. Idempotent like
0002–0005: 0001 builds from models.py, so a new store has the columns already, and a store
stepped back to an older revision upgrades again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

DIVISION = "VARCHAR(12) REFERENCES admin_area (code)"
GRID = "VARCHAR(32)"
COLUMNS = {
    "house": {"township_code": DIVISION, "community_code": DIVISION, "grid_code": GRID},
    "person": {"township_code": DIVISION, "community_code": DIVISION, "grid_code": GRID},
    "organization": {"township_code": DIVISION, "community_code": DIVISION, "grid_code": GRID},
    "city_object": {"township_code": DIVISION, "grid_code": GRID},
    "address": {"grid_code": GRID},
}


# Generated from the geometry (stored on PostgreSQL, which has no virtual ones), so no
# writer can let it drift; 0001 leaves it out because SpatiaLite adds `geom` after the table.
HAS_BOUNDARY = {"postgresql": "BOOLEAN GENERATED ALWAYS AS (geom IS NOT NULL) STORED",
                "sqlite": "BOOLEAN GENERATED ALWAYS AS (geom IS NOT NULL) VIRTUAL"}


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table, columns in COLUMNS.items():
        have = {c["name"] for c in inspector.get_columns(table)}
        for name, kind in columns.items():
            if name not in have:
                # ADD COLUMN … REFERENCES is plain DDL on both stores; SQLite takes it for a
                # nullable column without a table copy (which would lose SpatiaLite's
                # geometry registration).
                op.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    for table in ("house", "person", "organization", "city_object"):
        # what a community's objects are found by (a filter, a code's related objects)
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_community_code "
                   f"ON {table} (community_code)")
    if "has_boundary" not in {c["name"] for c in inspector.get_columns("admin_area")}:
        op.execute("ALTER TABLE admin_area ADD COLUMN has_boundary "
                   + HAS_BOUNDARY[bind.dialect.name])


def downgrade() -> None:
    # SQLite cannot drop a column that references another table without copying the
    # table; its store keeps the (nullable, harmless) columns and upgrades over them.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE admin_area DROP COLUMN IF EXISTS has_boundary")
    for table in ("house", "person", "organization", "city_object"):
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_community_code")
    for table, columns in COLUMNS.items():
        for name in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {name}")
