"""APP-001: is the Member State bound by the measure at all?"""

from __future__ import annotations

from ..model import Assessment, Measure, Severity, Status
from .base import Rule, assessment

APP_001 = Rule(
    id="APP-001",
    title="Member State bound by the measure",
    severity=Severity.INFO,
    why="Acts under Title V TFEU do not bind Denmark (Protocol 22) or Ireland unless it opts in "
    "(Protocol 21); Schengen-building acts follow their own rules. A state that is not bound "
    "has nothing to transpose, and a position that is not established cannot be a gap.",
)


def check(measure: Measure, member_state: str) -> Assessment | None:
    """An assessment that ends the evaluation (not bound, or position unknown), else None."""
    app = measure.applicability(member_state)
    if app.status == "not-bound":
        return assessment(APP_001, measure, None, member_state, Status.NOT_APPLICABLE,
                          f"not bound: {app.basis}", verified=app.verified,
                          notes=[app.note] if app.note else [])
    if app.status == "unknown":
        return assessment(APP_001, measure, None, member_state, Status.UNKNOWN,
                          f"whether the Member State is bound is not established: {app.basis}",
                          verified=False, notes=[app.note] if app.note else [])
    if app.status == "voluntary" and not any(
        o.addressee == "member-states" for o in measure.obligations
    ):
        return assessment(APP_001, measure, None, member_state, Status.NOT_APPLICABLE,
                          f"no obligation on Member States: {app.basis or 'non-binding'}",
                          verified=app.verified)
    return None
