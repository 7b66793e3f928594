"""Assemble per-Member-State reports: catalogue + stored evidence -> rules -> assessments."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol

from .. import __version__
from ..catalogue import facts, memberstates
from ..checks import RULES, crosscheck, evaluate
from ..checks import waivers as waiver_mod
from ..checks.base import Context
from ..clock import utcnow
from ..model import STATUS_ORDER, Assessment, Coverage, Evidence, Measure, Obligation, Status

if TYPE_CHECKING:
    from ..catalogue.load import Catalogue


class EvidenceStore(Protocol):
    """What reports read: store.Store, or storeread.SqliteReader on the `check` path."""

    label: str  # the store as reports name it (a file, or a URL without its password)

    def act_metadata(self) -> dict[str, dict]: ...
    def act_texts(self) -> dict[str, dict[str, dict]]: ...
    def evidence(self, member_states: list[str] | None = None, as_of: date | None = None) -> list[Evidence]: ...
    def evidence_as_of(self, member_states: list[str] | None, when: datetime,
                       as_of: date | None = None) -> list[Evidence]: ...
    def coverage(self, until: datetime | None = None) -> list[Coverage]: ...


@dataclass
class Report:
    member_state: str
    name: str
    as_of: date
    generated_at: datetime
    horizon_days: int
    catalogue_version: str
    assessments: list[Assessment]
    warnings: list[str] = field(default_factory=list)
    discrepancies: list[crosscheck.Discrepancy] = field(default_factory=list)
    tool_version: str = __version__
    store: str | None = None  # the store the evidence was read from (None: the catalogue alone)

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(a.status for a in self.assessments)
        return {s.value: counts.get(s, 0) for s in STATUS_ORDER}

    def grouped(self) -> list[tuple[Status, list[Assessment]]]:
        return [
            (status, [a for a in self.assessments if a.status == status])
            for status in STATUS_ORDER
            if any(a.status == status for a in self.assessments)
        ]


def _name(code: str) -> str:
    if code == memberstates.EU:
        return "European Commission (EU-level deliverables)"
    ms = memberstates.lookup(code)
    return ms.name if ms else code


def build_reports(
    catalogue: Catalogue,
    store: EvidenceStore | None,
    targets: list[str],
    *,
    as_of: date,
    horizon_days: int,
    measure_ids: list[str] | None = None,
    waivers: list[waiver_mod.Waiver] | None = None,
    max_age_days: dict[str, float] | None = None,
    now: datetime | None = None,
) -> list[Report]:
    return list(iter_reports(catalogue, store, targets, as_of=as_of, horizon_days=horizon_days,
                             measure_ids=measure_ids, waivers=waivers, max_age_days=max_age_days, now=now))


def iter_reports(
    catalogue: Catalogue,
    store: EvidenceStore | None,
    targets: list[str],
    *,
    as_of: date,
    horizon_days: int,
    measure_ids: list[str] | None = None,
    waivers: list[waiver_mod.Waiver] | None = None,
    max_age_days: dict[str, float] | None = None,
    now: datetime | None = None,
) -> Iterator[Report]:
    """The reports of `targets`, in that order, each computed from its own Member State's
    evidence only: a caller that writes each report before asking for the next holds one Member
    State's findings at a time. Waivers that match nothing are reported in the first report,
    which then waits for all the others to be evaluated."""
    now = now or utcnow()
    measures: list[Measure] = (
        [catalogue.get(m) for m in measure_ids] if measure_ids else list(catalogue.measures.values())
    )
    metadata = store.act_metadata() if store else {}
    measures = [enrich(m, metadata.get(m.id)) for m in measures]
    fact_checks = facts.compare_all(measures, store.act_texts()) if store else {}
    # A past as-of date is judged on the evidence as it stood at the end of that day (UTC):
    # findings first seen later are not used, withdrawn ones are, and freshness is measured
    # from then. Today or a future date uses the current evidence.
    seen_by = None
    if as_of < now.date():
        seen_by = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC) - timedelta(microseconds=1)
    coverage: list[Coverage] = []
    if store is not None:
        coverage = store.coverage() if seen_by is None else store.coverage(until=seen_by)
    coverage_index = Context.index_coverage(coverage)

    def evidence_of(code: str) -> list[Evidence]:
        # Evidence dated after as_of cannot count (Context.items); it is not read at all.
        live: list[Evidence] = []
        if store is not None:
            live = (store.evidence([code], as_of=as_of) if seen_by is None
                    else store.evidence_as_of([code], seen_by, as_of=as_of))
        return [*live, *(e for e in catalogue.curated if e.member_state == code)]

    def report(code: str) -> Report:
        ctx = Context(as_of=as_of, now=seen_by or now, horizon_days=horizon_days, evidence=evidence_of(code),
                      coverage=coverage, metadata=metadata, max_age_days=max_age_days or {},
                      coverage_index=coverage_index, facts=fact_checks)
        assessments = evaluate(measures, code, ctx)
        if waivers:
            assessments = waiver_mod.apply(assessments, waivers, as_of)
        return Report(
            member_state=code,
            name=_name(code),
            as_of=as_of,
            generated_at=now,
            horizon_days=horizon_days,
            catalogue_version=catalogue.version,
            assessments=assessments,
            discrepancies=[d for a in assessments if (d := crosscheck.check(a, ctx))],
            store=store.label if store is not None else None,
        )

    if not waivers or not targets:
        for code in targets:
            yield report(code)
        return
    reports = [report(code) for code in targets]
    for w in (w for w in waivers if w.until < as_of):
        reports[0].warnings.append(f"waiver {w.label} expired on {w.until.isoformat()}: no longer muting")
    if not measure_ids:
        all_assessments = [a for r in reports for a in r.assessments]
        for w in waiver_mod.unused(all_assessments, waivers, as_of):
            if w.member_state in targets:
                reports[0].warnings.append(f"waiver {w.label} matches nothing")
    yield from reports


def enrich(measure: Measure, metadata: dict | None) -> Measure:
    """Fill a watched act (added by CELEX alone) from its official metadata: the title, and
    the transposition deadlines of a directive, marked as coming from the official record."""
    if not metadata or measure.origin == "built-in":
        return measure
    changes: dict = {}
    if metadata.get("title") and measure.title.endswith("(title to be filled from CELLAR)"):
        changes["title"] = metadata["title"]
    if measure.kind == "directive" and not measure.obligations and metadata.get("transposition"):
        source = metadata.get("_source", "official metadata")
        changes["obligations"] = tuple(
            Obligation(
                id="transposition" if i == 0 else f"transposition-{i + 1}",
                type="transposition",
                addressee="member-states",
                date=date.fromisoformat(d),
                date_text=None,
                verified=True,
                note=f"deadline from {source}",
            )
            for i, d in enumerate(sorted(set(metadata["transposition"])))
        )
    return replace(measure, **changes) if changes else measure


FAIL_LEVELS: dict[str, set[Status]] = {
    "overdue": {Status.OVERDUE, Status.INFRINGEMENT},
    "due-soon": {Status.OVERDUE, Status.INFRINGEMENT, Status.DUE_SOON},
    "unknown": {Status.OVERDUE, Status.INFRINGEMENT, Status.DUE_SOON, Status.UNKNOWN},
    "never": set(),
}


def has_gaps(reports: list[Report], fail_on: str) -> bool:
    statuses = FAIL_LEVELS[fail_on]
    return any(a.status in statuses for r in reports for a in r.assessments)


def rule_title(rule_id: str) -> str:
    rule = RULES.get(rule_id)
    return rule.title if rule else rule_id
