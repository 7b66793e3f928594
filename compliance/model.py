"""Domain types shared by the catalogue, the rules and the renderers.

These are plain frozen dataclasses: cheap to import (the `check` path loads them on every run)
and easy to compare in tests. The store has its own SQLModel tables; `store/engine.py` converts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class Status(enum.StrEnum):
    """The one status vocabulary used everywhere (CLI, JSON, HTML, digests)."""

    NOT_APPLICABLE = "not-applicable"
    NOT_DUE = "not-due"
    DUE_SOON = "due-soon"
    MET = "met"
    MET_LATE = "met-late"
    OVERDUE = "overdue"
    INFRINGEMENT = "infringement"
    UNKNOWN = "unknown"
    WAIVED = "waived"

    def __str__(self) -> str:
        return self.value


STATUS_MEANINGS: dict[Status, str] = {
    Status.NOT_APPLICABLE: "the Member State is not bound; the reason and legal basis are shown",
    Status.NOT_DUE: "the deadline is beyond the horizon",
    Status.DUE_SOON: "the deadline is within the horizon and nothing is found yet",
    Status.MET: "measures notified or adopted on time, with evidence",
    Status.MET_LATE: "measures notified or adopted after the deadline, with evidence",
    Status.OVERDUE: "the deadline has passed and fresh sources show no measures",
    Status.INFRINGEMENT: "the Commission has an open case",
    Status.UNKNOWN: "the evidence needed is missing, failed or stale: never a pass, never a gap",
    Status.WAIVED: "a finding muted by a waiver that has a reason and an expiry",
}

# Order used to group reports: the most urgent first.
STATUS_ORDER: tuple[Status, ...] = (
    Status.INFRINGEMENT,
    Status.OVERDUE,
    Status.DUE_SOON,
    Status.UNKNOWN,
    Status.MET_LATE,
    Status.MET,
    Status.NOT_DUE,
    Status.WAIVED,
    Status.NOT_APPLICABLE,
)


class Severity(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class MemberState:
    code: str  # the EU's code (EL for Greece)
    iso: str  # ISO 3166-1 alpha-2 (GR for Greece)
    iso3: str
    name: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class Obligation:
    id: str
    type: str  # transposition | application | designation | national-strategy | ratification | ...
    addressee: str  # member-states | commission
    date: date | None
    date_text: str | None
    verified: bool
    article: str | None = None
    note: str | None = None
    act: str | None = None  # CELEX of the act whose text sets the date, when not the measure's own (an amendment)

    @property
    def label(self) -> str:
        return self.id if not self.article else f"{self.id} ({self.article})"


@dataclass(frozen=True)
class Applicability:
    status: str  # bound | not-bound | unknown | voluntary
    basis: str | None
    verified: bool
    note: str | None = None


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    kind: str
    celex: str | None
    celex_verified: bool
    strategy: str
    action: str
    obligations: tuple[Obligation, ...]
    default_applicability: Applicability
    exceptions: dict[str, Applicability]
    sources: tuple[str, ...]
    identifiers: dict[str, str] = field(default_factory=dict)
    oj: str | None = None
    adopted: date | None = None
    entry_into_force: date | None = None
    promised: str | None = None
    proposal: str | None = None
    verified: dict[str, bool] = field(default_factory=dict)
    notes: str | None = None
    origin: str = "built-in"  # "built-in" or the path of the user's catalogue file

    def applicability(self, member_state: str) -> Applicability:
        return self.exceptions.get(member_state, self.default_applicability)


@dataclass(frozen=True)
class Evidence:
    """One item a status rests on: a live finding (with its fetch) or a curated fact."""

    source: str  # source name, or "curated"
    kind: str  # national-measure | infringement | ratification | signature | proposal | ...
    title: str | None
    url: str | None
    reference: str | None
    date: date | None
    retrieved_at: datetime | None
    sha256: str | None
    verified: bool = True
    curated: bool = False
    recorded: date | None = None
    date_text: str | None = None
    stage: str | None = None  # infringement stage
    member_state: str | None = None
    measure_id: str | None = None
    obligation_id: str | None = None
    finding_id: int | None = None
    fetch_id: int | None = None
    key: str | None = None  # the source's own id for the item (NIM CELEX, case number ...)
    # Pending withdrawal: the source's healthy searches have not listed it since then; it still
    # counts until its absence is confirmed (store/writer.py).
    not_listed_since: datetime | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "kind": self.kind,
            "url": self.url,
            "reference": self.reference,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "date_text": self.date_text,
            "retrieved_at": self.retrieved_at.isoformat() if self.retrieved_at else None,
            "sha256": self.sha256,
            "curated": self.curated,
            "recorded": self.recorded.isoformat() if self.recorded else None,
            "verified": self.verified,
            "stage": self.stage,
            "not_listed_since": self.not_listed_since.isoformat() if self.not_listed_since else None,
        }


@dataclass(frozen=True)
class Coverage:
    """A source's latest word on whether it could look for evidence of a measure."""

    source: str
    measure_id: str
    member_state: str  # a code, or "*" for all
    status: str  # ok | failed | blocked | suspect | unavailable
    reason: str | None
    checked_at: datetime
    fetch_id: int | None = None
    url: str | None = None  # the request that looked (from the fetch)
    sha256: str | None = None


@dataclass(frozen=True)
class Assessment:
    member_state: str
    measure: Measure
    obligation: Obligation | None
    status: Status
    rule: str
    severity: Severity
    reason: str
    deadline: date | None
    evidence: tuple[Evidence, ...] = ()
    verified: bool = True
    notes: tuple[str, ...] = ()
    waiver: str | None = None  # the waiver's reason when waived
    # The status an overlay (an open infringement case, a waiver) was laid over, else None.
    underlying_status: Status | None = None
    met_on: date | None = None  # met / met-late: the date of the first evidence that met it

    def days(self, as_of: date) -> tuple[int, date] | None:
        """Days from the deadline (positive: late, negative: before it) and the day they are
        counted to: the day the obligation was met when it was, else `as_of`. None without a
        deadline, and for a met obligation whose evidence gives no date (timeliness unknown)."""
        if self.deadline is None:
            return None
        if self.met_on is not None:
            return (self.met_on - self.deadline).days, self.met_on
        if _MET & {self.status, self.underlying_status}:
            return None
        return (as_of - self.deadline).days, as_of


_MET = {Status.MET, Status.MET_LATE}
