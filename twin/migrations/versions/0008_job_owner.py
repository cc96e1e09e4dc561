"""Jobs belong to the key that made them.

Revision ID: 0008
Revises: 0007

`owner` is the actor of the key that submitted the job (`anonymous` for a keyless
caller); only that key, or an admin key, lists, reads and dismisses it. Jobs made before
this revision have no owner and are an admin's to see. `finished` is indexed for pruning
(finished jobs older than TWIN_JOB_RETENTION_DAYS are removed with their results).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Idempotent like 0002/0003: a store stepped back to an older revision upgrades again.
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("job")}
    if "owner" in columns:
        return
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("owner", sa.String(100)))
    op.create_index("ix_job_owner", "job", ["owner", "created"])
    op.create_index("ix_job_finished", "job", ["finished"])


def downgrade() -> None:
    op.drop_index("ix_job_finished", "job")
    op.drop_index("ix_job_owner", "job")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("owner")
