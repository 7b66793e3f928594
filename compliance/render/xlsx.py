"""XLSX (openpyxl): an "Assessments" sheet (the CSV columns), an "Evidence" sheet and "About".

Each sheet has a frozen header row and an autofilter. Text cells are always written as strings
(never formulas, whatever the text looks like), text that starts like a formula gets a leading
quote (neutralise.leading_defuse: a cell is never split, so only its start matters), characters
XLSX cannot hold are dropped, and text longer than a cell can hold (32,767 characters) is cut
with a marker instead of making the workbook unreadable.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from ..report.assembly import Report
from .evidence import EVIDENCE_COLUMNS, evidence_rows
from .neutralise import leading_defuse, safe_url
from .rows import CSV_COLUMNS, csv_row

_WIDTHS = {"title": 60, "reason": 70, "notes": 40, "evidence_urls": 50, "url": 50, "sha256": 66,
           "measure": 30, "reference": 24, "retrieved_at": 22}


MAX_CELL = 32767  # characters an Excel cell holds
_CUT = " [... cut: longer than an XLSX cell holds]"


def _clean(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        text = leading_defuse(ILLEGAL_CHARACTERS_RE.sub("", value))
        if len(text) > MAX_CELL:
            text = text[:MAX_CELL - len(_CUT)] + _CUT
        return text or None  # "" -> an empty cell
    return value


def _sheet(wb, title: str, columns: Sequence[str], rows: Iterable[dict[str, Any]], *,  # noqa: ANN001
           link_column: str | None = None) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = [_clean(row.get(c, "")) for c in columns]
        ws.append(values)
        for cell, value in zip(ws[ws.max_row], values, strict=True):
            if isinstance(value, str):
                cell.data_type = "s"  # never "f" (formula), whatever the text looks like
        if link_column:
            link = safe_url(row.get(link_column))
            if link:
                ws.cell(row=ws.max_row, column=columns.index(link_column) + 1).hyperlink = link
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"
    for i, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(name, 14)


def render(reports: list[Report], archived: set[str] | None = None) -> bytes:
    """The workbook as bytes."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "Assessments", CSV_COLUMNS,
           (csv_row(a, r) for r in reports for a in r.assessments))
    _sheet(wb, "Evidence", EVIDENCE_COLUMNS,
           (row for r in reports for row in evidence_rows(r, archived)), link_column="url")
    about = [
        {"field": "member_states", "value": ", ".join(f"{r.name} ({r.member_state})" for r in reports)},
        {"field": "as_of", "value": reports[0].as_of.isoformat() if reports else ""},
        {"field": "generated_at",
         "value": reports[0].generated_at.isoformat(timespec="seconds") if reports else ""},
        {"field": "horizon_days", "value": reports[0].horizon_days if reports else ""},
        {"field": "catalogue_version", "value": reports[0].catalogue_version if reports else ""},
        {"field": "tool_version", "value": reports[0].tool_version if reports else ""},
        {"field": "note", "value": "Text that a spreadsheet would run as a formula starts with a quote (')."},
    ]
    _sheet(wb, "About", ["field", "value"], about)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
