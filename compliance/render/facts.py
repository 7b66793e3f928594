"""`compliance measures --facts`: every fact the catalogue states, its source, and whether it is
verified live (the act's text), verified from the fact sheet only, unverified, or contradicted."""

from __future__ import annotations

import json

from ..catalogue.facts import CONTRADICTED, LIVE, SHEET, UNVERIFIED, Fact, share
from .texttable import Column, clean, table

MARK = {LIVE: "live", SHEET: "sheet", UNVERIFIED: "UNVERIFIED", CONTRADICTED: "CONTRADICTED"}


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def render_facts(facts: list[Fact], version: str, fmt: str, *, width: int = 140) -> str:
    totals = share(facts)
    if fmt == "json":
        return json.dumps({
            "catalogue_version": version, "summary": totals,
            "facts": [{"measure": f.measure_id, "fact": f.fact, "value": f.value, "state": f.state,
                       "source": f.source, "detail": f.detail} for f in facts],
        }, indent=2, ensure_ascii=False) + "\n"
    rows = [[clean(f.measure_id), clean(f.fact.replace("obligation:", "obl. ")), MARK[f.state],
             clean(f.value) + "\n" + clean(f"source: {f.source}" + (f" — {f.detail}" if f.detail else ""))]
            for f in facts]
    columns = [Column("Measure", 12), Column("Fact", 10), Column("State", wrap=False),
               Column("Value and source", flexible=True)]
    lines = table(f"Catalogue {version}: {len(facts)} facts", None, columns, rows, width=width, color=False)
    lines.append(
        f"Verified: {totals['verified']} of {totals['facts']} ({_percent(totals['share_verified'])}); "
        f"live from the acts' texts: {totals[LIVE]} ({_percent(totals['share_verified_live'])}); "
        f"fact sheet only: {totals[SHEET]}; unverified: {totals[UNVERIFIED]}; "
        f"contradicted by the acts: {totals[CONTRADICTED]}")
    return "\n".join(lines) + "\n"
