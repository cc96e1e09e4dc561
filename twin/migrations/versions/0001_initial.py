"""The initial schema: the whole data model of DESIGN.md.

Revision ID: 0001
Revises:
"""

from alembic import op
from sqlalchemy import MetaData

from twin import models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The first revision creates the tables as models.py declared them on the day it was
# written (GeoAlchemy2 adds the SpatiaLite/PostGIS geometry columns and their spatial
# indexes); every later change to models.py comes with an explicit revision of its own.
TABLES = [
    "admin_area", "grid", "road", "address", "building", "house", "person",
    "organization", "city_object", "code_registry", "code_sequence", "audit_log",
]


def _copy() -> MetaData:
    # GeoAlchemy2's SQLite DDL hooks strip the spatial Index objects from the tables they
    # create; working on a copy keeps models.Base.metadata whole for the next store.
    copy = MetaData()
    for name in TABLES:
        table = models.Base.metadata.tables[name].to_metadata(copy)
        # A generated column reads the geometry, which SpatiaLite adds after CREATE TABLE;
        # the revision that introduced each one adds it once the geometry is there.
        for column in [c for c in table.columns if c.computed is not None]:
            table._columns.remove(column)
    return copy


def upgrade() -> None:
    metadata = _copy()
    metadata.create_all(op.get_bind(), tables=[metadata.tables[t] for t in TABLES])


def downgrade() -> None:
    metadata = _copy()
    metadata.drop_all(op.get_bind(), tables=[metadata.tables[t] for t in reversed(TABLES)])
