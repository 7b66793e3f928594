"""CSV: one row per assessment, with cells that a spreadsheet would run as formulas defused."""

from __future__ import annotations

import csv
import io

from ..report import Report
from .rows import CSV_COLUMNS, csv_row

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: object) -> object:
    """Prefix text that a spreadsheet would evaluate (CSV formula injection) with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render(reports: list[Report]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for report in reports:
        for a in report.assessments:
            writer.writerow({k: defuse(v) for k, v in csv_row(a, report).items()})
    return out.getvalue()
