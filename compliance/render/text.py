"""Text: the report per Member State, grouped by status, and a summary line.

At `TABLE_MIN_WIDTH` columns and more (when the table fits without breaking an identifier): a
table per status. Narrower: one block per assessment. Identifiers, statuses and dates are never
broken across lines in either layout; only reasons and notes wrap (and a token longer than a
whole line, such as a URL, is folded).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from ..model import Assessment, Status
from ..report.assembly import Report
from .rows import days_text
from .texttable import Column, clean, style, table, width_of, wrap

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
DEFAULT_WIDTH = 140  # when neither a terminal nor COLUMNS gives one
TABLE_MIN_WIDTH = 100  # narrower than this: one block per assessment
REASON_MIN = 24  # the table is used only when its Reason column gets at least this
_INDENT = "    "  # blocks: the lines under an assessment's first line


def summary_line(report: Report) -> str:
    parts = [f"{n} {status}" for status, n in report.summary.items() if n]
    return f"{report.member_state}: {len(report.assessments)} assessments: " + ", ".join(parts)


def _deadline(a: Assessment) -> str:
    if a.deadline is None:
        return "-"
    return a.deadline.isoformat() + ("*" if a.obligation and not a.obligation.verified else "")


def _status(a: Assessment) -> str:
    return a.status.value if a.verified else a.status.value + " (unverified)"


def _reason(a: Assessment) -> str:
    # Notes on not-applicable rows repeat the fact sheet at length: JSON and HTML keep them.
    notes = () if a.status is Status.NOT_APPLICABLE else a.notes
    return clean(a.reason) + "".join(f"\n  note: {clean(n)}" for n in notes)


def _columns(status: Status) -> list[Column]:
    return [
        Column("Measure / obligation", keep_words=True),
        Column("Deadline", wrap=False),
        Column("Status", keep_words=True, style=STYLES[status]),
        Column("Reason", flexible=True),
        Column("Ev.", wrap=False, right=True),
    ]


def _cells(report: Report, rows: list[Assessment]) -> list[tuple[str, ...]]:
    # The same measure and obligation recur in every Member State's report: their cell is made once.
    names: dict[tuple[int, int], str] = {}
    cells = []
    for a in rows:
        key = (id(a.measure), id(a.obligation))
        name = names.get(key)
        if name is None:
            name = names[key] = _name_cell(a)
        days = days_text(a, report)
        deadline = _deadline(a)
        cells.append((
            name,
            f"{deadline}\n{days}" if days else deadline,
            _status(a),
            _reason(a),
            str(len(a.evidence)),
        ))
    return cells


def _name_cell(a: Assessment) -> str:
    """The measure id, and under it the obligation (its article on a line of its own rather
    than split inside its parentheses, when the two do not fit in the id's width)."""
    measure = clean(a.measure.id)
    if a.obligation is None:
        return measure
    label = clean(a.obligation.label)
    if a.obligation.article and width_of(label) > width_of(measure):
        label = f"{clean(a.obligation.id)}\n  ({clean(a.obligation.article)})"
    return f"{measure}\n  {label}"


def _blocks(report: Report, status: Status, rows: list[Assessment], width: int, color: bool) -> list[str]:
    """One block per assessment: id and obligation, then status, deadline, days and evidence
    count, then the reason; a blank line between blocks."""
    out = [style(f"{status.value} ({len(rows)})", STYLES[status], color), ""]
    for a in rows:
        head = [clean(a.measure.id)] + ([clean(a.obligation.label)] if a.obligation else [])
        out += _joined(head, "  ", width, "  ", _INDENT)
        count = len(a.evidence)
        status_text = _status(a)
        facts = [status_text, _deadline(a) if a.deadline else "", days_text(a, report),
                 f"{count} evidence item{'' if count == 1 else 's'}"]
        lines = _joined([f for f in facts if f], "   ", width, _INDENT, _INDENT)
        if color and lines and lines[0].startswith(_INDENT + status_text):
            lines[0] = _INDENT + style(status_text, STYLES[status], color) + lines[0][len(_INDENT + status_text):]
        out += lines
        out += _wrapped(_reason(a), width, _INDENT)
        out.append("")
    return out


def _joined(parts: list[str], gap: str, width: int, first: str, rest: str) -> list[str]:
    """`parts` on lines of at most `width` cells, separated by `gap`, never broken inside a part
    (a part longer than a whole line is folded)."""
    lines: list[str] = []
    current, used = first, width_of(first)
    for part in parts:
        w = width_of(part)
        if current.strip() and used + len(gap) + w > width:
            lines.append(current.rstrip())
            current, used = rest, len(rest)
        elif current.strip():
            current, used = current + gap, used + len(gap)
        if used + w > width:  # longer than a whole line: folded
            *full, part = wrap(part, max(width - used, 1))
            lines += [current + piece for piece in full]
            w = width_of(part)
        current, used = current + part, used + w
    lines.append(current.rstrip())
    return lines


def _wrapped(text: str, width: int, indent: str) -> list[str]:
    return [(indent + line).rstrip() for line in wrap(text, max(width - len(indent), 1))]


def _paragraph(text: str, name: str | None, width: int, color: bool) -> list[str]:
    return [style(line, name, color) for line in wrap(clean(text), width)]


def render(reports: list[Report], *, color: bool = False, width: int | None = None) -> str:
    return "".join(chunks(reports, color=color, width=width))


def chunks(reports: Iterable[Report], *, color: bool = False, width: int | None = None) -> Iterator[str]:
    """The text of `render`, one Member State's report at a time (each taken from `reports` only
    when the text before it has been used); every line ends with a newline."""
    width = width or DEFAULT_WIDTH
    # rich, which this replaces, wrote no escape codes to a dumb terminal even when forced to.
    color = color and os.environ.get("TERM", "").lower() not in ("dumb", "unknown")
    unverified = False
    store = None
    for report in reports:
        store = report.store or store
        out: list[str] = []
        head = clean(f"{report.name} ({report.member_state}) as of {report.as_of.isoformat()}")
        tail = clean(f"  horizon {report.horizon_days} days, catalogue {report.catalogue_version}")
        if width_of(head) + 1 + width_of(tail) <= width:
            out.append(style(head, "bold", color) + " " + style(tail, "dim", color))
        else:
            out += _paragraph(head, "bold", width, color) + _paragraph(tail.strip(), "dim", width, color)
        out.append("")
        for status, rows in report.grouped():
            lines = None
            if width >= TABLE_MIN_WIDTH:
                lines = table(f"{status.value} ({len(rows)})", STYLES[status], _columns(status),
                              _cells(report, rows), width=width, color=color, flex_min=width * 2 // 5,
                              fit=REASON_MIN)
            out += lines if lines is not None else _blocks(report, status, rows, width, color)
        for d in report.discrepancies:
            out += _paragraph(f"discrepancy ({d.rule}) {d.measure_id}: {d.detail}", "yellow", width, color)
        for warning in report.warnings:
            out += _paragraph(f"warning: {warning}", "yellow", width, color)
        out += _paragraph(summary_line(report), "bold", width, color)
        out.append("")
        unverified = unverified or any(a.deadline and a.obligation and not a.obligation.verified
                                       for a in report.assessments)
        yield "".join(line + "\n" for line in out)
    if unverified:
        yield "".join(line + "\n" for line in _paragraph(
            "* deadline not verified in a listed source; '(unverified)': a fact this status rests on is "
            "unverified", "dim", width, color))
    if store:
        yield "".join(line + "\n" for line in _paragraph(f"store: {store}", "dim", width, color))
