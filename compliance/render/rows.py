"""The stable, documented shape of an assessment, shared by JSON, CSV, markdown and HTML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..model import Assessment, Evidence
from ..report.assembly import Report

# Column order for CSV and XLSX; one row per assessment. New columns go at the end, so that a
# script reading columns by position keeps working.
CSV_COLUMNS = [
    "member_state", "measure", "celex", "title", "obligation", "obligation_type", "deadline",
    "days", "status", "rule", "severity", "reason", "verified", "evidence_count", "evidence_urls",
    "notes", "days_late", "days_left", "days_counted_to", "underlying_status",
]


def _evidence_dict(e: Evidence) -> Any:
    return e.to_dict()


def assessment_dict(a: Assessment, report: Report, evidence: Callable[[Evidence], Any] | None = _evidence_dict
                    ) -> dict[str, Any]:
    """`evidence` turns each evidence item into its JSON value (default: Evidence.to_dict; None:
    the Evidence itself, for an encoder that writes it as its to_dict)."""
    days_late, days_left, counted_to = _days(a, report)
    return {
        "measure": a.measure.id,
        "celex": a.measure.celex,
        "title": a.measure.title,
        "kind": a.measure.kind,
        "obligation": a.obligation.id if a.obligation else None,
        "obligation_type": a.obligation.type if a.obligation else None,
        "deadline": a.deadline.isoformat() if a.deadline else None,
        "deadline_text": a.obligation.date_text if a.obligation else None,
        "days_late": days_late,
        "days_left": days_left,
        "days_counted_to": counted_to,
        "status": a.status.value,
        "underlying_status": a.underlying_status.value if a.underlying_status else None,
        "rule": a.rule,
        "severity": a.severity.value,
        "reason": a.reason,
        "verified": a.verified,
        "notes": list(a.notes),
        "waiver": a.waiver,
        "evidence": list(a.evidence) if evidence is None else [evidence(e) for e in a.evidence],
    }


def report_dict(report: Report, evidence: Callable[[Evidence], Any] | None = _evidence_dict) -> dict[str, Any]:
    return {
        "member_state": report.member_state,
        "member_state_name": report.name,
        "as_of": report.as_of.isoformat(),
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "tool_version": report.tool_version,
        "catalogue_version": report.catalogue_version,
        "store": report.store,
        "horizon_days": report.horizon_days,
        "summary": report.summary,
        "warnings": report.warnings,
        "discrepancies": [
            {"measure": d.measure_id, "obligation": d.obligation_id, "kind": d.kind, "rule": d.rule,
             "detail": d.detail,
             "evidence": list(d.evidence) if evidence is None else [evidence(e) for e in d.evidence]}
            for d in report.discrepancies
        ],
        "assessments": [assessment_dict(a, report, evidence) for a in report.assessments],
    }


def _days(a: Assessment, report: Report) -> tuple[int | None, int | None, str | None]:
    """(days late, days left, the day counted to): see Assessment.days."""
    counted = a.days(report.as_of)
    if counted is None:
        return None, None, None
    days, to = counted
    return (days, None, to.isoformat()) if days > 0 else (None, -days, to.isoformat())


def days_text(a: Assessment, report: Report) -> str:
    """"710 late" / "30 left" counted to the as-of date; "593 late" / "12 early" / "on time"
    counted to the day a met obligation was met (the figure its reason gives)."""
    counted = a.days(report.as_of)
    if counted is None:
        return ""
    days, to = counted
    if days > 0:
        return f"{days} late"
    if a.met_on is None:
        return f"{-days} left"
    return f"{-days} early" if days else "on time"


def csv_row(a: Assessment, report: Report) -> dict[str, Any]:
    days_late, days_left, counted_to = _days(a, report)
    return {
        "member_state": report.member_state,
        "measure": a.measure.id,
        "celex": a.measure.celex or "",
        "title": a.measure.title,
        "obligation": a.obligation.id if a.obligation else "",
        "obligation_type": a.obligation.type if a.obligation else "",
        "deadline": a.deadline.isoformat() if a.deadline else "",
        "days": days_text(a, report),
        "status": a.status.value,
        "rule": a.rule,
        "severity": a.severity.value,
        "reason": a.reason,
        "verified": "yes" if a.verified else "no",
        "evidence_count": len(a.evidence),
        "evidence_urls": " ".join(e.url for e in a.evidence if e.url),
        "notes": " | ".join(a.notes),
        "days_late": days_late,
        "days_left": days_left,
        "days_counted_to": counted_to or "",
        "underlying_status": a.underlying_status.value if a.underlying_status else "",
    }
