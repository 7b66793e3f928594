"""Netherlands: Officiële bekendmakingen via the KOOP SRU 2.0 service (sources.md 2.5).

Refresh, per selected directive of the catalogue:

1. `GET {sru}?operation=searchRetrieve&version=2.0&recordSchema=gzd&query=<CQL>&startRecord=
   &maximumRecords=100`, CQL: `c.product-area==officielepublicaties AND (w.publicatienaam==
   Staatsblad OR w.publicatienaam==Staatscourant) AND cql.textAndIndexes="2011/36/EU"` (the
   number as Dutch texts write it: "2011/36/EU", "(EU) 2024/1712"). Paged by `startRecord` until
   `numberOfRecords` are read (at most 100 a page, WWL NL/Staatsblad).
2. Each record's `gzd:originalData/overheidwetgeving:meta` gives the publication
   (`owmskern`: identifier `stb-2024-123`, title, type; `owmsmantel`: issued/available;
   `tpmeta`: jaargang, publicatienummer, datumOndertekening) and `gzd:enrichedData/gzd:itemUrl
   [@manifestation="xml"]` its XML, which is read for the EU acts it names and how
   ("ter implementatie van richtlijn …" implements; a mention cites).

No real SRU payload was found (sources.md 2.14): the field names come from WWL's parser
(worldwidelaw/legal-sources NL/Staatsblad/bootstrap.py) and sources.md. No coverage is emitted
yet: whether `cql.textAndIndexes` reaches the full text of every publication is not documented
(R/I), so an empty answer cannot be trusted to mean "no act". Set `FULL_TEXT_VERIFIED = True`
once a live probe confirms it; the refresh then emits coverage when every page was read.

SRU diagnostics (`sru:diagnostics`) are failures, never "no results".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import CoverageItem, SourceContext, SourceResult
from ._payloads import decode, local, named_errors, parse_date, parse_xml, text_of
from ._runs import all_failed, candidate_measures, directive_scope, http_of, keep_fetch, status_of
from ._support import NationalAct, findings_for, import_result, one_line, refs_in_text

if TYPE_CHECKING:
    from ...http import FetchResult

INFO = SOURCES["gazette-nl"]
ENDPOINT_NAME = "GAZETTE_NL"
DEFAULT_ENDPOINT = "https://repository.overheid.nl/sru"
MEMBER_STATE = "NL"
SRU = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
PAGE_SIZE = 100
MAX_PAGES = 20
FULL_TEXT_VERIFIED = False  # see the module doc: no coverage until a live probe confirms full text


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT)


def number_phrase(celex: str) -> str:
    year, number = int(celex[1:5]), int(celex[6:10])
    return f"(EU) {year}/{number}" if year >= 2015 else f"{year}/{number}"


def cql(celex: str) -> str:
    phrase = number_phrase(celex).replace('"', "")
    return ('c.product-area==officielepublicaties AND (w.publicatienaam==Staatsblad OR '
            f'w.publicatienaam==Staatscourant) AND cql.textAndIndexes="{phrase}"')


# --- SRU responses -------------------------------------------------------------------------------


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el.iter() if local(c.tag) == name]


def _first_text(el: Any, name: str) -> str | None:
    found = next((c for c in el.iter() if local(c.tag) == name), None) if el is not None else None
    value = text_of(found) if found is not None else ""
    return value or None


def _diagnostics(root: Any, what: str) -> None:
    diag = next((c for c in root.iter() if local(c.tag) == "diagnostics"), None)
    if diag is None:
        return
    messages = [" ".join(p for p in (_first_text(d, "uri"), _first_text(d, "message"), _first_text(d, "details"))
                         if p) for d in _children(diag, "diagnostic")]
    if messages:
        raise SourceError(f"{what}: SRU diagnostic: {one_line('; '.join(messages) or 'unspecified', 300)}",
                          status="failed")


def record_act(record: Any) -> NationalAct:
    """A NationalAct from one `sru:record` (recordSchema gzd)."""
    meta = next((c for c in record.iter() if local(c.tag) == "meta"), None)
    if meta is None:
        raise ParseError("SRU record without overheidwetgeving:meta")
    kern = next((c for c in meta if local(c.tag) == "owmskern"), None)
    mantel = next((c for c in meta if local(c.tag) == "owmsmantel"), None)
    tp = next((c for c in meta if local(c.tag) == "tpmeta"), None)
    ident = _first_text(kern, "identifier")
    if not ident:
        raise ParseError("SRU record without dcterms:identifier")
    urls = {c.get("manifestation"): text_of(c) for c in record.iter() if local(c.tag) == "itemUrl"}
    preferred = _first_text(record, "preferredUrl")
    title = _first_text(kern, "title")
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=ident,
        national_id=ident,
        fmt="koop-sru-gzd",
        title=title,
        type=_first_text(kern, "type"),
        url=preferred or urls.get("html") or urls.get("xml"),
        adopted=parse_date(_first_text(tp, "datumOndertekening")),
        published=parse_date(_first_text(mantel, "available") or _first_text(mantel, "issued")),
        language=_first_text(kern, "language"),
    )
    act.references.extend(refs_in_text(title, "title"))
    act.extra = {
        "publication": _first_text(tp, "publicatienaam"),
        "jaargang": _first_text(tp, "jaargang"),
        "publicatienummer": _first_text(tp, "publicatienummer"),
        "issued": _first_text(mantel, "issued"),
        "creator": _first_text(kern, "creator"),
        "urls": {k: v for k, v in urls.items() if k},
    }
    return act


def parse_search(body: bytes) -> tuple[list[NationalAct], int]:
    """(acts, numberOfRecords) of one SRU searchRetrieve page."""
    what = "KOOP SRU"
    root, _ = parse_xml(body, what)
    _diagnostics(root, what)
    if local(root.tag) != "searchRetrieveResponse":
        raise ParseError(f"{what}: root <{local(root.tag)}> is not searchRetrieveResponse")
    total_text = _first_text(root, "numberOfRecords")
    if total_text is None or not total_text.isdecimal():
        raise ParseError(f"{what}: no numberOfRecords")
    acts = [record_act(r) for r in root.iter() if local(r.tag) == "record"]
    return acts, int(total_text)


def parse_publication(body: bytes, what: str = "officiële publicatie XML") -> str:
    """The text of an official publication's XML (intitulé, considerans, articles, notes)."""
    root, _ = parse_xml(body, what)
    return text_of(root)


