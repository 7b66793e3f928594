"""The seam between sources and the rest: what a source gets, and what it must give back.

A source module exposes:

    INFO: SourceInfo                                   (registered in sources/__init__.py)
    def refresh(ctx: SourceContext) -> SourceResult    (fetch through ctx.http, parse, return)
    def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult
                                                       (the same parser on a file a user saved)

Sources never decide a status and never write to the store: refresh/run.py does, in one
transaction per source. A source says what it could search (`coverage`): only a healthy,
fresh search may later turn an absence of findings into a gap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..catalogue.load import Catalogue
    from ..config.settings import Settings
    from ..http import FetchResult, HttpClient
    from ..model import Measure


@dataclass
class FoundItem:
    """One finding as a source parsed it (refresh/run.py turns it into a store row)."""

    key: str  # the source's own stable id (NIM CELEX, case number, act ELI ...)
    kind: str  # national-measure | infringement | ratification | signature | proposal | ...
    measure_id: str
    member_state: str | None  # EU code, or None for EU-level items
    celex: str | None = None
    date: date | None = None  # the date that counts for the rules (notification, decision ...)
    title: str | None = None
    reference: str | None = None
    url: str | None = None
    stage: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # every parsed field, JSON-able
    fetch: FetchResult | None = None


@dataclass
class CoverageItem:
    """The source searched for evidence of `measure_id` (for one state, or "*" for all)."""

    measure_id: str
    status: str  # ok | failed | blocked | suspect | unavailable
    member_state: str = "*"
    reason: str | None = None
    fetch: FetchResult | None = None


def coverage_items(measure_id: str, targets: list[str] | None, status: str, reason: str | None,
                   fetch: FetchResult | None = None) -> list[CoverageItem]:
    """One CoverageItem per targeted Member State, or one for all ("*") when `targets` is None."""
    states = ["*"] if targets is None else targets
    return [CoverageItem(measure_id, status, state, reason, fetch) for state in states]


@dataclass
class MetadataItem:
    """Official metadata of a catalogued act (dates, deadlines, in force, amendments)."""

    measure_id: str
    celex: str
    data: dict[str, Any]
    fetch: FetchResult | None = None


@dataclass(frozen=True)
class Partial:
    """An answer that searched only part of what the source holds, by construction (an incremental
    sweep): only findings dated on or after `since` were searched. The shared writer keeps every
    stored finding dated before `since` (or undated) as it is: none of them is compared with the
    answer, marked absent or withdrawn. The source must only answer this way when it has shown that
    the part it skipped is unchanged (see CompleteSweep)."""

    since: date
    reason: str  # what was read and how the rest was reconciled, for the run summary


@dataclass
class SourceResult:
    findings: list[FoundItem] = field(default_factory=list)
    coverage: list[CoverageItem] = field(default_factory=list)
    metadata: list[MetadataItem] = field(default_factory=list)
    fetches: list[FetchResult] = field(default_factory=list)  # every response used
    status: str = "ok"  # ok | failed | blocked | suspect | unavailable
    reason: str | None = None
    partial: Partial | None = None  # None: the answer is the whole search
    # What the source wants back from this run, if it is a complete one (CompleteSweep.memo), JSON-able:
    # kept in the run's summary.
    memo: dict[str, Any] | None = None


@dataclass(frozen=True)
class CompleteSweep:
    """The last complete (not partial) answer of a source that the store holds, from a refresh run
    whose summary carries the source's memo. `searched` is what that answer searched healthily (its
    coverage rows with status ok, after the writer's plausibility judgement): only there does the store
    hold everything the answer listed. `doubtful` is what the source itself found suspect there (a
    record it could not read) and the writer still wrote; the source alone knows whether that is
    enough to build on."""

    run_id: int
    started_at: datetime
    memo: dict[str, Any]
    searched: frozenset[tuple[str, str]]  # (measure id, Member State or "*")
    doubtful: frozenset[tuple[str, str]] = frozenset()

    def covers(self, measure_id: str, targets: list[str] | None, *, doubtful: bool = False) -> bool:
        """Whether that answer searched `measure_id` healthily (or, with `doubtful`, at least wrote what
        it found) for every one of `targets` (None: all)."""
        pairs = self.searched | self.doubtful if doubtful else self.searched
        if (measure_id, "*") in pairs:
            return True
        return targets is not None and all((measure_id, s) in pairs for s in targets)


@dataclass
class SourceContext:
    settings: Settings
    catalogue: Catalogue
    http: HttpClient | None  # None for `compliance import`
    member_states: list[str] | None = None  # None: all
    measure_ids: list[str] | None = None  # None: every measure the source can see
    progress: Callable[[str], None] = lambda _msg: None
    # The source's last complete answer in the store (refresh/run.py reads it on demand); None in imports.
    last_complete: Callable[[], CompleteSweep | None] = lambda: None

    def eu_targets(self) -> list[str] | None:
        """None for all Member States, else the EU Member State codes asked for ("EU" is not one)."""
        if not self.member_states:
            return None
        from ..catalogue import memberstates

        known = set(memberstates.codes())
        return [c for c in self.member_states if c in known]

    def measures(self) -> list[Measure]:
        items = list(self.catalogue.measures.values())
        if self.measure_ids:
            items = [m for m in items if m.id in self.measure_ids]
        return items
