"""TRN-001 (directive transposition) and NAT-001 (national strategy by a date)."""

from __future__ import annotations

from ..model import Assessment, Measure, Obligation, Severity
from .base import Context, Rule, dated_status

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


def check_transposition(measure: Measure, obligation: Obligation, ms: str, ctx: Context) -> Assessment:
    return dated_status(TRN_001, measure, obligation, ms, ctx, NATIONAL_MEASURE,
                        found_what="national measures notified or adopted",
                        missing_what="national measures")


def check_national_strategy(measure: Measure, obligation: Obligation, ms: str, ctx: Context) -> Assessment:
    return dated_status(NAT_001, measure, obligation, ms, ctx, {"national-strategy"},
                        found_what="national strategy adopted",
                        missing_what="national strategy")
