"""RAT-001: a convention the strategies urge Member States to ratify (Medicrime, CETS 211)."""

from __future__ import annotations

from ..model import Assessment, Measure, Obligation, Severity, Status
from .base import Context, Rule, absence_evidence, assessment, dated_status

RAT_001 = Rule(
    id="RAT-001",
    title="Convention ratified",
    severity=Severity.MEDIUM,
    why="The Organised Crime Strategy urges Member States to sign and ratify the Council of "
    "Europe Medicrime Convention; ratification is recorded by the Council of Europe Treaty Office.",
)


def check(measure: Measure, obligation: Obligation, ms: str, ctx: Context) -> Assessment:
    if obligation.date is not None:
        return dated_status(RAT_001, measure, obligation, ms, ctx, {"ratification"},
                            found_what="ratified", missing_what="ratification")
    ratified = ctx.items(measure, ms, {"ratification"})
    if ratified:
        when = min((e.date for e in ratified if e.date), default=None)
        text = f"ratified on {when.isoformat()}" if when else "party to the convention"
        return assessment(RAT_001, measure, obligation, ms, Status.MET, text, ratified)
    signed = ctx.items(measure, ms, {"signature"})
    usable = ctx.usable_coverage(measure, ms, {"ratification"})
    if usable:
        names = ", ".join(sorted({c.source for c in usable}))
        sign = " (signed, not ratified)" if signed else ""
        return assessment(RAT_001, measure, obligation, ms, Status.NOT_DUE,
                          f"not ratified according to {names}{sign}; no deadline is set",
                          absence_evidence(usable) + tuple(signed))
    return assessment(RAT_001, measure, obligation, ms, Status.UNKNOWN,
                      f"no deadline is set; {ctx.why_no_coverage(measure, ms, {'ratification'})}",
                      signed)
