"""Digest deliveries: which digest went to whom for which period, and failed sends to retry.

Written out in full, not generated from the models.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_delivery",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("period_key", sa.String, nullable=False),
        sa.Column("member_states", sa.String, nullable=False),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("recipients", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.String),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.UniqueConstraint("period_key", "member_states", "channel", "recipients", name="uq_digest_delivery"),
    )
    op.create_index("ix_digest_delivery_period_key", "digest_delivery", ["period_key"])
    op.create_index("ix_digest_delivery_status", "digest_delivery", ["status"])


def downgrade() -> None:
    op.drop_table("digest_delivery")
