"""Per-layer change versions on SpatiaLite too, with what changed (0003 keeps them on PostGIS).

Revision ID: 0009
Revises: 0008

The same three tables as 0003 (`layer_version`, `layer_touch`, `layer_change`), so
`twin.changes` reads both stores alike and the tile cache, the `/collections` stats and
ETags follow writes on SpatiaLite as they do on PostGIS. SQLite has only row-level
triggers and no commit hook, so here a layer's version rises once per written row, not
once per transaction: each row trigger raises the version, notes a touch at it and the
id written (NULL for admin_area, keyed by code: "read it all again"). SQLite has one
writer at a time and readers see only committed writes, so versions are ordered and a
reader that sees N sees every write counted up to N. A touch whose version is a
multiple of 100 forgets the layer's touches older than KEEP_VERSIONS.

Bulk writers stay bulk: before writing many rows they insert the layer's name into
`layer_bulk`, whose trigger raises the version once and notes one NULL change, and the
row triggers skip every row while the name is there (one primary-key probe a row); the
writer deletes it again before its transaction ends (`twin.dialects.SpatiaLite.bulk`),
so no other connection ever sees it. A writer that does not (another program writing
the file) is counted row by row, which is slower but as exact.

A migration that rebuilds one of these tables on SQLite (`batch_alter_table`) drops its
triggers with it: such a migration must run `upgrade()` of this one again afterwards.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = ["admin_area", "grid", "road", "address", "building", "house", "person",
          "organization", "city_object"]
WITHOUT_IDS = {"admin_area"}  # keyed by code: any write there means "read it all again"
KEEP_VERSIONS = 1_000  # as 0003: a reader further behind reads the layer whole
FORGET_EVERY = 100  # versions between two clear-outs of old touches
EVENTS = {"insert": ("INSERT", ["NEW"]), "update": ("UPDATE", ["OLD", "NEW"]),
          "delete": ("DELETE", ["OLD"])}

# Raise `layer`'s version and note a touch at it (then layer_change names what it wrote).
STEP = """
    UPDATE layer_version SET version = version + 1 WHERE layer = {layer};
    INSERT INTO layer_touch (layer, version)
        SELECT layer, version FROM layer_version WHERE layer = {layer};
"""
LATEST_TOUCH = "(SELECT max(id) FROM layer_touch)"


def _row_trigger(table: str, event: str) -> str:
    verb, rows = EVENTS[event]
    ids = ["NULL"] if table in WITHOUT_IDS else [f"{row}.id" for row in rows]
    noted = " UNION ".join(f"SELECT {LATEST_TOUCH}, {i}" for i in ids)
    return (f"CREATE TRIGGER twin_note_{event}_{table} AFTER {verb} ON {table} "
            f"WHEN NOT EXISTS (SELECT 1 FROM layer_bulk WHERE layer = '{table}') BEGIN"
            f"{STEP.format(layer=repr(table))}"
            f"    INSERT INTO layer_change (touch_id, feature_id) {noted};\nEND")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE IF NOT EXISTS layer_version "
               "(layer TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    op.execute("CREATE TABLE IF NOT EXISTS layer_touch "
               "(id INTEGER PRIMARY KEY, layer TEXT NOT NULL, version INTEGER)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_layer_touch_version "
               "ON layer_touch (layer, version)")
    op.execute("CREATE TABLE IF NOT EXISTS layer_change "
               "(touch_id INTEGER NOT NULL, feature_id INTEGER)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_layer_change_touch ON layer_change (touch_id)")
    op.execute("CREATE TABLE IF NOT EXISTS layer_bulk (layer TEXT PRIMARY KEY)")
    op.execute("DROP TRIGGER IF EXISTS twin_bulk")
    op.execute("CREATE TRIGGER twin_bulk AFTER INSERT ON layer_bulk "
               "WHEN NEW.layer IN (SELECT layer FROM layer_version) BEGIN"
               f"{STEP.format(layer='NEW.layer')}"
               f"    INSERT INTO layer_change (touch_id, feature_id) VALUES ({LATEST_TOUCH}, NULL);"
               "\nEND")
    op.execute("DROP TRIGGER IF EXISTS twin_forget")
    op.execute(f"CREATE TRIGGER twin_forget AFTER INSERT ON layer_touch "
               f"WHEN NEW.version % {FORGET_EVERY} = 0 BEGIN\n"
               "    DELETE FROM layer_change WHERE touch_id IN (SELECT id FROM layer_touch "
               f"WHERE layer = NEW.layer AND version <= NEW.version - {KEEP_VERSIONS});\n"
               "    DELETE FROM layer_touch WHERE layer = NEW.layer "
               f"AND version <= NEW.version - {KEEP_VERSIONS};\nEND")
    for table in TABLES:
        op.execute(f"INSERT OR IGNORE INTO layer_version VALUES ('{table}', 0)")
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS twin_note_{event}_{table}")
            op.execute(_row_trigger(table, event))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS twin_note_{event}_{table}")
    for name in ("twin_bulk", "twin_forget"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name in ("layer_bulk", "layer_change", "layer_touch", "layer_version"):
        op.execute(f"DROP TABLE IF EXISTS {name}")
