"""The scoreboard: per Member State, how much of what is due is met, ranked, and how it moved.

Modelled on the transposition indicators of the Commission's Single Market Scoreboard (SMS):
there the *transposition deficit* is the share of the directives whose transposition deadline
has passed that a Member State has not (fully) transposed; a directive notified late counts as
transposed; the scoreboard also gives the number of overdue directives, the delay of the overdue
ones, the change since the previous report, and ranks the Member States by their deficit.

Here, over the obligations that bind a Member State and whose deadline has passed on the as-of
date (`due`; not-applicable ones are left out, so are those with no fixed deadline):

- met      = met + met-late (late counts as met, as in the SMS)
- not met  = overdue + infringement (an open case: the Commission holds the obligation unmet)
- apart    = unknown and waived: never met, never overdue, and *left out of the denominator*
- deficit  = not met / (met + not met)

The SMS has no `unknown`: the Commission knows its own notification database, so every due
directive has a known status, and on such data this deficit is the SMS's. Where evidence is
missing, counting an `unknown` in the denominator would silently treat it as met; so it is left
out, its number is shown beside the deficit, and `deficit_range` says what the deficit would be if
every unknown were met (low) or not met (high). Delays (average and longest, in days) are those of
the not-met obligations, from their deadline to the as-of date, as the SMS measures the delay of
overdue directives. The EU-wide deficit is the mean of the Member States' deficits (each Member
State weighs the same, as the SMS's EU average does). Ranks: by deficit, lowest first; equal
deficits share a rank (1, 2, 2, 4); a Member State with nothing assessed is not ranked.

Computing only: current figures from report.build_reports' assessments, past ones from the stored
assessment snapshots (store/history.py); renderers in render/scoreboard.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..catalogue import memberstates
from ..model import Assessment, Measure, Status

if TYPE_CHECKING:
    from ..catalogue.load import Catalogue
    from ..checks.waivers import Waiver
    from ..store.engine import Store
    from ..store.history import Link, RunInfo
    from .assembly import Report

MET = (Status.MET.value, Status.MET_LATE.value)
NOT_MET = (Status.INFRINGEMENT.value, Status.OVERDUE.value)
APART = (Status.UNKNOWN.value, Status.WAIVED.value)
DUE_STATUSES = (*NOT_MET, *MET, *APART)  # the order of the counts and of the lists behind them

DEFINITION = (
    "Over the obligations that bind the Member State and whose deadline has passed (due): "
    "deficit = not met (overdue + infringement) / (met + met-late + not met). unknown and waived are "
    "counted apart, never as met nor as overdue, and are left out of the denominator (the Single Market "
    "Scoreboard's transposition deficit, which has no unknown, counts every due directive); the range "
    "shows the deficit if every unknown were met / not met. Delays: days from the deadline to the "
    "as-of date of the not-met obligations. EU: mean of the Member States' deficits. Rank: lowest "
    "deficit first, ties share a rank."
)


@dataclass(frozen=True)
class Item:
    """One assessment as the scoreboard sees it."""

    member_state: str
    measure_id: str
    obligation_id: str | None
    status: str
    deadline: date | None
    title: str = ""
    rule: str = ""
    reason: str = ""
    cases: tuple[str, ...] = ()  # the open infringement cases it rests on (reference or key)
    links: tuple[Link, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return self.measure_id, self.obligation_id or ""

    @property
    def label(self) -> str:
        return f"{self.measure_id} / {self.obligation_id}" if self.obligation_id else self.measure_id

    def due(self, as_of: date) -> bool:
        return self.deadline is not None and self.deadline < as_of and self.status != Status.NOT_APPLICABLE.value

    def delay(self, as_of: date) -> int | None:
        return (as_of - self.deadline).days if self.deadline is not None and self.status in NOT_MET else None


def category(status: str | None) -> str:
    """met / not-met / unknown / waived, for a due item; `not-due` otherwise (None: absent)."""
    if status in MET:
        return "met"
    if status in NOT_MET:
        return "not-met"
    if status in APART:
        return status
    return "not-due"


@dataclass(frozen=True)
class Change:
    """A due obligation whose category (met, not met, unknown, waived, not due) changed since then."""

    key: tuple[str, str]
    label: str
    before: str | None  # a status, None when it was not assessed then
    after: str

    def to_dict(self) -> dict[str, Any]:
        return {"measure": self.key[0], "obligation": self.key[1] or None, "from": self.before, "to": self.after}


@dataclass
class StateScore:
    member_state: str
    name: str
    as_of: date
    items: list[Item]  # the due items, most urgent first
    not_yet_due: int = 0
    rank: int | None = None
    then: StateScore | None = None
    changes: list[Change] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(i.status for i in self.items)
        return {s: found.get(s, 0) for s in DUE_STATUSES}

    def of(self, *statuses: str) -> list[Item]:
        return [i for i in self.items if i.status in statuses]

    @property
    def due(self) -> int:
        return len(self.items)

    @property
    def met(self) -> int:
        return len(self.of(*MET))

    @property
    def not_met(self) -> int:
        return len(self.of(*NOT_MET))

    @property
    def unknown(self) -> int:
        return len(self.of(Status.UNKNOWN.value))

    @property
    def waived(self) -> int:
        return len(self.of(Status.WAIVED.value))

    @property
    def assessed(self) -> int:
        """The deficit's denominator: due items whose status is known and not waived."""
        return self.met + self.not_met

    @property
    def deficit(self) -> float | None:
        return self.not_met / self.assessed if self.assessed else None

    @property
    def deficit_range(self) -> tuple[float, float] | None:
        """The deficit if every unknown were met, and if every unknown were not met."""
        pool = self.assessed + self.unknown
        if not pool:
            return None
        return self.not_met / pool, (self.not_met + self.unknown) / pool

    @property
    def delays(self) -> list[int]:
        return [d for i in self.items if (d := i.delay(self.as_of)) is not None]

    @property
    def average_delay(self) -> float | None:
        delays = self.delays
        return sum(delays) / len(delays) if delays else None

    @property
    def longest_delay(self) -> int | None:
        return max(self.delays, default=None)

    @property
    def open_cases(self) -> list[str]:
        return sorted({c for i in self.items for c in i.cases})

    def change(self) -> dict[str, Any] | None:
        """Differences from `then`: deficit in points, not-met count, rank (negative: better)."""
        if self.then is None:
            return None
        t = self.then
        return {
            "deficit_points": None if self.deficit is None or t.deficit is None
            else round((self.deficit - t.deficit) * 100, 1),
            "not_met": self.not_met - t.not_met,
            "unknown": self.unknown - t.unknown,
            "rank": None if self.rank is None or t.rank is None else self.rank - t.rank,
        }

    def figures(self) -> dict[str, Any]:
        """The numbers, as JSON keys (no lists of items)."""
        rng = self.deficit_range
        return {
            "member_state": self.member_state, "name": self.name, "rank": self.rank,
            "deficit": _round(self.deficit), "deficit_percent": _percent(self.deficit),
            "deficit_range": [_round(rng[0]), _round(rng[1])] if rng else None,
            "due": self.due, "assessed": self.assessed, "met": self.met, "not_met": self.not_met,
            "unknown": self.unknown, "waived": self.waived, "counts": self.counts, "not_yet_due": self.not_yet_due,
            "average_delay_days": None if self.average_delay is None else round(self.average_delay, 1),
            "longest_delay_days": self.longest_delay, "open_infringement_cases": len(self.open_cases),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def mean_deficit(states: Iterable[StateScore]) -> float | None:
    values = [s.deficit for s in states if s.deficit is not None]
    return sum(values) / len(values) if values else None


def rank(states: list[StateScore]) -> None:
    """Competition ranking by deficit (rounded as printed, so that equal-looking ties tie)."""
    scored = sorted((round(s.deficit, 6), s.member_state) for s in states if s.deficit is not None)
    by_code = {s.member_state: s for s in states}
    position = 0
    previous: float | None = None
    for n, (value, code) in enumerate(scored, start=1):
        if value != previous:
            position, previous = n, value
        by_code[code].rank = position
    for s in states:
        if s.deficit is None:
            s.rank = None


def score_states(items: Iterable[Item], as_of: date, member_states: Iterable[str]) -> list[StateScore]:
    """The score of each of `member_states` from its items (every item, due or not), ranked."""
    order = {s: i for i, s in enumerate(DUE_STATUSES)}
    by_state: dict[str, list[Item]] = {code: [] for code in member_states}
    not_yet: Counter[str] = Counter()
    for item in items:
        if item.member_state not in by_state:
            continue
        if item.due(as_of):
            by_state[item.member_state].append(item)
        elif item.status != Status.NOT_APPLICABLE.value:
            not_yet[item.member_state] += 1
    states = [
        StateScore(code, _name(code), as_of,
                   sorted(rows, key=lambda i: (order.get(i.status, 99), i.deadline or date.min, i.key)),
                   not_yet_due=not_yet[code])
        for code, rows in by_state.items()
    ]
    rank(states)
    return states


def _name(code: str) -> str:
    ms = memberstates.lookup(code)
    return ms.name if ms else code


# -- items from assessments and from snapshots -----------------------------------------------------


def first_deadline(measure: Measure | None) -> date | None:
    """An assessment of the whole measure (whether the Member State is bound is not established)
    is due from the first deadline of the measure's Member State obligations."""
    dates = [o.date for o in measure.obligations if o.addressee == "member-states" and o.date] if measure else []
    return min(dates, default=None)


def item_of(a: Assessment) -> Item:
    from ..store.history import Link

    cases = ()
    if a.status is Status.INFRINGEMENT:
        cases = tuple(sorted({e.reference or e.key or e.title or "case" for e in a.evidence
                              if e.kind == "infringement"}))
    deadline = a.deadline if a.obligation is not None else first_deadline(a.measure)
    return Item(
        member_state=a.member_state, measure_id=a.measure.id, obligation_id=a.obligation.id if a.obligation else None,
        status=a.status.value, deadline=deadline, title=a.measure.title, rule=a.rule, reason=a.reason, cases=cases,
        links=tuple(Link(e.source, e.kind, e.title, e.url, e.reference, e.date, e.sha256) for e in a.evidence),
    )


def waived_status(waivers: list[Waiver], member_state: str, measure_id: str, rule: str, status: str,
                  day: date) -> str:
    """A snapshot row's status with today's waivers applied as checks.waivers.apply would on that day."""
    from ..checks.waivers import MUTABLE

    if status not in {s.value for s in MUTABLE}:
        return status
    for w in waivers:
        if (w.member_state == member_state and (w.rule is None or w.rule == rule)
                and (w.measure is None or w.measure == measure_id) and w.until >= day):
            return Status.WAIVED.value
    return status


# -- the scoreboard ---------------------------------------------------------------------------------


@dataclass
class Scoreboard:
    as_of: date
    generated_at: datetime
    states: list[StateScore]  # all 27, ranked
    shown: list[str]  # the Member States asked for, in order
    measure_ids: list[str] | None = None
    since: datetime | None = None
    then_run: RunInfo | None = None
    notes: list[str] = field(default_factory=list)
    definition: str = DEFINITION

    @property
    def rows(self) -> list[StateScore]:
        """The Member States shown, best rank first (unranked last)."""
        wanted = set(self.shown)
        return sorted((s for s in self.states if s.member_state in wanted),
                      key=lambda s: (s.rank is None, s.rank or 0, s.member_state))

    @property
    def eu_deficit(self) -> float | None:
        return mean_deficit(self.states)

    @property
    def eu_deficit_then(self) -> float | None:
        return mean_deficit(s.then for s in self.states if s.then is not None) if self.then_run else None

    def eu(self) -> dict[str, Any]:
        then = self.eu_deficit_then
        now = self.eu_deficit
        return {
            "deficit": _round(now), "deficit_percent": _percent(now),
            "due": sum(s.due for s in self.states), "met": sum(s.met for s in self.states),
            "not_met": sum(s.not_met for s in self.states), "unknown": sum(s.unknown for s in self.states),
            "waived": sum(s.waived for s in self.states),
            "open_infringement_cases": sum(len(s.open_cases) for s in self.states),
            "deficit_then": _round(then),
            "change_points": None if now is None or then is None else round((now - then) * 100, 1),
        }

    def to_dict(self) -> dict[str, Any]:
        from .. import __version__

        return {
            "as_of": self.as_of.isoformat(), "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "tool_version": __version__, "measures": self.measure_ids,
            "since": self.since.isoformat(timespec="seconds") if self.since else None,
            "compared_with_run": self.then_run.to_dict() if self.then_run else None,
            "definition": self.definition, "notes": self.notes, "eu": self.eu(),
            "member_states": [
                {**s.figures(), "change": s.change(), "changes": [c.to_dict() for c in s.changes],
                 "assessments": {
                     status: [{"measure": i.measure_id, "obligation": i.obligation_id,
                               "deadline": i.deadline.isoformat() if i.deadline else None,
                               "days_late": i.delay(self.as_of), "rule": i.rule}
                              for i in s.of(status)]
                     for status in DUE_STATUSES if s.of(status)},
                 "open_cases": s.open_cases}
                for s in self.rows
            ],
        }


def _compare(now: StateScore, then: StateScore) -> list[Change]:
    before = {i.key: i for i in then.items}
    after = {i.key: i for i in now.items}
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if new is None:
            # Due then and not due now happens only when the catalogue changed (or --as-of is earlier).
            changes.append(Change(key, old.label, old.status, "not-due"))
        elif old is None or category(old.status) != category(new.status):
            changes.append(Change(key, new.label, old.status if old else None, new.status))
    return changes


def snapshot_items(store: Store, catalogue: Catalogue, runs: list[RunInfo], *, waivers: list[Waiver] | None = None,
                   measure_ids: list[str] | None = None) -> dict[int, list[Item]]:
    """The items of these snapshots, by run id (one query, only the columns a score needs)."""
    from sqlalchemy import select

    from ..store import tables
    from ..store.history import _read

    a = tables.AssessmentSnapshot
    stmt = select(a.run_id, a.member_state, a.measure_id, a.obligation_id, a.status, a.rule, a.deadline).where(
        a.run_id.in_([r.id for r in runs]))
    days = {r.id: r.at.date() for r in runs}
    result: dict[int, list[Item]] = {r.id: [] for r in runs}
    deadlines: dict[str, date | None] = {}
    for row in _read(store, "assessment snapshots", stmt):
        if measure_ids is not None and row.measure_id not in measure_ids:
            continue
        status = waived_status(waivers or [], row.member_state, row.measure_id, row.rule, row.status, days[row.run_id])
        deadline = row.deadline
        if not row.obligation_id:
            if row.measure_id not in deadlines:
                deadlines[row.measure_id] = first_deadline(catalogue.measures.get(row.measure_id))
            deadline = deadlines[row.measure_id]
        measure = catalogue.measures.get(row.measure_id)
        result[row.run_id].append(Item(row.member_state, row.measure_id, row.obligation_id or None, status, deadline,
                                       title=measure.title if measure else row.measure_id, rule=row.rule))
    return result


def build(reports: list[Report], *, as_of: date, generated_at: datetime, shown: list[str],
          catalogue: Catalogue | None = None, store: Store | None = None, since: datetime | None = None,
          waivers: list[Waiver] | None = None, measure_ids: list[str] | None = None) -> Scoreboard:
    """The scoreboard of `reports` (all 27 Member States, for the ranks), compared with the last
    snapshot taken at or before `since` when given."""
    from ..store.history import snapshot_runs

    items = [item_of(a) for r in reports if r.member_state != memberstates.EU for a in r.assessments]
    codes = list(memberstates.codes())
    board = Scoreboard(as_of=as_of, generated_at=generated_at, states=score_states(items, as_of, codes),
                       shown=[c for c in shown if c != memberstates.EU], measure_ids=measure_ids, since=since)
    if since is None:
        return board
    if store is None or catalogue is None:
        raise ValueError("a comparison needs the store and the catalogue")
    runs = [r for r in snapshot_runs(store) if r.at <= since]
    if not runs:
        board.notes.append(f"no snapshot stored at or before {since.date().isoformat()}: change not known")
        return board
    board.then_run = runs[-1]
    day = board.then_run.at.date()
    then = score_states(snapshot_items(store, catalogue, [board.then_run], waivers=waivers,
                                       measure_ids=measure_ids)[board.then_run.id], day, codes)
    by_code = {s.member_state: s for s in then}
    for s in board.states:
        s.then = by_code.get(s.member_state)
        if s.then is not None:
            s.changes = _compare(s, s.then)
    board.notes.append(f"change since run {board.then_run.id} of {board.then_run.at.isoformat(timespec='seconds')} "
                       f"(the last snapshot at or before {since.date().isoformat()}), as that refresh recorded it")
    return board
