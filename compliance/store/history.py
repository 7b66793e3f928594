"""History: what changed between refresh runs, derived from what the store already keeps.

Nothing here writes. Every refresh appends its assessments to `assessment_snapshot`; findings
carry `first_seen_at` / `withdrawn_at`; every source's outcome per run is a `source_run` row. A
diff compares consecutive snapshots (status transitions), reads the findings that appeared or
were withdrawn in the window, and the sources whose health changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError

from ..catalogue.load import Catalogue
from ..clock import from_db, to_db, utcnow
from ..errors import InputError, StoreError
from ..model import Evidence
from . import tables
from .engine import Store

_RELATIVE = re.compile(r"^\s*(\d{1,4})\s*([dw])\s*$", re.IGNORECASE)


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """`7d`, `2w` (days / weeks before now) or an ISO date (its start, UTC) / datetime."""
    now = now or utcnow()
    match = _RELATIVE.match(value)
    if match:
        n, unit = int(match.group(1)), match.group(2).lower()
        return now - timedelta(days=n * (7 if unit == "w" else 1))
    try:
        if len(value.strip()) == 10:
            return datetime.combine(date.fromisoformat(value.strip()), time.min, tzinfo=UTC)
        return to_db(datetime.fromisoformat(value.strip()))
    except ValueError:
        raise InputError(
            f"--since {value!r}: use a number of days or weeks (7d, 2w) or a date (YYYY-MM-DD)"
        ) from None


# -- the records a diff is made of ------------------------------------------------------------------


@dataclass(frozen=True)
class RunInfo:
    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None

    @property
    def at(self) -> datetime:
        return self.finished_at or self.started_at

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": self.status,
                "started_at": _iso(self.started_at), "finished_at": _iso(self.finished_at)}


@dataclass(frozen=True)
class Link:
    """One item of evidence cited by a change: where it came from and where to see it."""

    source: str
    kind: str
    title: str | None
    url: str | None
    reference: str | None = None
    date: date | None = None
    sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "title": self.title, "url": self.url,
                "reference": self.reference, "date": self.date.isoformat() if self.date else None,
                "sha256": self.sha256}


@dataclass(frozen=True)
class Transition:
    """A status change of one obligation of one Member State between two snapshots."""

    member_state: str
    measure_id: str
    measure_title: str
    obligation_id: str | None
    deadline: date | None
    before: str | None  # None: the assessment did not exist in the earlier snapshot
    after: str | None  # None: it no longer exists (the catalogue changed)
    rule: str
    reason: str
    at: datetime
    from_run: int
    to_run: int
    evidence: tuple[Link, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "member_state": self.member_state, "measure": self.measure_id, "title": self.measure_title,
            "obligation": self.obligation_id, "deadline": self.deadline.isoformat() if self.deadline else None,
            "from": self.before, "to": self.after, "rule": self.rule, "reason": self.reason,
            "at": _iso(self.at), "from_run": self.from_run, "to_run": self.to_run,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class EvidenceChange:
    change: str  # new | withdrawn | pending (not listed since `at`: withdrawn only once confirmed)
    at: datetime
    finding_id: int
    source: str
    kind: str
    measure_id: str
    member_state: str | None
    title: str | None
    reference: str | None
    url: str | None
    date: date | None
    sha256: str | None
    note: str | None = None  # why it was withdrawn, or what a pending withdrawal waits for

    def to_dict(self) -> dict[str, Any]:
        return {
            "change": self.change, "at": _iso(self.at), "finding_id": self.finding_id, "source": self.source,
            "kind": self.kind, "measure": self.measure_id, "member_state": self.member_state,
            "title": self.title, "reference": self.reference, "url": self.url,
            "date": self.date.isoformat() if self.date else None, "sha256": self.sha256, "note": self.note,
        }


@dataclass(frozen=True)
class SourceChange:
    source: str
    before: str | None  # None: the source had not run before the window
    after: str
    at: datetime
    run_id: int
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "from": self.before, "to": self.after, "at": _iso(self.at),
                "run_id": self.run_id, "reason": self.reason}


@dataclass
class Diff:
    since: datetime
    until: datetime
    member_states: list[str] | None
    from_run: RunInfo | None
    to_run: RunInfo | None
    transitions: list[Transition] = field(default_factory=list)
    evidence_new: list[EvidenceChange] = field(default_factory=list)
    evidence_withdrawn: list[EvidenceChange] = field(default_factory=list)
    evidence_pending: list[EvidenceChange] = field(default_factory=list)
    source_changes: list[SourceChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    store: str | None = None  # the store the changes were read from (its label)

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": _iso(self.since), "until": _iso(self.until), "member_states": self.member_states,
            "from_run": self.from_run.to_dict() if self.from_run else None,
            "to_run": self.to_run.to_dict() if self.to_run else None,
            "transitions": [t.to_dict() for t in self.transitions],
            "evidence": {"new": [e.to_dict() for e in self.evidence_new],
                         "withdrawn": [e.to_dict() for e in self.evidence_withdrawn],
                         "pending": [e.to_dict() for e in self.evidence_pending]},
            "sources": [s.to_dict() for s in self.source_changes],
            "notes": self.notes,
            "store": self.store,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


# -- reading the store ------------------------------------------------------------------------------


def _read(store: Store, what: str, stmt: Any) -> list[Any]:
    try:
        with store.session() as session:
            return list(session.execute(stmt).all())
    except SQLAlchemyError as exc:
        raise StoreError(f"{store.label}: cannot read {what} ({exc})") from None


def snapshot_runs(store: Store) -> list[RunInfo]:
    """The runs that stored assessment snapshots, oldest first."""
    r, a = tables.RefreshRun, tables.AssessmentSnapshot
    ids = select(a.run_id).distinct()
    rows = _read(store, "refresh runs", select(r).where(r.id.in_(ids)).order_by(r.id))
    return [
        RunInfo(row.id, row.kind, row.status, from_db(row.started_at), from_db(row.finished_at))
        for (row,) in rows
    ]


def run_by_id(store: Store, run_id: int) -> RunInfo:
    for run in snapshot_runs(store):
        if run.id == run_id:
            return run
    raise InputError(f"run {run_id} has no stored snapshot (see the run ids in `compliance diff --format json`)")


SnapshotKey = tuple[str, str, str]  # member state, measure id, obligation id ("" for none)


def load_snapshot(store: Store, run_id: int, member_states: list[str] | None) -> dict[SnapshotKey, Any]:
    a = tables.AssessmentSnapshot
    stmt = select(a).where(a.run_id == run_id)
    if member_states is not None:
        stmt = stmt.where(a.member_state.in_(member_states))
    return {(row.member_state, row.measure_id, row.obligation_id or ""): row
            for (row,) in _read(store, "assessment snapshots", stmt)}


class _Resolver:
    """Turns the evidence ids stored in a snapshot back into citable links."""

    def __init__(self, store: Store, catalogue: Catalogue) -> None:
        self.store = store
        self.curated = {e.key: e for e in catalogue.curated if e.key}

    def findings(self, ids: Iterable[int]) -> dict[int, Link]:
        ids = sorted(set(ids))
        if not ids:
            return {}
        f, fe = tables.Finding, tables.Fetch
        stmt = select(f, fe.url, fe.sha256).outerjoin(fe, f.fetch_id == fe.id).where(f.id.in_(ids))
        return {
            row.id: Link(row.source, row.kind, row.title, row.url or fetch_url, row.reference, row.date, sha)
            for row, fetch_url, sha in _read(self.store, "findings", stmt)
        }

    def searches(self, run_id: int, measure_id: str, member_state: str) -> tuple[Link, ...]:
        """The successful searches of a run that found nothing: what an `overdue` rests on."""
        c, fe = tables.Coverage, tables.Fetch
        stmt = (
            select(c, fe.url, fe.sha256).outerjoin(fe, c.fetch_id == fe.id)
            .where(c.run_id == run_id, c.measure_id == measure_id, c.status == "ok",
                   or_(c.member_state == "*", c.member_state == member_state))
            .order_by(c.source)
        )
        return tuple(
            Link(row.source, "search", f"search of {row.source} found no measures", url, None, None, sha)
            for row, url, sha in _read(self.store, "coverage", stmt)
        )

    def curated_link(self, key: str) -> Link | None:
        e: Evidence | None = self.curated.get(key)
        if e is None:
            return None
        return Link("curated", e.kind, e.title, e.url, e.reference, e.date, None)


def _evidence_ids(raw: str | None) -> list[int | str]:
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [v for v in value if isinstance(v, int | str)] if isinstance(value, list) else []


def transitions(
    store: Store,
    catalogue: Catalogue,
    runs: list[RunInfo],
    member_states: list[str] | None,
) -> list[Transition]:
    """Status changes between each pair of consecutive snapshot runs in `runs`."""
    resolver = _Resolver(store, catalogue)
    pending: list[tuple[dict[str, Any], Any, RunInfo]] = []
    previous = load_snapshot(store, runs[0].id, member_states) if runs else {}
    for earlier, later in zip(runs, runs[1:], strict=False):
        current = load_snapshot(store, later.id, member_states)
        for key in sorted(set(previous) | set(current)):
            old, new = previous.get(key), current.get(key)
            if old is not None and new is not None and old.status == new.status:
                continue
            row = new if new is not None else old
            pending.append(({
                "member_state": key[0], "measure_id": key[1], "obligation_id": key[2] or None,
                "deadline": row.deadline, "before": old.status if old is not None else None,
                "after": new.status if new is not None else None, "rule": row.rule, "reason": row.reason,
                "at": later.at, "from_run": earlier.id, "to_run": later.id,
            }, row, later))
        previous = current
    ids = [i for _, row, _ in pending for i in _evidence_ids(row.evidence) if isinstance(i, int)]
    found = resolver.findings(ids)
    result = []
    for fields, row, later in pending:
        links: list[Link] = []
        for ident in _evidence_ids(row.evidence):
            link = found.get(ident) if isinstance(ident, int) else resolver.curated_link(ident)
            if link is not None:
                links.append(link)
        if fields["after"] == "overdue" and not links:
            links.extend(resolver.searches(later.id, fields["measure_id"], fields["member_state"]))
        measure = catalogue.measures.get(fields["measure_id"])
        result.append(Transition(measure_title=measure.title if measure else fields["measure_id"],
                                 evidence=tuple(links), **fields))
    return result


def evidence_changes(
    store: Store, since: datetime, until: datetime, member_states: list[str] | None
) -> tuple[list[EvidenceChange], list[EvidenceChange], list[EvidenceChange]]:
    """Findings first seen, withdrawn, and no longer listed (pending withdrawal), in (since, until].

    A pending one is listed while it still is pending at `until`: not withdrawn by then (it may
    have been since) and not listed again (which clears `missing_since`)."""
    f, fe = tables.Finding, tables.Fetch
    lo, hi = to_db(since), to_db(until)
    stmt = (
        select(f, fe.url, fe.sha256).outerjoin(fe, f.fetch_id == fe.id)
        .where(or_(f.first_seen_at.between(lo, hi), f.withdrawn_at.between(lo, hi),
                   f.missing_since.between(lo, hi)))
        .order_by(f.id)
    )
    if member_states is not None:
        stmt = stmt.where(f.member_state.in_(member_states))
    new: list[EvidenceChange] = []
    withdrawn: list[EvidenceChange] = []
    pending: list[EvidenceChange] = []
    for row, fetch_url, sha in _read(store, "findings", stmt):
        gone_at = from_db(row.withdrawn_at)
        still_pending = gone_at is None or gone_at > until
        for change, at, target, note in (
            ("new", row.first_seen_at, new, None),
            ("withdrawn", row.withdrawn_at, withdrawn, row.withdrawal),
            ("pending", row.missing_since if still_pending else None, pending, PENDING_NOTE),
        ):
            at = from_db(at)
            if at is not None and since < at <= until:
                target.append(EvidenceChange(
                    change=change, at=at, finding_id=row.id, source=row.source, kind=row.kind,
                    measure_id=row.measure_id, member_state=row.member_state, title=row.title,
                    reference=row.reference, url=row.url or fetch_url, date=row.date, sha256=sha, note=note,
                ))
    return new, withdrawn, pending


PENDING_NOTE = "not listed since then: it still counts until its absence is confirmed"


def source_changes(
    store: Store, since: datetime, until: datetime, member_states: list[str] | None = None
) -> list[SourceChange]:
    """Each change of a source's run status in (since, until], against its status before."""
    from ..sources import SOURCES

    last: dict[str, str] = {}
    result = []
    for run in store.source_runs():
        if run.status == "running":
            continue
        info = SOURCES.get(run.source)
        if member_states is not None and info is not None and info.member_states \
                and not set(info.member_states) & set(member_states):
            continue  # a national source of a Member State outside the selection
        at = from_db(run.finished_at or run.started_at)
        if at > until:
            break
        before = last.get(run.source)
        last[run.source] = run.status
        if at > since and before != run.status:
            result.append(SourceChange(run.source, before, run.status, at, run.run_id, run.reason))
    return result


