"""TRN-001 (directive transposition) and NAT-001 (national strategy by a date)."""

from __future__ import annotations

from dataclasses import replace

from ..model import Assessment, Measure, Obligation, Severity, Status
from .base import Context, Rule, assessment, dated_status, first_date

TRN_001 = Rule(
    id="TRN-001",
    title="Directive transposed by its deadline",
    severity=Severity.HIGH,
    why="A directive binds the Member State to adopt and notify national measures by the "
    "transposition deadline; non-communication is the most common ground for infringement.",
)

NAT_001 = Rule(
    id="NAT-001",
    title="National strategy adopted by its deadline",
    severity=Severity.MEDIUM,
    why="Some directives require a national strategy (asset recovery, environmental crime, "
    "corruption risk assessment) by a date of its own, separate from transposition.",
)

NATIONAL_MEASURE = {"national-measure", "notification"}


def stages(measure: Measure) -> list[Obligation]:
    """The Member States' transposition deadlines of a directive, earliest first."""
    found = [o for o in measure.obligations if o.type == "transposition" and o.addressee == "member-states"]
    return sorted(found, key=lambda o: (o.date is None, o.date))


def _stage_list(staged: list[Obligation]) -> str:
    return ", ".join(o.date.isoformat() if o.date else (o.date_text or "?") for o in staged)


def check_transposition(measure: Measure, obligation: Obligation, ms: str, ctx: Context) -> Assessment:
    """Met only on evidence that can show it: national measures that name no stage (a CELLAR
    notification, a gazette act) never make a stage whose deadline is still ahead `met` (a
    Member State notifies measures years before a later stage, often partial ones), and after a
    stage's deadline, when the directive has several stages, the report says that they cannot be
    tied to this one. Evidence that names the obligation (curated, with `obligation:`) counts fully."""
    found = dated_status(TRN_001, measure, obligation, ms, ctx, NATIONAL_MEASURE,
                         found_what="national measures notified or adopted",
                         missing_what="national measures")
    if found.status not in (Status.MET, Status.MET_LATE):
        return found
    if any(e.obligation_id == obligation.id for e in found.evidence):
        return found  # tied to this stage by the evidence itself
    staged = stages(measure)
    what = "this stage" if len(staged) > 1 else "the directive"
    deadline = obligation.date
    if deadline is not None and deadline > ctx.as_of:
        items = list(found.evidence)
        first = first_date(items)
        since = f", first on {first.isoformat()}" if first else ""
        left = (deadline - ctx.as_of).days
        status = Status.NOT_DUE if deadline > ctx.horizon_end else Status.DUE_SOON
        return assessment(
            TRN_001, measure, obligation, ms, status,
            f"due {deadline.isoformat()}, in {left} days; {len(items)} national measure(s) found so far{since}, "
            f"not counted as met before the deadline: they do not show {what} transposed",
            items,
        )
    if len(staged) > 1:
        note = (f"the directive has {len(staged)} transposition deadlines ({_stage_list(staged)}); the national "
                "measures found name none of them, so whether they transpose the provisions due on "
                f"{deadline.isoformat() if deadline else 'this date'} is not shown")
        return replace(found, notes=(*found.notes, note))
    return found


def check_national_strategy(measure: Measure, obligation: Obligation, ms: str, ctx: Context) -> Assessment:
    return dated_status(NAT_001, measure, obligation, ms, ctx, {"national-strategy"},
                        found_what="national strategy adopted",
                        missing_what="national strategy")
