"""`compliance measures`: the catalogue as a table or JSON."""

from __future__ import annotations

import json

from ..catalogue.load import Catalogue
from ..model import Measure
from .texttable import Column, clean, hanging, table


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
                    fmt: str, texts: dict | None = None, width: int | None = None) -> str:
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
    text = "\n".join(_measures_text(catalogue, measures, member_state, width or 140)) + "\n"
    disagreements = [c for items in checks.values() for c in items if c.outcome == DISAGREES]
    live = sum(1 for items in checks.values() for c in items if c.outcome != DISAGREES)
    if checks:
        text += f"\n{live} fact(s) verified live in the acts' own texts (compliance measures --facts lists them).\n"
    if disagreements:
        text += f"\nMETA-002: {len(disagreements)} catalogue fact(s) contradicted by the acts' own texts:\n"
        text += "".join(f"  - {c.measure_id}: {clean(c.describe())}\n" for c in disagreements)
    return text


TABLE_MIN_WIDTH = 100  # narrower: one block per measure (as `check` does)


def _measures_text(catalogue: Catalogue, measures: list[Measure], member_state: str | None, width: int) -> list[str]:
    """A table as wide as `width` allows, ids, kinds and CELEX numbers never broken; below
    TABLE_MIN_WIDTH one block per measure; no trailing spaces."""
    title = f"Catalogue {clean(catalogue.version)}: {len(measures)} measures (* = unverified)"
    rows = []
    for m in measures:
        obligations = "\n".join(
            f"{o.id}: {o.date.isoformat() if o.date else clean(o.date_text or '-')}"
            f"{'' if o.verified else '*'}" + (" [Commission]" if o.addressee == "commission" else "")
            for o in m.obligations
        ) or "-"
        bound = None
        if member_state:
            app = m.applicability(member_state)
            bound = f"{app.status}" + (f" ({clean(app.basis)})" if app.basis else "") + ("" if app.verified else " *")
        rows.append((m, obligations, bound))
    if width >= TABLE_MIN_WIDTH:
        columns = [Column("Id", wrap=False), Column("Kind", wrap=False), Column("CELEX", wrap=False),
                   Column("Obligations (deadline)", keep_words=True),
                   *([Column(member_state, keep_words=True)] if member_state else []),
                   Column("Title", flexible=True)]
        cells = [[m.id, m.kind, m.celex or "-", obligations, *([bound] if member_state else []), clean(m.title)]
                 for m, obligations, bound in rows]
        lines = table(title, None, columns, cells, width=width, color=False, fit=20)
        if lines is not None:
            return lines
    lines = [title, ""]
    for m, obligations, bound in rows:
        lines.append(f"  {m.id}  {m.kind}  {m.celex or '-'}")
        for text in (clean(m.title), *obligations.split("\n"), *([f"{member_state}: {bound}"] if bound else [])):
            lines += ["    " + piece for piece in hanging(text, width - 4)]
        lines.append("")
    return lines
