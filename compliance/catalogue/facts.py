"""The catalogue's facts compared with the acts' own texts (source act-texts), and the list of
every fact with how far it is verified.

Pure and light (no parser, no HTTP): `check` and the reports import it. A fact is
  * verified live: the act's text, fetched from CELLAR, says the same (the sentence and the
    fetch are kept);
  * contradicted: the act's text says otherwise (META-002 in check, measures and the digest);
  * verified (fact sheet): the catalogue marks it verified from its listed sources only;
  * unverified.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..model import Measure

AGREES, DISAGREES, NOT_STATED = "agrees", "disagrees", "not-stated"
LIVE, CONTRADICTED = "verified live", "contradicted by the act"
SHEET, UNVERIFIED = "verified (fact sheet)", "unverified"
TEXT_KINDS = {"transposition": "transposition", "application": "application"}


@dataclass(frozen=True)
class FactCheck:
    """One catalogue fact read against one act's text."""

    measure_id: str
    fact: str  # dk | ie | adopted | entry_into_force | obligation:<id>
    catalogue: str
    outcome: str  # agrees | disagrees | not-stated
    text_value: str | None
    quote: str | None
    where: str | None
    celex: str
    url: str | None
    sha256: str | None
    retrieved_at: datetime | None
    fetch_id: int | None = None
    text_date: date | None = None  # the date the text gives (for a date fact), the nearest one

    @property
    def provenance(self) -> str:
        parts = [f"CELEX {self.celex}"]
        if self.where:
            parts.append(self.where)
        if self.url:
            parts.append(self.url)
        if self.sha256:
            parts.append(f"sha256 {self.sha256[:16]}…")
        return ", ".join(parts)

    def describe(self) -> str:
        quote = f': "{self.quote}"' if self.quote else ""
        if self.outcome == AGREES:
            return f"{self.fact} verified live in the act's text ({self.provenance}){quote}"
        if self.outcome == DISAGREES:
            return (f"the catalogue's {self.fact} ({self.catalogue}) disagrees with the act's text, which gives "
                    f"{self.text_value} ({self.provenance}){quote}")
        return f"{self.fact}: the act's text does not state it ({self.provenance})"


def _check(measure: Measure, fact: str, catalogue: str, text: dict[str, Any], celex: str, outcome: str,
           text_value: str | None, quote: str | None, where: str | None, text_date: date | None = None) -> FactCheck:
    return FactCheck(measure.id, fact, catalogue, outcome, text_value, quote, where, celex, text.get("url"),
                     text.get("sha256"), text.get("_retrieved_at"), text.get("_fetch_id"), text_date)


def _applicability(measure: Measure, code: str, text: dict[str, Any], celex: str) -> FactCheck | None:
    key = "denmark" if code == "DK" else "ireland"
    position = text.get(key) or {}
    status = position.get("status")
    app = measure.applicability(code)
    catalogue = f"{app.status}" + (f" ({app.basis})" if app.basis else "")
    fact = code.lower()
    if status is None:
        if not text.get("recitals"):
            return _check(measure, fact, catalogue, text, celex, NOT_STATED, None, None, None)
        # A full preamble without a recital on the state: the act binds it like every other.
        quote = text.get("legal_basis")
        value = "bound (no recital on " + ("Denmark" if code == "DK" else "Ireland") + ")"
        ok = app.status in ("bound", "voluntary")
        return _check(measure, fact, catalogue, text, celex, AGREES if ok else DISAGREES, value, quote, "citations")
    if status == "schengen-art4":
        basis = (app.basis or "").lower()
        ok = "art. 4" in basis or "article 4" in basis or "schengen" in basis
        value = "Schengen-building: Denmark decides under Art. 4 of Protocol No 22 whether to implement it"
    else:
        ok = app.status == status
        value = status
    return _check(measure, fact, catalogue, text, celex, AGREES if ok else DISAGREES, value, position.get("quote"),
                  position.get("where"))


