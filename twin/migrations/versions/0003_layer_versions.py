"""Per-layer change versions on PostGIS, bumped by every committed write.

Revision ID: 0003
Revises: 0002

`layer_version.version` of a table rises once per committed transaction that wrote it.
A reader that sees version N sees every write counted up to N and none after, so an
in-memory copy built at N is exact for as long as the store still says N
(`twin.changes`).

How: a statement-level trigger on each layer table notes, once per transaction, that the
transaction touched the table (a row in `layer_touch`). A deferred constraint trigger on
that note runs at commit: it takes the one lock on the row `*`, so committing writers
bump versions one after another in commit order (and never deadlock over two layers),
raises the table's version and removes the note. The cost is per statement and per
commit, not per row, so bulk loads stay bulk. SQLite stores have no versions: one writer,
no server, and nothing there reads them.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ["admin_area", "grid", "road", "address", "building", "house", "person",
          "organization", "city_object"]

NOTE = """
CREATE OR REPLACE FUNCTION twin_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('twin.touched_' || TG_TABLE_NAME, true) IS DISTINCT FROM '1' THEN
        PERFORM set_config('twin.touched_' || TG_TABLE_NAME, '1', true);
        INSERT INTO layer_touch (layer) VALUES (TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END $$
"""

BUMP = """
CREATE OR REPLACE FUNCTION twin_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM layer_version WHERE layer = '*' FOR UPDATE;
    INSERT INTO layer_version AS v (layer, version) VALUES (NEW.layer, 1)
        ON CONFLICT (layer) DO UPDATE SET version = v.version + 1;
    DELETE FROM layer_touch WHERE id = NEW.id;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE TABLE IF NOT EXISTS layer_version "
               "(layer text PRIMARY KEY, version bigint NOT NULL)")
    op.execute("CREATE TABLE IF NOT EXISTS layer_touch "
               "(id bigserial PRIMARY KEY, layer text NOT NULL)")
    op.execute("INSERT INTO layer_version VALUES ('*', 0) ON CONFLICT DO NOTHING")
    op.execute(NOTE)
    op.execute(BUMP)
    op.execute("DROP TRIGGER IF EXISTS twin_bump ON layer_touch")
    op.execute("CREATE CONSTRAINT TRIGGER twin_bump AFTER INSERT ON layer_touch "
               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION twin_bump_version()")
    for table in TABLES:
        op.execute(f"INSERT INTO layer_version VALUES ('{table}', 0) ON CONFLICT DO NOTHING")
        op.execute(f"DROP TRIGGER IF EXISTS twin_note ON {table}")
        op.execute(f"CREATE TRIGGER twin_note AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION twin_note_change()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS twin_note ON {table}")
    op.execute("DROP TABLE IF EXISTS layer_touch")
    op.execute("DROP TABLE IF EXISTS layer_version")
    op.execute("DROP FUNCTION IF EXISTS twin_note_change()")
    op.execute("DROP FUNCTION IF EXISTS twin_bump_version()")
