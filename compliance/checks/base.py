"""What every rule shares: the Rule record, the evaluation context, and the evidence tests.

Rules never touch the network or the store: they read a Context that report/assembly.py fills.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..model import Assessment, Coverage, Evidence, Measure, Obligation, Severity, Status
from ..sources import SOURCES, sources_giving

NO_EVIDENCE_YET = "no evidence collected yet: run compliance refresh"


@dataclass(frozen=True)
class Rule:
    id: str  # permanent, never reused
    title: str
    severity: Severity
    why: str


def source_max_age(source: str, overrides: dict[str, float]) -> float:
    """How many days a source's search stays fresh: [sources.NAME] max_age_days, else its default."""
    if source in overrides:
        return overrides[source]
    info = SOURCES.get(source)
    return info.max_age_days if info else 14.0


@dataclass
class Context:
    """Everything the rules may look at, indexed for cheap lookups."""

    as_of: date
    now: datetime
    horizon_days: int
    evidence: Iterable[Evidence] = ()
    coverage: Iterable[Coverage] = ()
    metadata: dict[str, dict] = field(default_factory=dict)  # measure id -> official metadata
    max_age_days: dict[str, float] = field(default_factory=dict)  # per-source override
    # index_coverage(coverage), when the caller already has it (one per Member State's Context).
    coverage_index: dict[str, list[Coverage]] | None = None
    facts: dict[str, list] = field(default_factory=dict)  # measure id -> facts.FactCheck (act texts)

    def __post_init__(self) -> None:
        # (measure id, member state) -> kind -> items, in the order given.
        self._evidence: dict[tuple[str, str], dict[str, list[Evidence]]] = {}
        for item in self.evidence:
            by_kind = self._evidence.get((item.measure_id or "", item.member_state or ""))
            if by_kind is None:
                by_kind = self._evidence[(item.measure_id or "", item.member_state or "")] = {}
            group = by_kind.get(item.kind)
            if group is None:
                by_kind[item.kind] = [item]
            else:
                group.append(item)
        self._coverage = self.coverage_index if self.coverage_index is not None else self.index_coverage(
            self.coverage)
        self._items: dict[tuple[str, str, frozenset[str]], list[Evidence]] = {}
        self._searched_by: set[str] | None = None  # the sources with any search stored (lazily)

    def sources_with_searches(self) -> set[str]:
        """The sources that have stored a search of any measure: they have run."""
        if self._searched_by is None:
            self._searched_by = {row.source for rows in self._coverage.values() for row in rows}
        return self._searched_by

    @staticmethod
    def index_coverage(coverage: Iterable[Coverage]) -> dict[str, list[Coverage]]:
        index: dict[str, list[Coverage]] = defaultdict(list)
        for row in coverage:
            index[row.measure_id].append(row)
        return index

    @property
    def horizon_end(self) -> date:
        return self.as_of + timedelta(days=self.horizon_days)

    def items(self, measure: Measure, member_state: str, kinds: set[str]) -> list[Evidence]:
        """Evidence of the given kinds, known to exist at as_of; live sources supersede curated.

        The same question is asked by several rules (and for several obligations of a measure):
        the answer is kept. Callers must not change the list they get."""
        key = (measure.id, member_state, frozenset(kinds))
        known = self._items.get(key)
        if known is not None:
            return known
        by_kind = self._evidence.get((measure.id, member_state))
        found: list[Evidence] = []
        if by_kind:
            as_of = self.as_of
            for kind in sorted(kinds & by_kind.keys()):
                found += [e for e in by_kind[kind] if e.date is None or e.date <= as_of]
            if len(found) > 1 and len(kinds & by_kind.keys()) > 1:
                order = {id(e): i for i, e in enumerate(e for group in by_kind.values() for e in group)}
                found.sort(key=lambda e: order[id(e)])
        curated = [e for e in found if e.curated]
        if curated:
            live = [e for e in found if not e.curated]
            if self.usable_coverage(measure, member_state, kinds):
                curated = []  # a live source looked for this: its word replaces the curated facts
            found = live + curated
        self._items[key] = found
        return found

    def max_age(self, source: str) -> float:
        return source_max_age(source, self.max_age_days)

    def coverage_rows(self, measure: Measure, member_state: str, kinds: set[str]) -> list[Coverage]:
        names = set().union(*(sources_giving(k) for k in kinds)) if kinds else set()
        return [
            c
            for c in self._coverage.get(measure.id, ())
            if c.source in names and c.member_state in ("*", member_state)
        ]

    def is_fresh(self, row: Coverage) -> bool:
        return self.now - row.checked_at <= timedelta(days=self.max_age(row.source))

    def usable_coverage(self, measure: Measure, member_state: str, kinds: set[str]) -> list[Coverage]:
        """Healthy, fresh searches that could have found evidence of `kinds`: only these may
        turn an absence of evidence into a gap."""
        return [
            c
            for c in self.coverage_rows(measure, member_state, kinds)
            if c.status == "ok" and self.is_fresh(c)
        ]

    def why_no_coverage(self, measure: Measure, member_state: str, kinds: set[str]) -> str:
        """Why an absence of evidence cannot be trusted, for an `unknown` reason."""
        rows = self.coverage_rows(measure, member_state, kinds)
        if not rows:
            giving = set().union(*(sources_giving(k) for k in kinds)) if kinds else set()
            ran = sorted(giving & self.sources_with_searches())
            if not giving:
                return "no source tracks this yet; add evidence with compliance import"
            if ran:  # they ran, and searched other measures but never this one
                names = ", ".join(ran[:3]) + (" ..." if len(ran) > 3 else "")
                if measure.origin != "built-in":  # perhaps added after they last ran
                    return (f"not searched yet ({names} last ran without it): the next compliance refresh "
                            "searches it if a source follows it; else add evidence with compliance import")
                return f"no source tracks this measure ({names} ran without searching it); add evidence with " \
                       "compliance import"
            return NO_EVIDENCE_YET
        reasons = []
        for row in sorted(rows, key=lambda r: r.source):
            when = row.checked_at.date().isoformat()
            if row.status != "ok":
                detail = f": {row.reason}" if row.reason else ""
                reasons.append(f"source {row.source} {row.status} on {when}{detail}")
            else:
                age = (self.now - row.checked_at).days
                reasons.append(
                    f"evidence stale: {row.source} last checked {age} days ago "
                    f"(older than {self.max_age(row.source):g} days)"
                )
        return "; ".join(reasons)