def _dated(text: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [d for d in (text.get("dates") or {}).get(kind) or [] if d.get("date")]


def _date_fact(measure: Measure, fact: str, value: date, items: list[dict[str, Any]], text: dict[str, Any],
               celex: str, *, contradict: bool = True) -> FactCheck:
    for item in items:
        if item["date"] == value.isoformat():
            quote = item["sentence"] + (f" [{item['derived']}]" if item.get("derived") else "")
            return _check(measure, fact, value.isoformat(), text, celex, AGREES, item["date"], quote, item["article"],
                          value)
    if items and contradict:
        nearest = min(items, key=lambda i: abs((date.fromisoformat(i["date"]) - value).days))
        listed = ", ".join(sorted({i["date"] for i in items}))
        return _check(measure, fact, value.isoformat(), text, celex, DISAGREES, listed, nearest["sentence"],
                      nearest["article"], date.fromisoformat(nearest["date"]))
    return _check(measure, fact, value.isoformat(), text, celex, NOT_STATED, None, None, None)


def compare(measure: Measure, texts: dict[str, dict[str, Any]]) -> list[FactCheck]:
    """Every catalogue fact of `measure` that the stored texts (CELEX -> parsed facts) can speak to."""
    checks: list[FactCheck] = []
    own = texts.get(measure.celex or "")
    if own is not None:
        celex = measure.celex or ""
        for code in ("DK", "IE"):
            found = _applicability(measure, code, own, celex)
            if found is not None:
                checks.append(found)
        if measure.entry_into_force:
            checks.append(_date_fact(measure, "entry_into_force", measure.entry_into_force,
                                     _dated(own, "entry_into_force"), own, celex))
        if measure.adopted and own.get("title_date"):
            item = {"date": own["title_date"], "sentence": own.get("title") or "", "article": "title"}
            checks.append(_date_fact(measure, "adopted", measure.adopted, [item], own, celex))
    for obligation in measure.obligations:
        if obligation.date is None or obligation.addressee != "member-states":
            continue
        kind = TEXT_KINDS.get(obligation.type)
        celex = obligation.act or measure.celex or ""
        text = texts.get(celex)
        if text is None:
            continue
        fact = f"obligation:{obligation.id}"
        if obligation.act:
            # An amending act states the new date inside the article it amends, not in a
            # transposition article of its own: any dated sentence of it may confirm the date,
            # and its own deadlines are no contradiction.
            checks.append(_date_fact(measure, fact, obligation.date, _dated(text, "all"), text, celex,
                                     contradict=False))
        elif kind:
            checks.append(_date_fact(measure, fact, obligation.date, _dated(text, kind), text, celex))
    return checks


def compare_all(measures: list[Measure], texts: dict[str, dict[str, dict[str, Any]]]) -> dict[str, list[FactCheck]]:
    """measure id -> its fact checks, for the measures that have stored texts."""
    return {m.id: found for m in measures if (found := compare(m, texts.get(m.id, {})))}


# --- the facts listing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    measure_id: str
    fact: str
    value: str
    state: str  # LIVE | CONTRADICTED | SHEET | UNVERIFIED
    source: str
    detail: str | None = None


def _state(flag: bool) -> str:
    return SHEET if flag else UNVERIFIED


def _sources(measure: Measure) -> str:
    return "; ".join(measure.sources[:2]) + (f" (+{len(measure.sources) - 2})" if len(measure.sources) > 2 else "")


def facts_of(measure: Measure, checks: list[FactCheck]) -> list[Fact]:
    """Every fact the catalogue states of `measure`, each with its source and how it is verified."""
    by_fact = {c.fact: c for c in checks if c.outcome != NOT_STATED}
    rows: list[tuple[str, str, bool]] = []
    if measure.celex:
        rows.append(("celex", measure.celex, measure.celex_verified))
    if measure.oj:
        rows.append(("oj", measure.oj, measure.verified.get("oj", False)))
    if measure.adopted:
        rows.append(("adopted", measure.adopted.isoformat(), measure.verified.get("adopted", False)))
    if measure.entry_into_force:
        rows.append(("entry_into_force", measure.entry_into_force.isoformat(),
                     measure.verified.get("entry_into_force", False)))
    for o in measure.obligations:
        value = o.date.isoformat() if o.date else f"no date ({o.date_text})"
        rows.append((f"obligation:{o.id}", value, o.verified))
    for code in ("DK", "IE"):
        app = measure.applicability(code)
        rows.append((code.lower(), app.status + (f" ({app.basis})" if app.basis else ""), app.verified))
    facts = []
    for name, value, flag in rows:
        check = by_fact.get(name)
        if check is None:
            facts.append(Fact(measure.id, name, value, _state(flag), _sources(measure)))
        elif check.outcome == AGREES:
            facts.append(Fact(measure.id, name, value, LIVE, check.provenance, check.quote))
        else:
            facts.append(Fact(measure.id, name, value, CONTRADICTED, check.provenance,
                              f"the act gives {check.text_value}" + (f': "{check.quote}"' if check.quote else "")))
    return facts


def share(facts: list[Fact]) -> dict[str, Any]:
    total = len(facts)
    counts = {state: sum(1 for f in facts if f.state == state) for state in (LIVE, SHEET, UNVERIFIED, CONTRADICTED)}
    verified = counts[LIVE] + counts[SHEET]
    return {"facts": total, **counts, "verified": verified,
            "share_verified": round(verified / total, 4) if total else 0.0,
            "share_verified_live": round(counts[LIVE] / total, 4) if total else 0.0}
