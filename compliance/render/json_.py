"""JSON: one object per Member State (a list when there are several). Documented in README."""

from __future__ import annotations

import json

from ..report import Report
from .rows import report_dict


def render(reports: list[Report]) -> str:
    data = [report_dict(r) for r in reports]
    return json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False) + "\n"
