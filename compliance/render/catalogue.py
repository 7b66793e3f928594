"""`compliance measures`: the catalogue as a table or JSON."""

from __future__ import annotations

import io
import json

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..catalogue.load import Catalogue
from ..model import Measure
from .texttable import clean


def _obligations(m: Measure) -> list[dict]:
    return [
        {
            "id": o.id,
            "type": o.type,
            "addressee": o.addressee,
            "date": o.date.isoformat() if o.date else None,
            "date_text": o.date_text,
            "article": o.article,
            "verified": o.verified,
        }
        for o in m.obligations
    ]


def measure_dict(m: Measure, member_state: str | None) -> dict:
    data = {
        "id": m.id,
        "title": m.title,
        "kind": m.kind,
        "celex": m.celex,
        "celex_verified": m.celex_verified,
        "strategy": m.strategy,
        "action": m.action,
        "obligations": _obligations(m),
        "sources": list(m.sources),
        "verified": m.verified,
        "origin": m.origin,
    }
    if member_state:
        app = m.applicability(member_state)
        data["applicability"] = {
            "member_state": member_state,
            "status": app.status,
            "basis": app.basis,
            "verified": app.verified,
        }
    return data


def _fact_checks(measures: list[Measure], texts: dict | None) -> dict[str, list]:
    from ..catalogue.facts import NOT_STATED, compare

    checks = {m.id: [c for c in compare(m, (texts or {}).get(m.id, {})) if c.outcome != NOT_STATED] for m in measures}
    return {k: v for k, v in checks.items() if v}


def render_measures(catalogue: Catalogue, measures: list[Measure], member_state: str | None,
                    fmt: str, texts: dict | None = None) -> str:
    """The catalogue; with the stored act texts, each measure's facts checked against them
    (META-002 disagreements listed under the table)."""
    from ..catalogue.facts import DISAGREES

    checks = _fact_checks(measures, texts)
    if fmt == "json":
        items = []
        for m in measures:
            data = measure_dict(m, member_state)
            data["fact_checks"] = [{"fact": c.fact, "outcome": c.outcome, "catalogue": c.catalogue,
                                    "text_value": c.text_value, "quote": c.quote, "where": c.where,
                                    "celex": c.celex, "url": c.url, "sha256": c.sha256}
                                   for c in checks.get(m.id, [])]
            items.append(data)
        return json.dumps(
            {"catalogue_version": catalogue.version, "files": catalogue.files, "measures": items},
            indent=2, ensure_ascii=False,
        ) + "\n"
    out = io.StringIO()
    console = Console(file=out, width=160, no_color=True, highlight=False)
    table = Table(box=box.SIMPLE_HEAD, expand=True,
                  title=f"Catalogue {catalogue.version}: {len(measures)} measures", title_justify="left")
    table.add_column("Id", overflow="fold", ratio=3)
    table.add_column("Kind", no_wrap=True)
    table.add_column("CELEX", no_wrap=True)
    table.add_column("Obligations (deadline; * = unverified)", overflow="fold", ratio=4)
    if member_state:
        table.add_column(f"{member_state}", overflow="fold", ratio=3)
    table.add_column("Title", overflow="fold", ratio=5)
    for m in measures:
        obligations = "\n".join(
            f"{o.id}: {o.date.isoformat() if o.date else (o.date_text or '-')}"
            f"{'' if o.verified else '*'}" + (" [Commission]" if o.addressee == "commission" else "")
            for o in m.obligations
        ) or "-"
        row = [Text(m.id), m.kind, m.celex or "-", Text(obligations)]
        if member_state:
            app = m.applicability(member_state)
            row.append(Text(f"{app.status}" + (f" ({app.basis})" if app.basis else "")
                            + ("" if app.verified else " *")))
        row.append(Text(m.title))
        table.add_row(*row)
    console.print(table)
    text = out.getvalue()
    disagreements = [c for items in checks.values() for c in items if c.outcome == DISAGREES]
    live = sum(1 for items in checks.values() for c in items if c.outcome != DISAGREES)
    if checks:
        text += f"\n{live} fact(s) verified live in the acts' own texts (compliance measures --facts lists them).\n"
    if disagreements:
        text += f"\nMETA-002: {len(disagreements)} catalogue fact(s) contradicted by the acts' own texts:\n"
        text += "".join(f"  - {c.measure_id}: {clean(c.describe())}\n" for c in disagreements)
    return text
