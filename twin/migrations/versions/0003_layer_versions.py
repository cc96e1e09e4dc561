"""Per-layer change versions on PostGIS, bumped by every committed write, with what changed.

Revision ID: 0003
Revises: 0002

`layer_version.version` of a table rises once per committed transaction that wrote it.
A reader that sees version N sees every write counted up to N and none after, so an
in-memory copy built at N is exact for as long as the store still says N
(`twin.changes`), and the ids written since N say what to read again.

How: statement-level triggers on each layer table note, once per transaction, that the
transaction touched the table (a row in `layer_touch`), and the ids its statements wrote
(`layer_change`, from the statements' transition tables; a statement of more than
CHANGE_LIMIT rows, a TRUNCATE or a table without ids notes NULL: "read it all again").
A deferred constraint trigger on the touch runs at commit: it takes the one lock on the
row `*`, so committing writers number their versions one after another in commit order
(and never deadlock over two layers), raises the table's version, stamps the touch with
it and forgets touches older than KEEP_VERSIONS. The cost is per statement and per
commit, not per row, so bulk loads stay bulk. SQLite stores keep theirs by row
triggers (0009).
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ["admin_area", "grid", "road", "address", "building", "house", "person",
          "organization", "city_object"]
WITHOUT_IDS = {"admin_area"}  # keyed by code: any write there means "read it all again"
# A statement (or a transaction, in sum) writing more rows than this notes NULL instead
# of its ids: a reader reads the layer whole again, cheaper than row by row by then.
CHANGE_LIMIT = 10_000
# Touches (and their ids) kept per layer: a reader further behind reads the layer whole.
KEEP_VERSIONS = 1_000

NOTE = f"""
CREATE OR REPLACE FUNCTION twin_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touch bigint := nullif(current_setting('twin.touch_' || TG_TABLE_NAME, true), '');
    noted bigint := coalesce(nullif(current_setting('twin.noted_' || TG_TABLE_NAME, true),
                                    ''), '0');
    written bigint := -1;
BEGIN
    IF touch IS NULL THEN
        INSERT INTO layer_touch (layer) VALUES (TG_TABLE_NAME) RETURNING id INTO touch;
        PERFORM set_config('twin.touch_' || TG_TABLE_NAME, touch::text, true);
    END IF;
    IF noted < 0 THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' AND TG_NARGS = 0 THEN
        SELECT count(*) INTO written FROM twin_new;
    ELSIF TG_OP IN ('UPDATE', 'DELETE') AND TG_NARGS = 0 THEN
        SELECT count(*) INTO written FROM twin_old;
    END IF;
    IF written < 0 OR noted + written > {CHANGE_LIMIT} THEN
        INSERT INTO layer_change (touch_id, feature_id) VALUES (touch, NULL);
        PERFORM set_config('twin.noted_' || TG_TABLE_NAME, '-1', true);
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO layer_change SELECT touch, id FROM twin_new;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO layer_change SELECT touch, id FROM twin_old;
    ELSE
        INSERT INTO layer_change SELECT touch, id FROM twin_old
                                 UNION SELECT touch, id FROM twin_new;
    END IF;
    PERFORM set_config('twin.noted_' || TG_TABLE_NAME, (noted + written)::text, true);
    RETURN NULL;
END $$
"""

BUMP = f"""
CREATE OR REPLACE FUNCTION twin_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reached bigint;
BEGIN
    PERFORM 1 FROM layer_version WHERE layer = '*' FOR UPDATE;
    INSERT INTO layer_version AS v (layer, version) VALUES (NEW.layer, 1)
        ON CONFLICT (layer) DO UPDATE SET version = v.version + 1
        RETURNING version INTO reached;
    UPDATE layer_touch SET version = reached WHERE id = NEW.id;
    DELETE FROM layer_touch WHERE layer = NEW.layer AND version <= reached - {KEEP_VERSIONS};
    RETURN NULL;
END $$
"""

TRIGGERS = {
    "twin_note_insert": "AFTER INSERT ON {t} REFERENCING NEW TABLE AS twin_new",
    "twin_note_update": "AFTER UPDATE ON {t} REFERENCING OLD TABLE AS twin_old "
                        "NEW TABLE AS twin_new",
    "twin_note_delete": "AFTER DELETE ON {t} REFERENCING OLD TABLE AS twin_old",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE TABLE IF NOT EXISTS layer_version "
               "(layer text PRIMARY KEY, version bigint NOT NULL)")
    op.execute("CREATE TABLE IF NOT EXISTS layer_touch "
               "(id bigserial PRIMARY KEY, layer text NOT NULL, version bigint)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_layer_touch_version "
               "ON layer_touch (layer, version)")
    op.execute("CREATE TABLE IF NOT EXISTS layer_change (touch_id bigint NOT NULL "
               "REFERENCES layer_touch (id) ON DELETE CASCADE, feature_id bigint)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_layer_change_touch ON layer_change (touch_id)")
    op.execute("INSERT INTO layer_version VALUES ('*', 0) ON CONFLICT DO NOTHING")
    op.execute(NOTE)
    op.execute(BUMP)
    op.execute("DROP TRIGGER IF EXISTS twin_bump ON layer_touch")
    op.execute("CREATE CONSTRAINT TRIGGER twin_bump AFTER INSERT ON layer_touch "
               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION twin_bump_version()")
    for table in TABLES:
        op.execute(f"INSERT INTO layer_version VALUES ('{table}', 0) ON CONFLICT DO NOTHING")
        for name in (*TRIGGERS, "twin_note", "twin_note_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        if table in WITHOUT_IDS:
            op.execute(f"CREATE TRIGGER twin_note AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION twin_note_change('all')")
            continue
        for name, when in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when.format(t=table)} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION twin_note_change()")
        op.execute(f"CREATE TRIGGER twin_note_truncate AFTER TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION twin_note_change('all')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        for name in (*TRIGGERS, "twin_note", "twin_note_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute("DROP TABLE IF EXISTS layer_change")
    op.execute("DROP TABLE IF EXISTS layer_touch")
    op.execute("DROP TABLE IF EXISTS layer_version")
    op.execute("DROP FUNCTION IF EXISTS twin_note_change()")
    op.execute("DROP FUNCTION IF EXISTS twin_bump_version()")
