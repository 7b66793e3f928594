"""Markdown: a heading and a table per Member State; cell text is escaped."""

from __future__ import annotations

import re

from ..report import Report
from .rows import days_text

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md_escape(value: object) -> str:
    """Escape markdown and HTML-significant characters so scraped titles stay plain text."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    return _SPECIAL.sub(r"\\\1", text)


def _evidence_links(a) -> str:  # noqa: ANN001
    links = []
    for e in a.evidence:
        if e.url and e.url.startswith(("http://", "https://")):
            label = md_escape(e.reference or e.source)
            url = e.url.replace(")", "%29").replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
            links.append(f"[{label}](<{url}>)")
        else:
            links.append(md_escape(e.reference or e.source))
    return ", ".join(links)


def render(reports: list[Report]) -> str:
    lines: list[str] = []
    for report in reports:
        lines.append(f"# {md_escape(report.name)} ({report.member_state})")
        lines.append("")
        lines.append(
            f"As of {report.as_of.isoformat()}; generated {report.generated_at.isoformat(timespec='seconds')}; "
            f"horizon {report.horizon_days} days; catalogue {md_escape(report.catalogue_version)}; "
            f"compliance {report.tool_version}."
        )
        lines.append("")
        lines.append("| Status | Count |\n|---|---|")
        lines.extend(f"| {s} | {n} |" for s, n in report.summary.items() if n)
        lines.append("")
        for status, rows in report.grouped():
            lines.append(f"## {status.value} ({len(rows)})")
            lines.append("")
            lines.append("| Measure | Obligation | Deadline | Days | Rule | Reason | Verified | Evidence |")
            lines.append("|---|---|---|---|---|---|---|---|")
            for a in rows:
                reason = a.reason + "".join(f" — note: {n}" for n in a.notes)
                lines.append(
                    "| " + " | ".join([
                        md_escape(f"{a.measure.id}: {a.measure.title}"),
                        md_escape(a.obligation.label if a.obligation else "-"),
                        a.deadline.isoformat() if a.deadline else "-",
                        days_text(a, report),
                        a.rule,
                        md_escape(reason),
                        "yes" if a.verified else "no",
                        _evidence_links(a),
                    ]) + " |"
                )
            lines.append("")
        for d in report.discrepancies:
            lines.append(f"- discrepancy ({d.rule}) {md_escape(d.measure_id)}: {md_escape(d.detail)}")
        for warning in report.warnings:
            lines.append(f"- warning: {md_escape(warning)}")
        if report.warnings or report.discrepancies:
            lines.append("")
    return "\n".join(lines)