def absence_evidence(rows: list[Coverage]) -> tuple[Evidence, ...]:
    """The searches that found nothing, cited as evidence for an `overdue`."""
    return tuple(
        Evidence(
            source=r.source,
            kind="search",
            title=f"search of {r.source} found no measures",
            url=r.url,
            reference=None,
            date=None,
            retrieved_at=r.checked_at,
            sha256=r.sha256,
            fetch_id=r.fetch_id,
        )
        for r in rows
    )


def pending_notes(evidence: Iterable[Evidence]) -> list[str]:
    """One note per source whose evidence here is pending withdrawal (not listed by its latest
    healthy searches): it still counts until its absence is confirmed."""
    by_source: dict[str, list[Evidence]] = defaultdict(list)
    for e in evidence:
        if e.not_listed_since is not None:
            by_source[e.source].append(e)
    notes = []
    for source, items in sorted(by_source.items()):
        since = min(e.not_listed_since for e in items if e.not_listed_since).date().isoformat()
        what = (items[0].reference or items[0].title or items[0].key or "an item") if len(items) == 1 \
            else f"{len(items)} items of this evidence"
        notes.append(f"withdrawal pending: {source} has not listed {what} since {since}; it counts until "
                     "its absence is confirmed")
    return notes


def first_date(items: list[Evidence]) -> date | None:
    dates = [e.date for e in items if e.date is not None]
    return min(dates) if dates else None


def assessment(
    rule: Rule,
    measure: Measure,
    obligation: Obligation | None,
    member_state: str,
    status: Status,
    reason: str,
    evidence: Iterable[Evidence] = (),
    *,
    verified: bool | None = None,
    notes: Iterable[str] = (),
    met_on: date | None = None,
) -> Assessment:
    evidence = tuple(evidence)
    if verified is None:
        verified = obligation.verified if obligation else True
        verified = verified and measure.applicability(member_state).verified
        verified = verified and all(e.verified for e in evidence)
    if any(e.not_listed_since is not None for e in evidence):
        notes = (*notes, *pending_notes(evidence))
    return Assessment(
        member_state=member_state,
        measure=measure,
        obligation=obligation,
        status=status,
        rule=rule.id,
        severity=rule.severity,
        reason=reason,
        deadline=obligation.date if obligation else None,
        evidence=evidence,
        verified=verified,
        notes=tuple(notes),
        met_on=met_on,
    )


def dated_status(
    rule: Rule,
    measure: Measure,
    obligation: Obligation,
    member_state: str,
    ctx: Context,
    kinds: set[str],
    *,
    found_what: str,
    missing_what: str,
    named_only: bool = False,
) -> Assessment:
    """The common shape of a dated obligation: met / met-late with evidence, else not-due,
    due-soon, overdue (only with fresh, healthy coverage) or unknown.

    Evidence tied to another obligation of the measure never counts; with `named_only`, only
    evidence that names this obligation does."""
    deadline = obligation.date
    allowed = (obligation.id,) if named_only else (None, obligation.id)
    items = [e for e in ctx.items(measure, member_state, kinds) if e.obligation_id in allowed]
    if items:
        first = first_date(items)
        if deadline is None or first is None:
            note = "" if first else " (dates not given: timeliness not assessed)"
            return assessment(rule, measure, obligation, member_state, Status.MET,
                              f"{found_what}{note}", items)
        if first <= deadline:
            return assessment(rule, measure, obligation, member_state, Status.MET,
                              f"{found_what}: first on {first.isoformat()}, on time", items, met_on=first)
        late = (first - deadline).days
        return assessment(rule, measure, obligation, member_state, Status.MET_LATE,
                          f"{found_what}: first on {first.isoformat()}, {late} days late", items, met_on=first)
    if deadline is None:
        return assessment(rule, measure, obligation, member_state, Status.UNKNOWN,
                          f"deadline not fixed: {obligation.date_text}")
    if deadline > ctx.horizon_end:
        left = (deadline - ctx.as_of).days
        return assessment(rule, measure, obligation, member_state, Status.NOT_DUE,
                          f"due {deadline.isoformat()}, in {left} days")
    if deadline >= ctx.as_of:
        left = (deadline - ctx.as_of).days
        return assessment(rule, measure, obligation, member_state, Status.DUE_SOON,
                          f"due {deadline.isoformat()}, in {left} days; no {missing_what} found yet")
    late = (ctx.as_of - deadline).days
    usable = ctx.usable_coverage(measure, member_state, kinds)
    if usable:
        names = ", ".join(sorted({c.source for c in usable}))
        return assessment(
            rule, measure, obligation, member_state, Status.OVERDUE,
            f"deadline passed {late} days ago; no {missing_what} found in {names}",
            absence_evidence(usable),
        )
    return assessment(
        rule, measure, obligation, member_state, Status.UNKNOWN,
        f"deadline passed {late} days ago; {ctx.why_no_coverage(measure, member_state, kinds)}",
    )
