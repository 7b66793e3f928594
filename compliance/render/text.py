"""Text: a readable table per Member State, grouped by status (rich), and a summary line."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

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


def _table(report: Report, status: Status, rows: list) -> Table:
    table = Table(
        title=Text(f"{status.value} ({len(rows)})", style=STYLES[status]),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_lines=False,
        expand=True,
    )
    table.add_column("Measure", overflow="fold", min_width=24)
    table.add_column("Obligation", overflow="fold", min_width=14)
    table.add_column("Deadline", no_wrap=True)
    table.add_column("Days", no_wrap=True, justify="right")
    table.add_column("Status", no_wrap=True)
    table.add_column("Reason", overflow="fold", ratio=6)
    table.add_column("Ev.", justify="right", no_wrap=True)
    for a in rows:
        deadline = a.deadline.isoformat() if a.deadline else "-"
        if a.deadline and a.obligation and not a.obligation.verified:
            deadline += "*"
        # Notes on not-applicable rows repeat the fact sheet at length: JSON and HTML keep them.
        notes = () if a.status is Status.NOT_APPLICABLE else a.notes
        reason = a.reason + "".join(f"\n  note: {n}" for n in notes)
        status_text = a.status.value + ("" if a.verified else " (unverified)")
        table.add_row(
            Text(a.measure.id),
            Text(a.obligation.label if a.obligation else "-"),
            deadline,
            days_text(a, report),
            Text(status_text, style=STYLES[a.status]),
            Text(reason),
            str(len(a.evidence)),
        )
    return table


def render(reports: list[Report], *, color: bool = False, width: int | None = None) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=color, no_color=not color, width=width or 140,
                      highlight=False, soft_wrap=False)
    for report in reports:
        console.print(
            Text(f"{report.name} ({report.member_state}) as of {report.as_of.isoformat()}",
                 style="bold"),
            Text(f"  horizon {report.horizon_days} days, catalogue {report.catalogue_version}",
                 style="dim"),
        )
        for status, rows in report.grouped():
            console.print(_table(report, status, rows))
        for d in report.discrepancies:
            console.print(Text(f"discrepancy ({d.rule}) {d.measure_id}: {d.detail}", style="yellow"))
        for warning in report.warnings:
            console.print(Text(f"warning: {warning}", style="yellow"))
        console.print(Text(summary_line(report), style="bold"))
        console.print()
    if any(a.deadline and a.obligation and not a.obligation.verified
           for r in reports for a in r.assessments):
        console.print(Text("* deadline not verified in a listed source; "
                           "'(unverified)': a fact this status rests on is unverified", style="dim"))
    return out.getvalue()
