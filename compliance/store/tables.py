"""SQLModel tables of the store. Changing one needs a migration in compliance/store/migrations/."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from sqlalchemy import Column, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class RefreshRun(SQLModel, table=True):
    """One `compliance refresh` or `compliance import`."""

    __tablename__ = "refresh_run"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = "refresh"  # refresh | import | withdraw
    started_at: datetime
    finished_at: datetime | None = None
    status: str = "running"  # running | ok | partial | failed | interrupted
    summary: str | None = None  # JSON


class Fetch(SQLModel, table=True):
    """One HTTP response (or imported file) that findings rest on: the evidence provenance."""

    __tablename__ = "fetch"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int | None = Field(default=None, foreign_key="refresh_run.id", index=True)
    source: str = Field(index=True)
    method: str = "GET"
    url: str
    final_url: str | None = None
    request: str | None = None  # JSON, secrets redacted
    request_key: str | None = Field(default=None, index=True)
    status_code: int | None = None
    retrieved_at: datetime
    sha256: str
    size: int
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    archive_path: str | None = None
    not_modified: bool = False
    imported_from: str | None = None  # file name for `compliance import`
    warning: str | None = None  # the answer said it may be incomplete (a Virtuoso partial-result header)


class Finding(SQLModel, table=True):
    """A fact a source found: a national measure, an infringement decision, a ratification ..."""

    __tablename__ = "finding"
    __table_args__ = (
        UniqueConstraint("source", "measure_id", "key", name="uq_finding_source_measure_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    key: str  # the source's own stable id for the item
    kind: str
    measure_id: str = Field(index=True)
    celex: str | None = None
    member_state: str | None = Field(default=None, index=True)
    date: dt.date | None = None
    title: str | None = None
    reference: str | None = None
    url: str | None = None
    stage: str | None = None
    data: str | None = None  # JSON of every parsed field
    content_hash: str  # sha256 of the normalised data, to tell changed from unchanged
    fetch_id: int | None = Field(default=None, foreign_key="fetch.id")
    active: bool = True  # False once its absence from healthy searches is confirmed (store/writer.py)
    first_seen_run: int | None = None
    last_seen_run: int | None = None
    first_seen_at: datetime
    last_seen_at: datetime
    withdrawn_at: datetime | None = None
    # Pending withdrawal: the first healthy search that no longer listed it, and how many healthy
    # searches in a row have not listed it since (both cleared when it is listed again).
    missing_since: datetime | None = None
    missing_runs: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    withdrawal: str | None = None  # why it was withdrawn: confirmed absence, or `compliance withdraw`


class SourceRun(SQLModel, table=True):
    """How one source did in one run: its health and counts."""

    __tablename__ = "source_run"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="refresh_run.id", index=True)
    source: str = Field(index=True)
    started_at: datetime
    finished_at: datetime | None = None
    status: str = "running"  # ok | failed | blocked | suspect | unavailable | running
    reason: str | None = None
    requests: int = 0
    not_modified: int = 0
    findings_new: int = 0
    findings_changed: int = 0
    findings_gone: int = 0
    findings_pending: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    errors: int = 0


class Coverage(SQLModel, table=True):
    """A source's word on whether it could look for evidence of a measure, per run."""

    __tablename__ = "coverage"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="refresh_run.id", index=True)
    source: str
    measure_id: str = Field(index=True)
    member_state: str = "*"
    status: str  # ok | failed | blocked | suspect | unavailable
    reason: str | None = None
    checked_at: datetime
    fetch_id: int | None = Field(default=None, foreign_key="fetch.id")


class ActMetadata(SQLModel, table=True):
    """Official metadata of a catalogued act (CELLAR), compared with the catalogue."""

    __tablename__ = "act_metadata"
    id: int | None = Field(default=None, primary_key=True)
    source: str
    measure_id: str = Field(index=True)
    celex: str
    data: str  # JSON: title, date, entry_into_force[], transposition[], in_force, amended_by[]
    fetch_id: int | None = Field(default=None, foreign_key="fetch.id")
    retrieved_at: datetime


class AssessmentSnapshot(SQLModel, table=True):
    """The assessments a refresh produced, kept so history and diffs can be derived."""

    __tablename__ = "assessment_snapshot"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="refresh_run.id", index=True)
    member_state: str = Field(index=True)
    measure_id: str
    obligation_id: str | None = None
    status: str
    rule: str
    reason: str
    deadline: dt.date | None = None
    evidence: str | None = None  # JSON list of finding ids / curated keys
    created_at: datetime


class DigestDelivery(SQLModel, table=True):
    """One digest delivery (a mail to a recipient set, or a webhook call) for one period.

    The same period key, Member States, channel and recipients are sent at most once; a failed
    delivery stays `failed` with its error and is retried by the next digest run.
    """

    __tablename__ = "digest_delivery"
    __table_args__ = (
        UniqueConstraint("period_key", "member_states", "channel", "recipients", name="uq_digest_delivery"),
    )
    id: int | None = Field(default=None, primary_key=True)
    period_key: str = Field(index=True)  # "<since date>..<until date>" (UTC)
    member_states: str  # comma-separated codes, sorted
    channel: str  # smtp | webhook
    recipients: str  # sorted lower-case addresses, comma-separated; for a webhook its redacted URL + hash
    status: str = Field(index=True)  # sent | failed
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime
    sent_at: datetime | None = None
