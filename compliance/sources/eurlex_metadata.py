"""An act's official metadata and the acts amending it, from CELLAR's SPARQL JSON answers (pure
parsing, as eurlex_parse; sources.md 1.5).
"""

from __future__ import annotations

from typing import Any

from .eurlex_parse import (
    _DIRECTIVE_CELEX_RE,
    _pick,
    normalise_text,
    parse_date,
    parse_sparql_json,
)

ACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "celex": ("celex",),
    "work": ("work",),
    "date_document": ("dateDoc", "date"),
    "entry_into_force": ("eif",),
    "transposition": ("transpos",),
    "deadline": ("deadline",),
    "in_force": ("inForce", "inforce"),
    "end_of_validity": ("endValid", "endvalid"),
    "eli": ("eli",),
    "title": ("title", "expression_title"),
}
_TRUE = {"1", "true"}
_FALSE = {"0", "false"}


def parse_act_metadata(body: bytes, celex: str, *, directive: bool | None = None) -> dict[str, Any] | None:
    """The official metadata of act `celex`, or None when the result has no row for it.

    Rows with a ?celex column for other acts are ignored (a result may cover several acts).
    Multi-valued fields are sorted unique lists; the transposition deadline falls back on
    `resource_legal_date_deadline` for directives that only have that.
    """
    _vars, rows = parse_sparql_json(body, f"CELLAR metadata of {celex}")
    if directive is None:
        directive = bool(_DIRECTIVE_CELEX_RE.fullmatch(celex))
    values: dict[str, set[str]] = {k: set() for k in ACT_COLUMNS}
    titles: set[tuple[str, str | None]] = set()
    matched = 0
    for row in rows:
        own = _pick(row, ACT_COLUMNS["celex"])
        if own is not None and own.value.strip() != celex:
            continue
        matched += 1
        for key, aliases in ACT_COLUMNS.items():
            term = _pick(row, aliases)
            if term is None or not term.value.strip():
                continue
            if key == "title":
                text = normalise_text(term.value)
                if text:
                    titles.add((text, term.lang))
            else:
                values[key].add(term.value.strip())
    if not matched:
        return None
    notes: list[str] = []

    def dates(key: str) -> list[str]:
        out = set()
        for raw in values[key]:
            parsed = parse_date(raw)
            if parsed is None:
                notes.append(f"{key}: {raw!r} is not a date; ignored")
            else:
                out.add(parsed.isoformat())
        return sorted(out)

    date_doc = dates("date_document")
    if len(date_doc) > 1:
        notes.append(f"several document dates: {', '.join(date_doc)}; kept the earliest")
    transposition = dates("transposition") if directive else []
    deadline = dates("deadline")
    predicate = "directive_date_transposition" if transposition else None
    if directive and not transposition and deadline:
        transposition, predicate = deadline, "resource_legal_date_deadline"
    flags = {v.lower() for v in values["in_force"]}
    in_force: bool | None = None
    if flags and flags <= _TRUE:
        in_force = True
    elif flags and flags <= _FALSE:
        in_force = False
    elif flags:
        notes.append(f"in-force values {sorted(flags)} are unclear or conflicting; left unknown")
    # Prefer an English-tagged title, then an untagged one; never guess between two.
    english = sorted(t for t, lang in titles if (lang or "").lower().startswith("en"))
    plain = sorted(t for t, lang in titles if not lang)
    title = (english or plain or sorted(t for t, _ in titles) or [None])[0]
    data: dict[str, Any] = {
        "title": title,
        "date_document": date_doc[0] if date_doc else None,
        "entry_into_force": dates("entry_into_force"),
        "transposition": transposition,
        "transposition_predicate": predicate,
        "deadline": deadline,
        "in_force": in_force,
        "end_of_validity": dates("end_of_validity"),
        "eli": sorted(values["eli"])[0] if values["eli"] else None,
        "work": sorted(values["work"]),
        "rows": matched,
    }
    if len(values["eli"]) > 1:
        data["eli_all"] = sorted(values["eli"])
    if notes:
        data["notes"] = notes
    return data


def parse_amending_acts(body: bytes, celex: str | None = None) -> list[dict[str, str | None]]:
    """[{"celex", "date"}] of the acts amending `celex`, sorted by date then CELEX, unique.

    Also reads results that carry ?base (the amended act) and ?rel ("amends"/"corrects"): only
    "amends" rows for `celex` are kept.
    """
    _vars, rows = parse_sparql_json(body, f"CELLAR amending acts of {celex or 'act'}")
    found: dict[str, set[str]] = {}
    for row in rows:
        base = row.get("base")
        if celex and base is not None and base.value.strip() != celex:
            continue
        rel = row.get("rel")
        if rel is not None and rel.value.strip().lower() not in ("amends", "amend"):
            continue
        am = _pick(row, ("amCelex", "celex", "amender"))
        if am is None or not am.value.strip():
            continue
        when_term = _pick(row, ("amDate", "date"))
        when = parse_date(when_term.value if when_term else None)
        found.setdefault(am.value.strip(), set())
        if when:
            found[am.value.strip()].add(when.isoformat())
    out = [{"celex": c, "date": min(ds) if ds else None} for c, ds in found.items()]
    out.sort(key=lambda a: (a["date"] or "9999-12-31", a["celex"]))
    return out
