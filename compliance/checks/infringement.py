"""INF-001: an open infringement case overlays the status of the obligation it concerns."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ..model import Assessment, Evidence, Severity, Status
from .base import Context, Rule, pending_notes

INF_001 = Rule(
    id="INF-001",
    title="No open infringement case",
    severity=Severity.HIGH,
    why="A letter of formal notice, reasoned opinion or referral shows the Commission considers "
    "the Member State in breach; the case stays open until the Commission closes it.",
)

STAGES = ["letter-of-formal-notice", "reasoned-opinion", "referral"]
OVERLAID = {Status.OVERDUE, Status.MET, Status.MET_LATE, Status.UNKNOWN, Status.DUE_SOON}


def _case_key(item: Evidence) -> str:
    return item.reference or item.key or "case"


def open_cases(items: list[Evidence]) -> list[list[Evidence]]:
    """Decisions grouped by case; a case whose latest decision is a closure is not open."""
    cases: dict[str, list[Evidence]] = {}
    for item in items:
        cases.setdefault(_case_key(item), []).append(item)
    result = []
    for decisions in cases.values():
        decisions.sort(key=lambda e: (e.date or date.min, STAGES.index(e.stage) if e.stage in STAGES else 9))
        if decisions[-1].stage != "closure":
            result.append(decisions)
    return result


def overlay(current: Assessment, ctx: Context) -> Assessment:
    """Turn a transposition assessment into `infringement` when a case about it is open."""
    obligation = current.obligation
    if obligation is None or obligation.type != "transposition" or current.status not in OVERLAID:
        return current
    items = ctx.items(current.measure, current.member_state, {"infringement"})
    relevant = [
        e
        for e in items
        if e.obligation_id == obligation.id
        or (e.obligation_id is None and obligation.date is not None
            and (e.date is None or e.date > obligation.date))
    ]
    cases = open_cases(relevant)
    if not cases:
        return current
    latest = max((c[-1] for c in cases), key=lambda e: e.date or date.min)
    when = latest.date.isoformat() if latest.date else (latest.date_text or "date not given")
    ref = f" {latest.reference}" if latest.reference else ""
    origin = (
        f"curated evidence recorded {latest.recorded.isoformat()}; closure not checked"
        if latest.curated and latest.recorded
        else f"source {latest.source}"
    )
    reason = (
        f"open infringement case{ref}: {(latest.stage or 'decision').replace('-', ' ')} "
        f"({when}; {origin}); underlying status: {current.status.value} ({current.reason})"
    )
    added = tuple(e for case in cases for e in case)
    evidence = current.evidence + added
    return replace(
        current,
        status=Status.INFRINGEMENT,
        rule=INF_001.id,
        severity=INF_001.severity,
        reason=reason,
        underlying_status=current.status,
        evidence=evidence,
        verified=current.verified and all(e.verified for e in evidence),
        notes=current.notes + tuple(pending_notes(added)),
    )
