"""CSV: the one writer of every CSV the tool produces (check --format csv, the export bundle's
assessments.csv and evidence.csv). Every field is quoted and every cell passes through
neutralise.csv_cell, so no spreadsheet runs scraped text as a formula, whatever its list
separator (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from ..report.assembly import Report
from .neutralise import csv_cell
from .rows import CSV_COLUMNS, csv_row


def write_csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """A header and one line per row, in `columns` order (a missing key is an empty field)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(row.get(c, "")) for c in columns])
    return out.getvalue()


def render(reports: list[Report]) -> str:
    return write_csv(CSV_COLUMNS, (csv_row(a, report) for report in reports for a in report.assessments))
