"""REG-001 (regulation applies) and REG-002 (authorities designated) duties."""

from __future__ import annotations

from ..model import Assessment, Measure, Obligation, Severity
from .base import Context, Rule, dated_status

REG_001 = Rule(
    id="REG-001",
    title="Regulation applicable: national adaptation in place",
    severity=Severity.LOW,
    why="A regulation applies directly from its date of application, but Member States must "
    "adapt national law, systems and penalties; only evidence of that can show it is done.",
)

REG_002 = Rule(
    id="REG-002",
    title="Competent authorities designated by the deadline",
    severity=Severity.MEDIUM,
    why="Regulations such as e-evidence and forced labour require Member States to designate "
    "and notify competent authorities by a date.",
)

GEN_001 = Rule(
    id="GEN-001",
    title="Other dated Member State duty",
    severity=Severity.LOW,
    why="A dated duty on Member States that no specific rule covers; it is tracked so that its "
    "deadline is visible, and is met only with evidence.",
)


def check_application(measure: Measure, obligation: Obligation, ms: str, ctx: Context) -> Assessment:
    return dated_status(REG_001, measure, obligation, ms, ctx, {"national-measure", "application"},
                        found_what="national implementing provisions found",
                        missing_what="national implementing provisions")


def check_designation(measure: Measure, obligation: Obligation, ms: str, ctx: Context) -> Assessment:
    return dated_status(REG_002, measure, obligation, ms, ctx, {"designation"},
                        found_what="designation of authorities found",
                        missing_what="designation of authorities")


def check_other(measure: Measure, obligation: Obligation, ms: str, ctx: Context) -> Assessment:
    return dated_status(GEN_001, measure, obligation, ms, ctx, {obligation.type},
                        found_what="evidence of compliance found", missing_what="evidence")
