"""Sweden: the SFS register (SFSR) of Regeringskansliets rättsdatabaser, whose entries carry the
CELEX numbers of the EU acts each statute implements.

Why the register and not Riksdagen's open data: `data.riksdagen.se/dokumentlista/?doktyp=sfs`
(sources.md §2.1) serves the *consolidated* SFS text (SFST, `subtyp` "sfst"), which drops the
original statutes' "Jfr …direktiv …" footnotes and carries no EU field (its records have
`beteckning`, `titel`, `undertitel` "t.o.m. SFS …", `organ`, `datum` and the text only; real
answers in matematicsolutions/se-eli-mcp `tests/fixtures/`). Its HTML links to the register
("Ändringsregister: SFSR (Regeringskansliet)"), which is where the Government Offices record, for
the base act and for every amending act, the field `celexnummer` ("CELEX-nr"): the EU acts that
act implements. That is the publisher's own EU link, so an act listed there is a national measure.

Interface (Regeringskansliets rättsdatabaser, the publisher of SFS): a raw-Elasticsearch
passthrough behind the site, used by several public projects (se-lex/sfs-processor
`downloaders/rkrattsbaser_api.py` and `docs/adr/002-import-fran-regeringskansliet.md`; the lagen.nu
harvester, staffanm/ferenda `accommodanda/sfs/download.py`; MagnusKolsjo/mcp-for-rkrattsdatabaser-sfsr;
a weekly SFS updater whose repository was not identified)::

    POST https://beta.rkrattsbaser.gov.se/elasticsearch/SearchEsByRawJson
    {"searchIndexes": ["Sfs"], "api": "search", "json": <Elasticsearch query>}
    -> {"hits": {"total": {"value": N}, "hits": [{"_source": {...}, "sort": [...]}, ...]}}

Each `_source` is one base act (grundförfattning): `beteckning` "1967:837", `rubrik`,
`forfattningstypNamn`, `fulltext.utfardadDateTime` (issued), `ikraftDateTime`, `upphavdDateTime`,
`register.celexnummer` and `andringsforfattningar[]` (each amending act: `beteckning`, `rubrik`,
`ikraftDateTime`, `forarbeten`, `celexnummer`). Real answers: se-lex/sfs-processor
`data/testdocs/rkrattsbaser/*.json` (the `_source` of one act each; `celexnummer` is a free list:
"32001L0083, 32004L0027", "392R1768 396R1610", "42013A0620[01], 32012R1257").

The service has no published documentation and calls itself a beta (se-lex ADR-002: "no SLA").
No query on the `celexnummer` field is documented anywhere (and if `andringsforfattningar` were an
Elasticsearch nested field, a plain query on it would silently match nothing), so this source
does what the lagen.nu harvester documents: it walks the whole register (`term publicerad: true`,
sorted by `grundforfattningId`, paged with `search_after` past Elasticsearch's 10,000-hit window,
"~13.8k acts"), fetching only the register fields (`_source` filtering, standard Elasticsearch),
and reads every act's CELEX list.

Coverage: CoverageItem(measure, "ok", "SE") when the walk read every act the register counts
(`hits.total.value`), that total is plausible (at least `MIN_ACTS`) and some act carries a CELEX
number at all; otherwise suspect/failed with the reason. A finding's date: a base act has its
issue date (`utfardad`, the adoption); an amending act has only its entry into force in the
register, so its date is left empty ("timeliness not assessed") and the date is kept in `data`.
Rate: one page a second (`SFSR_PACER`), as the lagen.nu harvester does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import refs
from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import CoverageItem, SourceContext, SourceResult
from ._payloads import clean, decode, parse_date, parse_json
from ._runs import (
    Pacer,
    candidate_measures,
    coverage_verdict,
    http_of,
    selected_directives,
    status_of,
    unselected,
    wanted_state,
)
from ._support import BasisAct, findings_for, one_line, other_references

if TYPE_CHECKING:
    from ...http import FetchResult

INFO = SOURCES["gazette-se"]
MEMBER_STATE = "SE"
ENDPOINT_NAME = "GAZETTE_SE"
DEFAULT_ENDPOINT = "https://beta.rkrattsbaser.gov.se/elasticsearch/SearchEsByRawJson"
PUBLIC_SFSR = "https://rkrattsbaser.gov.se/sfsr"  # the register page of a base act: ?bet=1967:837

PAGE_SIZE = 100
MAX_PAGES = 400  # 40,000 acts; the register holds ~14,000. More is refused, never cut.
MIN_ACTS = 5000  # a complete walk that counts fewer acts is implausible (suspect)
SFSR_PACER = Pacer(1.0)
SOURCE_FIELDS = (
    "grundforfattningId", "beteckning", "rubrik", "forfattningstypNamn", "ikraftDateTime", "upphavdDateTime",
    "organisation.namnOchEnhet", "fulltext.utfardadDateTime", "fulltext.andringInford",
    "register.celexnummer", "register.forarbeten",
    "andringsforfattningar.beteckning", "andringsforfattningar.rubrik", "andringsforfattningar.ikraftDateTime",
    "andringsforfattningar.celexnummer", "andringsforfattningar.forarbeten", "andringsforfattningar.anteckningar",
)

_SFS_NUMBER = re.compile(r"^\d{4}:\d{1,5}$")
# One CELEX number as the register writes it: "32011L0036", older "392R1768", "32016L0680R(01)".
_CELEX_ITEM = re.compile(r"^3(\d{4}|\d{2})([LRDFH])(\d{4})(?:R\(\d{2}\))?$")
_KIND = {"L": "directive", "R": "regulation", "D": "decision", "F": "framework-decision", "H": "recommendation"}


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT)


def query(search_after: list[Any] | None = None) -> dict[str, Any]:
    """The passthrough body of one page of the walk (every published base act, in id order)."""
    es: dict[str, Any] = {
        "query": {"term": {"publicerad": True}},
        "sort": [{"grundforfattningId": "asc"}],
        "size": PAGE_SIZE,
        "track_total_hits": True,
        "_source": list(SOURCE_FIELDS),
    }
    if search_after is not None:
        es["search_after"] = search_after
    return {"searchIndexes": ["Sfs"], "api": "search", "json": es}


# --- parsing -------------------------------------------------------------------------------------


def celex_numbers(value: Any) -> tuple[list[str], list[str]]:
    """(CELEX numbers of EU acts, other items) of a register `celexnummer` field."""
    text = clean(value)
    if not text:
        return [], []
    found, other = [], []
    for item in re.split(r"[\s,;]+", text):
        m = _CELEX_ITEM.match(item)
        if m:
            year = int(m.group(1))
            try:
                found.append(refs.to_celex(_KIND[m.group(2)], year, int(m.group(3))))
            except ValueError:
                other.append(item)
        elif item:
            other.append(item)  # an agreement (sector 4), a national number, a typo: said, never read
    return list(dict.fromkeys(found)), other


def _act(number: str, title: str | None, base: str, celex: list[str], raw: str | None) -> BasisAct:
    act = BasisAct(
        key=f"SFS {number}",
        member_state=MEMBER_STATE,
        title=title,
        reference=f"SFS {number}",
        url=f"{PUBLIC_SFSR}?bet={base}",
    )
    act.add_all(celex, "celex-marker")
    act.data["celex_field"] = raw
    return act


def acts_of(source: dict[str, Any]) -> tuple[list[BasisAct], list[str]]:
    """The acts of one register entry that name EU acts: the base act, then each amending act
    whose `celexnummer` is filled. (acts, notes)."""
    notes: list[str] = []
    base = clean(source.get("beteckning"))
    register = source.get("register") if isinstance(source.get("register"), dict) else {}
    if not base or not _SFS_NUMBER.match(base):
        amendments = source.get("andringsforfattningar")
        listed = [a for a in amendments if isinstance(a, dict)] if isinstance(amendments, list) else []
        if clean(register.get("celexnummer")) or any(clean(a.get("celexnummer")) for a in listed):
            notes.append(f"an entry without a usable SFS number ({one_line(base or 'none', 40)}); skipped")
        return [], notes
    fulltext = source.get("fulltext") if isinstance(source.get("fulltext"), dict) else {}
    organisation = source.get("organisation") if isinstance(source.get("organisation"), dict) else {}
    common = {"base_act": base, "base_title": clean(source.get("rubrik")),
              "department": clean(organisation.get("namnOchEnhet")),
              "repealed": clean(source.get("upphavdDateTime")), "consolidated_to": clean(fulltext.get("andringInford"))}
    out: list[BasisAct] = []
    celex, other = celex_numbers(register.get("celexnummer"))
    if other:
        notes.append(f"SFS {base}: register items that are not CELEX numbers of EU acts: {', '.join(other[:5])}")
    if celex:
        act = _act(base, clean(source.get("rubrik")), base, celex, clean(register.get("celexnummer")))
        act.type = clean(source.get("forfattningstypNamn"))
        act.adopted = parse_date(fulltext.get("utfardadDateTime"))
        act.in_force = parse_date(source.get("ikraftDateTime"))
        act.data.update(common, role="base act", preparatory_works=clean(register.get("forarbeten")))
        out.append(act)
    amendments = source.get("andringsforfattningar")
    for n, amendment in enumerate(amendments if isinstance(amendments, list) else []):
        if not isinstance(amendment, dict):
            notes.append(f"SFS {base}: amending act {n} is not an object; skipped")
            continue
        celex, other = celex_numbers(amendment.get("celexnummer"))
        number = clean(amendment.get("beteckning"))
        if other:
            notes.append(f"SFS {number or base}: register items that are not CELEX numbers of EU acts: "
                         f"{', '.join(other[:5])}")
        if not celex:
            continue
        if not number or not _SFS_NUMBER.match(number):
            notes.append(f"SFS {base}: an amending act without a usable SFS number names {', '.join(celex)}; skipped")
            continue
        act = _act(number, clean(amendment.get("rubrik")), base, celex, clean(amendment.get("celexnummer")))
        act.type = "ändringsförfattning"
        act.in_force = parse_date(amendment.get("ikraftDateTime"))
        act.data.update(common, role="amending act", preparatory_works=clean(amendment.get("forarbeten")),
                        changes=clean(amendment.get("anteckningar")))
        out.append(act)
    return out, notes


@dataclass
class Page:
    acts: list[BasisAct] = field(default_factory=list)
    entries: int = 0
    with_celex: int = 0  # entries with any CELEX number (in the base or an amending act)
    total: int | None = None
    last_sort: list[Any] | None = None
    notes: list[str] = field(default_factory=list)


def parse_page(body: bytes, what: str = "SFS register page") -> Page:
    """One answer of the passthrough (`{"hits": {"total", "hits": [{"_source", "sort"}]}}`), or a
    saved single `_source` (one act, as se-lex saves them)."""
    data = parse_json(body, what)
    if isinstance(data, dict) and "error" in data and "hits" not in data:
        error = data["error"]
        reason = error.get("reason") or error.get("type") if isinstance(error, dict) else error
        raise SourceError(f"{what}: error answer: {one_line(reason, 300)}", status="failed")
    page = Page()
    if isinstance(data, dict) and "beteckning" in data and "hits" not in data:
        hits: list[Any] = [{"_source": data}]
    else:
        outer = data.get("hits") if isinstance(data, dict) else None
        if not isinstance(outer, dict) or not isinstance(outer.get("hits"), list):
            raise ParseError(f"{what}: neither a search answer (hits.hits) nor a register entry (beteckning)")
        hits = outer["hits"]
        total = outer.get("total")
        total = total.get("value") if isinstance(total, dict) else total
        if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
            page.total = total
    for n, hit in enumerate(hits):
        source = hit.get("_source") if isinstance(hit, dict) else None
        if not isinstance(source, dict):
            raise ParseError(f"{what}: hit {n} has no _source")
        page.entries += 1
        acts, notes = acts_of(source)
        page.acts.extend(acts)
        page.notes.extend(notes)
        if acts:
            page.with_celex += 1
        if isinstance(hit.get("sort"), list):
            page.last_sort = hit["sort"]
    return page


# --- refresh -------------------------------------------------------------------------------------


@dataclass
class _Walk:
    acts: list[tuple[BasisAct, FetchResult]] = field(default_factory=list)
    entries: int = 0
    with_celex: int = 0
    total: int | None = None
    notes: list[str] = field(default_factory=list)
    first: FetchResult | None = None


def walk(ctx: SourceContext, result: SourceResult) -> _Walk:
    """Every published register entry, page by page; SourceError when the walk cannot be completed."""
    assert ctx.http is not None
    out = _Walk()
    after: list[Any] | None = None
    for n in range(MAX_PAGES):
        if n % 20 == 0:
            ctx.progress(f"gazette-se: SFS register page {n + 1} ({out.entries} acts read)")
        with SFSR_PACER.paced():
            fetch = ctx.http.post(INFO.name, endpoint(ctx), json=query(after),
                                  headers={"Accept": "application/json", "Content-Type": "application/json"})
        result.fetches.append(fetch)
        out.first = out.first or fetch
        page = parse_page(fetch.body, f"SFS register page {n + 1}")
        if page.total is None:
            raise ParseError(f"SFS register page {n + 1}: no hits.total")
        if out.total is not None and page.total != out.total:
            raise SourceError(f"SFS register: the total changed during the walk ({out.total} -> {page.total}); "
                              "the register was being updated, try again", status="failed")
        out.total = page.total
        out.entries += page.entries
        out.with_celex += page.with_celex
        out.acts.extend((a, fetch) for a in page.acts)
        out.notes.extend(page.notes)
        if page.entries == 0 or out.entries >= out.total:
            return out
        if page.last_sort is None:
            raise ParseError(f"SFS register page {n + 1}: hits without a sort key; the walk cannot go on")
        after = page.last_sort
    raise SourceError(f"SFS register: more than {MAX_PAGES} pages of {PAGE_SIZE}; refused rather than cut",
                      status="failed")


def refresh(ctx: SourceContext) -> SourceResult:
    """Walk the SFS register and report the acts whose CELEX field names catalogued acts."""
    result = SourceResult()
    result.reason = unselected(ctx, MEMBER_STATE, "Sweden")
    if result.reason:
        return result
    http_of(ctx, INFO.name, "query the SFS register")
    measures = candidate_measures(ctx)
    if not measures:
        result.reason = "no selected measure has a CELEX number"
        return result
    try:
        run = walk(ctx, result)
    except (SourceError, ParseError) as exc:
        result.status = status_of(exc)
        result.reason = f"the SFS register could not be read completely: {exc}"
        result.coverage = [CoverageItem(m.id, result.status, MEMBER_STATE, result.reason)
                           for m in selected_directives(ctx)]
        return result
    found: dict[str, tuple[BasisAct, FetchResult]] = {}
    for act, fetch in run.acts:
        if act.key in found:  # an amending act listed under two base acts: one act, both lists
            found[act.key][0].add_all(act.bases, "celex-marker")
        else:
            found[act.key] = (act, fetch)
    for act, fetch in found.values():
        result.findings.extend(findings_for(act, ctx, fetch, measures))
    assert run.total is not None
    complete = run.entries >= run.total
    where = f"SFS register ({run.entries} of {run.total} acts read)"
    for measure in selected_directives(ctx):
        if not complete:
            status, why = "failed", f"{where}: the walk ended early"
        elif run.total < MIN_ACTS:
            status, why = "suspect", f"{where}: fewer than {MIN_ACTS} acts is implausibly few for the whole SFS"
        elif run.with_celex == 0:
            status, why = "suspect", f"{where}: no act carries a CELEX number; the register fields may not be returned"
        else:
            status, why = "ok", f"{where}: every act's CELEX field read"
        result.coverage.append(CoverageItem(measure.id, status, MEMBER_STATE, why, run.first))
    acts = [a for a, _ in found.values()]
    summary = (f"{run.entries} register entries read, {run.with_celex} with CELEX numbers, {len(acts)} act(s) "
               f"naming EU acts, {len(result.findings)} finding(s)")
    others = other_references(acts, measures)
    if others:
        summary += f"; {len(others)} other EU act(s) named"
    if run.notes:
        summary += f"; {len(run.notes)} note(s), first: {run.notes[0]}"
    coverage_verdict(result, summary, lambda bad: f"{summary}; {bad[0].reason}")
    return result


# --- import --------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved passthrough answer or a saved register entry (`_source`).

    Imports give findings only, never coverage.
    """
    if not decode(body, name).lstrip().startswith("{"):
        raise ParseError(f"{name}: not a JSON answer of the SFS register")
    page = parse_page(body, name)
    measures = candidate_measures(ctx)
    result = SourceResult()
    if wanted_state(ctx, MEMBER_STATE):
        for act in page.acts:
            result.findings.extend(findings_for(act, ctx, None, measures))
    parts = [f"{page.entries} register entr(ies), {len(page.acts)} act(s) naming EU acts, "
             f"{len(result.findings)} finding(s)"]
    others = other_references(page.acts, measures)
    if others:
        parts.append(f"other EU acts named: {', '.join(others[:20])}")
    parts.extend(page.notes[:5])
    result.reason = "; ".join(parts)
    return result
