"""Markdown: a heading and a table per Member State. Everything that is not the tool's own text
goes through render/neutralise (md_text, md_link), so no value can end a table row or link."""

from __future__ import annotations

from ..report.assembly import Report
from .neutralise import md_link, md_text
from .rows import days_text


def _evidence_links(a) -> str:  # noqa: ANN001
    return ", ".join(md_link(e.reference or e.source, e.url) for e in a.evidence)


def render(reports: list[Report]) -> str:
    lines: list[str] = []
    for report in reports:
        lines.append(f"# {md_text(report.name)} ({md_text(report.member_state)})")
        lines.append("")
        lines.append(
            f"As of {report.as_of.isoformat()}; generated {report.generated_at.isoformat(timespec='seconds')}; "
            f"horizon {report.horizon_days} days; catalogue {md_text(report.catalogue_version)}; "
            f"compliance {md_text(report.tool_version)}"
            + (f"; store {md_text(report.store)}." if report.store else ".")
        )
        lines.append("")
        lines.append("| Status | Count |\n|---|---|")
        lines.extend(f"| {md_text(s)} | {n} |" for s, n in report.summary.items() if n)
        lines.append("")
        for status, rows in report.grouped():
            lines.append(f"## {md_text(status.value)} ({len(rows)})")
            lines.append("")
            lines.append("| Measure | Obligation | Deadline | Days | Rule | Reason | Verified | Evidence |")
            lines.append("|---|---|---|---|---|---|---|---|")
            for a in rows:
                reason = a.reason + "".join(f" — note: {n}" for n in a.notes)
                lines.append(
                    "| " + " | ".join([
                        md_text(f"{a.measure.id}: {a.measure.title}"),
                        md_text(a.obligation.label if a.obligation else "-"),
                        a.deadline.isoformat() if a.deadline else "-",
                        md_text(days_text(a, report)),
                        md_text(a.rule),
                        md_text(reason),
                        "yes" if a.verified else "no",
                        _evidence_links(a),
                    ]) + " |"
                )
            lines.append("")
        for d in report.discrepancies:
            lines.append(f"- discrepancy ({md_text(d.rule)}) {md_text(d.measure_id)}: {md_text(d.detail)}")
        for warning in report.warnings:
            lines.append(f"- warning: {md_text(warning)}")
        if report.warnings or report.discrepancies:
            lines.append("")
    return "\n".join(lines)
