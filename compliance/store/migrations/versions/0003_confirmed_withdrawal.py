"""Confirmed withdrawals and partial answers.

A finding that a healthy search no longer lists is first pending ("not listed since"): it keeps
supporting its status until its absence is confirmed (see store/writer.py). `missing_since`
is the time of the first healthy search that did not list it, `missing_runs` how many healthy
searches in a row have not listed it since, `withdrawal` why it was withdrawn (confirmed
absence, or `compliance withdraw` with the user's reason). A fetch keeps any warning its answer
carried (a Virtuoso partial-result header), so that a later 304 reusing the body keeps it too;
a source run counts the findings it left pending (`findings_pending`).

Every existing row is kept: new columns are NULL (0 for the counter); a finding withdrawn before
this revision stays withdrawn, with no reason recorded.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("finding") as batch:
        batch.add_column(sa.Column("missing_since", sa.DateTime))
        batch.add_column(sa.Column("missing_runs", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("withdrawal", sa.String))
    with op.batch_alter_table("fetch") as batch:
        batch.add_column(sa.Column("warning", sa.String))
    with op.batch_alter_table("source_run") as batch:
        batch.add_column(sa.Column("findings_pending", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("source_run") as batch:
        batch.drop_column("findings_pending")
    with op.batch_alter_table("fetch") as batch:
        batch.drop_column("warning")
    with op.batch_alter_table("finding") as batch:
        batch.drop_column("withdrawal")
        batch.drop_column("missing_runs")
        batch.drop_column("missing_since")
