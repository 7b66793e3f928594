"""Text: a readable table per Member State, grouped by status, and a summary line."""

from __future__ import annotations

import os

from ..model import Status
from ..report import Report
from .rows import days_text

STYLES = {
    Status.INFRINGEMENT: "bold red",
    Status.OVERDUE: "red",
    Status.DUE_SOON: "yellow",
    Status.UNKNOWN: "magenta",
    Status.MET_LATE: "cyan",
    Status.MET: "green",
    Status.NOT_DUE: "blue",
    Status.WAIVED: "dim",
    Status.NOT_APPLICABLE: "dim",
}


def summary_line(report: Report) -> str:
    parts = [f"{n} {status}" for status, n in report.summary.items() if n]
    return f"{report.member_state}: {len(report.assessments)} assessments: " + ", ".join(parts)


def _table(report: Report, status: Status, rows: list, width: int, color: bool) -> list[str]:
    from .texttable import Column, clean, table

    columns = [
        Column("Measure", min_width=24),
        Column("Obligation", min_width=14),
        Column("Deadline", wrap=False),
        Column("Days", wrap=False, right=True),
        Column("Status", wrap=False, style=STYLES[status]),
        Column("Reason", flexible=True),
        Column("Ev.", wrap=False, right=True),
    ]
    cells = []
    for a in rows:
        deadline = a.deadline.isoformat() if a.deadline else "-"
        if a.deadline and a.obligation and not a.obligation.verified:
            deadline += "*"
        # Notes on not-applicable rows repeat the fact sheet at length: JSON and HTML keep them.
        notes = () if a.status is Status.NOT_APPLICABLE else a.notes
        reason = clean(a.reason) + "".join(f"\n  note: {clean(n)}" for n in notes)
        cells.append((
            clean(a.measure.id),
            clean(a.obligation.label) if a.obligation else "-",
            deadline,
            days_text(a, report),
            a.status.value + ("" if a.verified else " (unverified)"),
            reason,
            str(len(a.evidence)),
        ))
    return table(f"{status.value} ({len(rows)})", STYLES[status], columns, cells, width=width, color=color)


def _paragraph(text: str, name: str | None, width: int, color: bool) -> list[str]:
    from .texttable import clean, style, wrap

    return [style(line, name, color) for line in wrap(clean(text), width)]


def render(reports: list[Report], *, color: bool = False, width: int | None = None) -> str:
    from .texttable import clean, style, width_of

    width = width or 140
    # rich, which this replaces, wrote no escape codes to a dumb terminal even when forced to.
    color = color and os.environ.get("TERM", "").lower() not in ("dumb", "unknown")
    out: list[str] = []
    for report in reports:
        head = clean(f"{report.name} ({report.member_state}) as of {report.as_of.isoformat()}")
        tail = clean(f"  horizon {report.horizon_days} days, catalogue {report.catalogue_version}")
        if width_of(head) + 1 + width_of(tail) <= width:
            out.append(style(head, "bold", color) + " " + style(tail, "dim", color))
        else:
            out += _paragraph(head, "bold", width, color) + _paragraph(tail, "dim", width, color)
        for status, rows in report.grouped():
            out += _table(report, status, rows, width, color)
        for d in report.discrepancies:
            out += _paragraph(f"discrepancy ({d.rule}) {d.measure_id}: {d.detail}", "yellow", width, color)
        for warning in report.warnings:
            out += _paragraph(f"warning: {warning}", "yellow", width, color)
        out += _paragraph(summary_line(report), "bold", width, color)
        out.append("")
    if any(a.deadline and a.obligation and not a.obligation.verified
           for r in reports for a in r.assessments):
        out += _paragraph("* deadline not verified in a listed source; "
                          "'(unverified)': a fact this status rests on is unverified", "dim", width, color)
    out.append("")
    return "\n".join(out)
