"""Trends from the stored assessment snapshots: per Member State its status counts over time, and
the EU-wide deficit over time (report/scoreboard.py's definition, on each snapshot's own day).

One point per UTC day: the last snapshot taken that day. Statuses are as each refresh recorded
them, with the same waivers the scoreboard applies (scoreboard.waived_status).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..catalogue import memberstates
from ..model import STATUS_ORDER
from ..store.history import RunInfo, snapshot_runs
from .scoreboard import mean_deficit, score_states, snapshot_items

if TYPE_CHECKING:
    from ..catalogue.load import Catalogue
    from ..checks.waivers import Waiver
    from ..store.engine import Store


@dataclass(frozen=True)
class Point:
    day: date
    run: RunInfo
    counts: dict[str, dict[str, int]]  # member state -> status -> number of assessments (every status)
    deficits: dict[str, float | None]  # member state -> deficit
    eu_deficit: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "run": self.run.id, "eu_deficit": _round(self.eu_deficit),
                "deficits": {k: _round(v) for k, v in self.deficits.items()}, "counts": self.counts}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass
class Trend:
    points: list[Point]

    def statuses(self, member_state: str) -> list[str]:
        """The statuses that occur in a Member State's history, in report order."""
        seen = {s for p in self.points for s, n in p.counts.get(member_state, {}).items() if n}
        return [s.value for s in STATUS_ORDER if s.value in seen]

    def to_dict(self) -> dict[str, Any]:
        return {"points": [p.to_dict() for p in self.points]}


def daily_runs(runs: list[RunInfo], since: datetime | None = None, until: datetime | None = None) -> list[RunInfo]:
    last: dict[date, RunInfo] = {}
    for run in runs:
        if (since is None or run.at >= since) and (until is None or run.at <= until):
            last[run.at.date()] = run
    return [last[d] for d in sorted(last)]


def trend(store: Store, catalogue: Catalogue, *, since: datetime | None = None, until: datetime | None = None,
          waivers: list[Waiver] | None = None, measure_ids: list[str] | None = None) -> Trend:
    runs = daily_runs(snapshot_runs(store), since, until)
    by_run = snapshot_items(store, catalogue, runs, waivers=waivers, measure_ids=measure_ids) if runs else {}
    codes = list(memberstates.codes())
    points = []
    for run in runs:
        day = run.at.date()
        counts: dict[str, Counter[str]] = {code: Counter() for code in codes}
        for item in by_run[run.id]:
            if item.member_state in counts:
                counts[item.member_state][item.status] += 1
        states = score_states(by_run[run.id], day, codes)
        points.append(Point(
            day=day, run=run,
            counts={code: {s.value: c[s.value] for s in STATUS_ORDER} for code, c in counts.items()},
            deficits={s.member_state: s.deficit for s in states},
            eu_deficit=mean_deficit(states),
        ))
    return Trend(points)
