"""API keys and bearer tokens stored hashed, with their scopes and rate limits.

Revision ID: 0005
Revises: 0004

A key is shown once when it is made; the store keeps only its SHA-256 (keys are 256-bit
random tokens, so a fast hash is as safe as a slow one) and a short prefix to tell keys
apart in a list. Revoking a key stamps `revoked_at`; rows are never deleted, so the
audit log's actors stay explained.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Idempotent like 0002/0003: a store stepped back to an older revision upgrades again.
    if sa.inspect(op.get_bind()).has_table("api_key"):
        return
    op.create_table(
        "api_key",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("rate_limit", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.current_timestamp()),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS api_key")