def diff(
    store: Store,
    catalogue: Catalogue,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    from_run: int | None = None,
    to_run: int | None = None,
    member_states: list[str] | None = None,
) -> Diff:
    """What changed: by time window (`since`, `until`) or between two runs (`from_run`, `to_run`)."""
    runs = snapshot_runs(store)
    notes: list[str] = []
    if from_run is not None or to_run is not None:
        first = run_by_id(store, from_run) if from_run is not None else (runs[0] if runs else None)
        last = run_by_id(store, to_run) if to_run is not None else (runs[-1] if runs else None)
        if first is None or last is None:
            raise InputError("no refresh run has stored a snapshot yet: run compliance refresh")
        if first.id > last.id:
            raise InputError(f"--from {first.id} is later than --to {last.id}")
        chain = [r for r in runs if first.id <= r.id <= last.id]
        since, until = first.at, last.at
    else:
        until = until or utcnow()
        since = since or until - timedelta(days=7)
        if since >= until:
            raise InputError(f"--since {since.date().isoformat()} is not before {until.date().isoformat()}")
        before = [r for r in runs if r.at <= since]
        inside = [r for r in runs if since < r.at <= until]
        chain = before[-1:] + inside
        if not runs:
            notes.append("no refresh run has stored a snapshot yet: run compliance refresh")
        elif not before and inside:
            notes.append(f"history starts with run {inside[0].id} on {_iso(inside[0].at)}: "
                         "changes before it are not known")
        if runs and not inside:
            notes.append("no refresh run in this period: status transitions cannot be shown")
    result = Diff(since=since, until=until, member_states=member_states,
                  from_run=chain[0] if chain else None, to_run=chain[-1] if chain else None, notes=notes,
                  store=store.label)
    if len(chain) >= 2:
        result.transitions = transitions(store, catalogue, chain, member_states)
    result.evidence_new, result.evidence_withdrawn, result.evidence_pending = evidence_changes(
        store, since, until, member_states)
    result.source_changes = source_changes(store, since, until, member_states)
    return result
