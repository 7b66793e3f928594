"""XCK-001: the gazette and the Commission's record of notified measures disagree.

The EU's list of national implementing measures (EUR-Lex) is what governments reported; a
national gazette shows what was adopted. When one shows measures and the other, searched
successfully and recently, does not, the report says so as a finding of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Assessment, Evidence, Severity
from ..sources import SOURCES
from .base import Context, Rule

XCK_001 = Rule(
    id="XCK-001",
    title="Gazette and notified measures agree",
    severity=Severity.LOW,
    why="A measure adopted but not notified, or notified but not found in the gazette, may mean "
    "an incomplete notification or an old act notified again; either deserves a look.",
)

NOTIFICATION_SOURCE = "eurlex"


@dataclass(frozen=True)
class Discrepancy:
    member_state: str
    measure_id: str
    obligation_id: str | None
    kind: str  # adopted-not-notified | notified-not-found
    detail: str
    evidence: tuple[Evidence, ...]
    rule: str = XCK_001.id


def _gazettes_for(member_state: str) -> set[str]:
    return {n for n, info in SOURCES.items() if info.member_states == (member_state,)}


def check(assessment: Assessment, ctx: Context) -> Discrepancy | None:
    obligation = assessment.obligation
    if obligation is None or obligation.type != "transposition":
        return None
    measure, ms = assessment.measure, assessment.member_state
    found = ctx.items(measure, ms, {"national-measure"})
    notified = [e for e in found if e.source == NOTIFICATION_SOURCE]
    gazettes = _gazettes_for(ms)
    in_gazette = [e for e in found if e.source in gazettes]
    searched = {c.source for c in ctx.usable_coverage(measure, ms, {"national-measure"})}
    if in_gazette and not notified and NOTIFICATION_SOURCE in searched:
        names = ", ".join(sorted({e.source for e in in_gazette}))
        return Discrepancy(ms, measure.id, obligation.id, "adopted-not-notified",
                           f"national acts found in {names} but none notified to the Commission (EUR-Lex)",
                           tuple(in_gazette))
    searched_gazettes = sorted(searched & gazettes)
    if notified and not in_gazette and searched_gazettes:
        return Discrepancy(ms, measure.id, obligation.id, "notified-not-found",
                           f"measures notified to the Commission but no act citing the directive found in "
                           f"{', '.join(searched_gazettes)}",
                           tuple(notified))
    return None
