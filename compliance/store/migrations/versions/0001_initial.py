"""Initial schema (release 0.1.0).

Written out in full, not generated from the models, so that it keeps describing 0.1.0 when the
models change later.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refresh_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("summary", sa.String),
    )
    op.create_table(
        "fetch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("refresh_run.id")),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("method", sa.String, nullable=False),
        sa.Column("url", sa.String, nullable=False),
        sa.Column("final_url", sa.String),
        sa.Column("request", sa.String),
        sa.Column("request_key", sa.String),
        sa.Column("status_code", sa.Integer),
        sa.Column("retrieved_at", sa.DateTime, nullable=False),
        sa.Column("sha256", sa.String, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content_type", sa.String),
        sa.Column("etag", sa.String),
        sa.Column("last_modified", sa.String),
        sa.Column("archive_path", sa.String),
        sa.Column("not_modified", sa.Boolean, nullable=False),
        sa.Column("imported_from", sa.String),
    )
    op.create_index("ix_fetch_run_id", "fetch", ["run_id"])
    op.create_index("ix_fetch_source", "fetch", ["source"])
    op.create_index("ix_fetch_request_key", "fetch", ["request_key"])
    op.create_table(
        "finding",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("key", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("measure_id", sa.String, nullable=False),
        sa.Column("celex", sa.String),
        sa.Column("member_state", sa.String),
        sa.Column("date", sa.Date),
        sa.Column("title", sa.String),
        sa.Column("reference", sa.String),
        sa.Column("url", sa.String),
        sa.Column("stage", sa.String),
        sa.Column("data", sa.String),
        sa.Column("content_hash", sa.String, nullable=False),
        sa.Column("fetch_id", sa.Integer, sa.ForeignKey("fetch.id")),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("first_seen_run", sa.Integer),
        sa.Column("last_seen_run", sa.Integer),
        sa.Column("first_seen_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("withdrawn_at", sa.DateTime),
        sa.UniqueConstraint("source", "measure_id", "key", name="uq_finding_source_measure_key"),
    )
    op.create_index("ix_finding_source", "finding", ["source"])
    op.create_index("ix_finding_measure_id", "finding", ["measure_id"])
    op.create_index("ix_finding_member_state", "finding", ["member_state"])
    op.create_table(
        "source_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("refresh_run.id"), nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("reason", sa.String),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("not_modified", sa.Integer, nullable=False),
        sa.Column("findings_new", sa.Integer, nullable=False),
        sa.Column("findings_changed", sa.Integer, nullable=False),
        sa.Column("findings_gone", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
    )
    op.create_index("ix_source_run_run_id", "source_run", ["run_id"])
    op.create_index("ix_source_run_source", "source_run", ["source"])
    op.create_table(
        "coverage",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("refresh_run.id"), nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("measure_id", sa.String, nullable=False),
        sa.Column("member_state", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("reason", sa.String),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.Column("fetch_id", sa.Integer, sa.ForeignKey("fetch.id")),
    )
    op.create_index("ix_coverage_run_id", "coverage", ["run_id"])
    op.create_index("ix_coverage_measure_id", "coverage", ["measure_id"])
    op.create_table(
        "act_metadata",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("measure_id", sa.String, nullable=False),
        sa.Column("celex", sa.String, nullable=False),
        sa.Column("data", sa.String, nullable=False),
        sa.Column("fetch_id", sa.Integer, sa.ForeignKey("fetch.id")),
        sa.Column("retrieved_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_act_metadata_measure_id", "act_metadata", ["measure_id"])
    op.create_table(
        "assessment_snapshot",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("refresh_run.id"), nullable=False),
        sa.Column("member_state", sa.String, nullable=False),
        sa.Column("measure_id", sa.String, nullable=False),
        sa.Column("obligation_id", sa.String),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("rule", sa.String, nullable=False),
        sa.Column("reason", sa.String, nullable=False),
        sa.Column("deadline", sa.Date),
        sa.Column("evidence", sa.String),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_assessment_snapshot_run_id", "assessment_snapshot", ["run_id"])
    op.create_index("ix_assessment_snapshot_member_state", "assessment_snapshot", ["member_state"])


def downgrade() -> None:
    for table in (
        "assessment_snapshot",
        "act_metadata",
        "coverage",
        "source_run",
        "finding",
        "fetch",
        "refresh_run",
    ):
        op.drop_table(table)
