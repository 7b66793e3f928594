"""META-002: a catalogue fact disagrees with the act's own text (source act-texts).

The text is the primary source, but a parser can misread it: neither is silently preferred.
A disagreement on who is bound makes that state's assessments of the measure `unknown`, with
the act's sentence quoted; a disagreement on a date does so when the text's date would give
another status (like META-001). An agreement is noted ("verified live") and lifts the
"unverified" mark the fact alone put on the assessment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..catalogue.facts import AGREES, DISAGREES, FactCheck
from ..model import Assessment, Measure, Obligation, Severity, Status
from .base import Context, Rule

META_002 = Rule(
    id="META-002",
    title="Catalogue fact matches the act's own text",
    severity=Severity.MEDIUM,
    why="Who is bound and by when rests on the catalogue; the act's recitals (Protocols No 21/22) and its "
    "transposition, application and entry-into-force articles are read from CELLAR and compared.",
)


def _find(ctx: Context, measure: Measure, fact: str) -> FactCheck | None:
    return next((c for c in ctx.facts.get(measure.id, ()) if c.fact == fact), None)


def _unknown(current: Assessment, check: FactCheck) -> Assessment:
    return replace(current, status=Status.UNKNOWN, rule=META_002.id, severity=META_002.severity,
                   reason=f"{check.describe()}: confirm the catalogue", verified=False)


def _verified_without(current: Assessment, measure: Measure, obligation: Obligation | None, *,
                      obligation_ok: bool = False, applicability_ok: bool = False) -> bool:
    ob = obligation is None or obligation.verified or obligation_ok
    app = measure.applicability(current.member_state).verified or applicability_ok
    return ob and app and all(e.verified for e in current.evidence)


def applicability(current: Assessment, measure: Measure, ctx: Context) -> Assessment:
    """Over any assessment of a DK/IE: the act's recital against the catalogue's applicability."""
    if current.member_state not in ("DK", "IE"):
        return current
    check = _find(ctx, measure, current.member_state.lower())
    if check is None:
        return current
    if check.outcome == DISAGREES:
        return _unknown(current, check)
    if check.outcome == AGREES:
        verified = current.verified or _verified_without(current, measure, current.obligation,
                                                         applicability_ok=True)
        return replace(current, verified=verified, notes=current.notes + (check.describe(),))
    return current


def dates(current: Assessment, measure: Measure, obligation: Obligation, ctx: Context,
          evaluate: Callable[[Obligation], Assessment]) -> Assessment:
    """Over an obligation's assessment: the act's date against the catalogue's."""
    check = _find(ctx, measure, f"obligation:{obligation.id}")
    if check is None:
        return current
    if check.outcome == AGREES:
        verified = current.verified or _verified_without(current, measure, obligation, obligation_ok=True)
        return replace(current, verified=verified, notes=current.notes + (check.describe(),))
    if check.outcome != DISAGREES or check.text_date is None:
        return current
    alternative = evaluate(replace(obligation, date=check.text_date))
    if alternative.status == current.status:
        return replace(current, notes=current.notes + (check.describe() + "; the status is the same either way",))
    return replace(_unknown(current, check),
                   reason=f"{check.describe()}: {current.status.value} by the catalogue, "
                          f"{alternative.status.value} by the act's text; confirm the deadline")
