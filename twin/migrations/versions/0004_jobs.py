"""Jobs of the OGC API - Processes: inputs, progress and results kept in the store.

Revision ID: 0004
Revises: 0003

The `job` table is the record every face reads (status, progress, results). On PostGIS
the job engine is procrastinate: its own schema (queue, workers, heartbeats) is applied
here from the installed package, so a fresh database needs nothing but `migrate`. On
SpatiaLite a worker thread in the server process takes jobs from this table.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    tables = sa.inspect(bind)
    if not tables.has_table("job"):
        _create_job_table()
    if bind.dialect.name == "postgresql" and not tables.has_table("procrastinate_jobs"):
        from procrastinate.schema import SchemaManager

        # The raw driver cursor: the schema text holds % and : that SQLAlchemy or psycopg
        # would read as parameters.
        raw = bind.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            cursor.execute(SchemaManager.get_schema())


def _create_job_table() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("process", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Integer, nullable=False, server_default="0"),
        sa.Column("message", sa.Text),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("input_data", sa.LargeBinary),
        sa.Column("input_name", sa.String(200)),
        sa.Column("result_data", sa.LargeBinary),
        sa.Column("result_type", sa.String(100)),
        sa.Column("result_name", sa.String(200)),
        sa.Column("report", sa.JSON),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("worker", sa.String(100)),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True)),
        sa.Column("finished", sa.DateTime(timezone=True)),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_job_status", "job", ["status", "created"])
    op.create_index("ix_job_created", "job", ["created"])


def downgrade() -> None:
    op.drop_index("ix_job_created", "job")
    op.drop_index("ix_job_status", "job")
    op.drop_table("job")