# --- refresh ----------------------------------------------------------------------------------------


def _search(ctx: SourceContext, url: str, celex: str) -> tuple[list[tuple[NationalAct, FetchResult]], bool]:
    """Every record for `celex`; (hits, complete)."""
    assert ctx.http is not None
    hits: list[tuple[NationalAct, FetchResult]] = []
    for page in range(MAX_PAGES):
        params = {"operation": "searchRetrieve", "version": "2.0", "recordSchema": "gzd", "query": cql(celex),
                  "startRecord": str(page * PAGE_SIZE + 1), "maximumRecords": str(PAGE_SIZE)}
        fetch = ctx.http.get(INFO.name, url, params=params, headers={"Accept": "application/xml"}, conditional=True)
        acts, total = parse_search(fetch.body)
        hits.extend((a, fetch) for a in acts)
        if len(hits) >= total:
            return hits, True
        if not acts:
            raise SourceError(f"KOOP SRU: page {page + 1} is empty after {len(hits)} of {total} records",
                              status="failed")
    return hits, False


def refresh(ctx: SourceContext) -> SourceResult:
    """Search the official publications for each selected directive (see the module doc)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "the Netherlands")
    if not directives:
        return result
    http_of(ctx, INFO.name, "query the SRU service")
    url = endpoint(ctx)
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    notes: list[str] = []
    seen: dict[str, NationalAct] = {}
    for measure in directives:
        celex = measure.celex or ""
        ctx.progress(f"gazette-nl: {measure.id}: searching the official publications for {number_phrase(celex)}")
        try:
            hits, complete = _search(ctx, url, celex)
        except (SourceError, ParseError) as exc:
            status = status_of(exc)
            failures.append(f"{measure.id} ({status}): {exc}")
            continue
        first_fetch = hits[0][1] if hits else None
        for act, fetch in hits:
            keep_fetch(result, fetch)
            if act.key in seen:
                continue
            seen[act.key] = act
            evidence = _read_text(ctx, act, result, notes) or fetch
            if celex not in act.celex():
                notes.append(f"{act.key}: a hit for {celex} that does not name it in its title or text")
            result.findings.extend(findings_for(act, ctx, evidence, wanted))
        if not complete:
            notes.append(f"{celex}: more than {MAX_PAGES * PAGE_SIZE} records; the rest was not read")
        elif FULL_TEXT_VERIFIED:
            result.coverage.append(CoverageItem(measure.id, "ok", MEMBER_STATE,
                                                f"{len(hits)} publication(s) match {number_phrase(celex)}",
                                                first_fetch))
    if all_failed(result, failures, len(directives), "search"):
        return result
    reason = [f"{len(seen)} publication(s) examined, {len(result.findings)} finding(s)"]
    if not FULL_TEXT_VERIFIED:
        reason.append("no coverage: whether the SRU search reaches the full text is not yet verified")
    if failures:
        reason.append(f"{len(failures)} of {len(directives)} search(es) failed: " + "; ".join(failures))
    result.reason = "; ".join(reason + notes)
    return result


def _read_text(ctx: SourceContext, act: NationalAct, result: SourceResult, notes: list[str]) -> FetchResult | None:
    xml_url = act.extra.get("urls", {}).get("xml")
    if not xml_url or ctx.http is None:
        return None
    try:
        fetch = ctx.http.get(INFO.name, xml_url, headers={"Accept": "application/xml"}, conditional=True)
        act.references.extend(refs_in_text(parse_publication(fetch.body, xml_url), "text"))
    except (SourceError, ParseError) as exc:
        notes.append(f"{act.key}: text not read ({one_line(str(exc), 160)})")
        return None
    result.fetches.append(fetch)
    return fetch


# --- import -------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved SRU searchRetrieve answer (recordSchema gzd)."""
    text = decode(body, name)
    if not text.lstrip().startswith("<"):
        raise ParseError(f"{name}: not an SRU XML answer")
    with named_errors(name):
        acts, _total = parse_search(body)
    return import_result(acts, name, ctx)
