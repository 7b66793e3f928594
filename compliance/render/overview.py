"""The EU overview: the most urgent status per Member State and per Member State x measure.

"Worst" means first in model.STATUS_ORDER (infringement, overdue, due-soon, unknown, met-late,
met, not-due, waived, not-applicable): the order the reports are grouped in. Renderers only
read these; no status is computed here, only picked from the assessments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ..model import STATUS_ORDER, Assessment, Status
from ..report.assembly import Report

_RANK = {status: i for i, status in enumerate(STATUS_ORDER)}

# Short labels for cells and tiles, so that the status reads without colour (print, colour blindness).
ABBREVIATIONS: dict[Status, str] = {
    Status.INFRINGEMENT: "INF",
    Status.OVERDUE: "OVD",
    Status.DUE_SOON: "DUE",
    Status.UNKNOWN: "UNK",
    Status.MET_LATE: "LATE",
    Status.MET: "MET",
    Status.NOT_DUE: "ND",
    Status.WAIVED: "WVD",
    Status.NOT_APPLICABLE: "N/A",
}


def worst(statuses: Iterable[Status]) -> Status | None:
    """The most urgent of `statuses`, or None when there are none."""
    ranked = sorted(statuses, key=_RANK.__getitem__)
    return ranked[0] if ranked else None


@dataclass(frozen=True)
class StateCell:
    member_state: str
    name: str
    status: Status | None
    counts: dict[str, int]  # status value -> number of assessments

    @property
    def description(self) -> str:
        """'Denmark (DK): infringement (1 infringement, 12 unknown)', for titles and tooltips."""
        head = f"{self.name} ({self.member_state}): {self.status.value if self.status else 'no assessment'}"
        parts = [f"{n} {s}" for s, n in self.counts.items() if n]
        return head + (f" ({', '.join(parts)})" if parts else "")


@dataclass(frozen=True)
class Overview:
    states: list[StateCell]
    measures: list[tuple[str, str]]  # (id, title) in catalogue order
    cells: dict[tuple[str, str], Status]  # (member state, measure id) -> worst status

    def cell(self, member_state: str, measure_id: str) -> Status | None:
        return self.cells.get((member_state, measure_id))


def overview(reports: list[Report]) -> Overview:
    states: list[StateCell] = []
    measures: dict[str, str] = {}
    per_cell: dict[tuple[str, str], list[Status]] = {}
    for report in reports:
        a: Assessment
        for a in report.assessments:
            measures.setdefault(a.measure.id, a.measure.title)
            per_cell.setdefault((report.member_state, a.measure.id), []).append(a.status)
        counts = Counter(a.status.value for a in report.assessments)
        states.append(StateCell(
            member_state=report.member_state,
            name=report.name,
            status=worst(a.status for a in report.assessments),
            counts={s.value: counts.get(s.value, 0) for s in STATUS_ORDER},
        ))
    cells = {key: status for key, values in per_cell.items() if (status := worst(values)) is not None}
    return Overview(states=states, measures=list(measures.items()), cells=cells)
