"""COM-001: what the Commission promised in the strategies, by when, and when it delivered."""

from __future__ import annotations

from dataclasses import replace

from ..catalogue.memberstates import EU
from ..model import Assessment, Measure, Obligation, Severity, Status
from .base import Context, Rule, dated_status

COM_001 = Rule(
    id="COM-001",
    title="Commission deliverable by the promised date",
    severity=Severity.MEDIUM,
    why="The strategies commit the Commission to proposals and other deliverables by a quarter "
    "or year; the report compares the promise with the date of delivery.",
)

DELIVERY = {"proposal", "adoption"}


def check(measure: Measure, obligation: Obligation, ctx: Context) -> Assessment:
    # Evidence not tied to an obligation (a live procedure file, a proposal date) shows that a
    # *proposal* was made; it says nothing of other promised deliverables (a database, an
    # assessment), which need evidence that names them.
    result = dated_status(COM_001, measure, obligation, EU, ctx, DELIVERY, found_what="delivered",
                          missing_what="delivery", named_only=obligation.type != "proposal")
    if obligation.date_text and result.status in (Status.MET, Status.MET_LATE):
        return replace(result, reason=f"{result.reason} (promised: {obligation.date_text})")
    return result
