"""Lithuania: the Register of Legal Acts (TAR) as open data, data.gov.lt's Spinta API.

Interface (documented): the dataset `datasets/gov/lrsk/teises_aktai/Dokumentas` of the Lithuanian
open-data store (`https://get.data.gov.lt`, CC BY 4.0, keyless), one record per legal act with its
full text in `tekstas_lt`. The query language is the store's own, written after `?` (the
data.gov.lt manual, atviriduomenys/vadovas `vadovas/api/index.rst`: "Filtravimas",
"Atranka", "Puslapiavimas"): `prop.contains("…")` filters on a substring, `select(…)` picks the
fields, `limit(n)` sets a page and the answer's `_page.next` is passed back as `page("…")`; a
page is `{"_type": …, "_data": [records], "_page": {"next": …}}`. Record fields as probed by
public code (matematicsolutions/lt-eli-mcp `DISCOVERY.md`, and a real answer in its
`tests/fixtures/act_2014_21296.json`): `dokumento_id`, `tar_kodas` ("2014-21296"), `atv_dok_nr`,
`rusis` ("Įstatymas", "Nutarimas", "Įsakymas" …), `pavadinimas`, `priimtas` (adopted),
`paskelbta_tar` (published in TAR), `isigalioja`, `galioj_busena`, `nuoroda` (the e-tar.lt page).

Refresh, per selected directive: `tekstas_lt.contains("2011/36/")` (old numbering, which every
language version ends with its own "/ES", "/EB") or `tekstas_lt.contains("2024/1712")` (new
numbering), paged. Each hit's title and text are read for the EU acts they name and how: a law
that takes up a directive says so ("Šiuo įstatymu įgyvendinama …", the annex "Įgyvendinami
Europos Sąjungos teisės aktai"), which makes it a national measure; a mere mention is a
citation. A hit whose text does not name the directive (the substring matched something else)
gives nothing and is counted in the reason.

No coverage is emitted: the substring filter on `tekstas_lt` is documented for every field but
public code reports only title searches working live ("body full-text search - not exposed … in
a simple form", lt-eli-mcp DISCOVERY.md), so an empty answer cannot prove that Lithuania
adopted nothing. A failing query fails the run with the reason; it never becomes a gap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ._payloads import clean, named_errors, parse_date, parse_json
from ._runs import Pacer, all_failed, candidate_measures, directive_scope, http_of, keep_fetch, status_of
from ._support import NationalAct, findings_for, import_result, one_line, refs_in_text, unique_findings

if TYPE_CHECKING:
    from ...http import FetchResult

INFO = SOURCES["gazette-lt"]
ENDPOINT_NAME = "GAZETTE_LT"
DEFAULT_ENDPOINT = "https://get.data.gov.lt"
MEMBER_STATE = "LT"
MODEL = "datasets/gov/lrsk/teises_aktai/Dokumentas"
PAGE_SIZE = 20  # records carry their whole text: small pages
MAX_PAGES = 25  # 500 acts naming one directive; more is said, not silently cut
SPINTA_PACER = Pacer(1.0)  # no published limit; one page a second
FIELDS = ("_id", "dokumento_id", "tar_kodas", "atv_dok_nr", "rusis", "pavadinimas", "priimtas",
          "paskelbta_tar", "isigalioja", "galioj_busena", "nuoroda", "tekstas_lt", "_page")


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


def needle(celex: str) -> str:
    """The substring a Lithuanian text cites the directive with: "2011/36/" or "2024/1712"."""
    year, number = int(celex[1:5]), int(celex[6:10])
    if year >= 2015:
        return f"{year}/{number}"
    return f"{year if year >= 1999 else year % 100:02d}/{number}/"


def query(celex: str, page: str | None = None) -> str:
    """The query string (after `?`) of one page, percent-encoded as the manual asks (RFC 3986)."""
    parts = [f'tekstas_lt.contains("{needle(celex)}")', f"select({','.join(FIELDS)})", f"limit({PAGE_SIZE})"]
    if page is not None:
        parts.append(f'page("{page}")')
    return "&".join(quote(p, safe="(),._-/") for p in parts)


# --- parsing -------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def record_act(record: dict[str, Any]) -> NationalAct:
    """A NationalAct from one `Dokumentas` record."""
    code = clean(record.get("tar_kodas"))
    doc_id = clean(record.get("dokumento_id"))
    if not code and not doc_id:
        raise ParseError("TAR record without tar_kodas and dokumento_id")
    url = clean(record.get("nuoroda")) or (f"https://e-tar.lt/portal/lt/legalAct/{doc_id}" if doc_id else None)
    number = clean(record.get("atv_dok_nr"))
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=f"TAR {code}" if code else f"e-TAR {doc_id}",
        national_id=f"TAR {code}" + (f" (Nr. {number})" if number else "") if code else f"e-TAR {doc_id}",
        fmt="tar-spinta-json",
        title=clean(record.get("pavadinimas")),
        type=clean(record.get("rusis")),
        url=url,
        adopted=parse_date(record.get("priimtas")),
        published=parse_date(record.get("paskelbta_tar")),
        entry_into_force=parse_date(record.get("isigalioja")),
        language="lt",
    )
    act.references.extend(refs_in_text(act.title, "title"))
    act.references.extend(refs_in_text(_text(record.get("tekstas_lt")), "text"))
    act.extra = {"dokumento_id": doc_id, "tar_kodas": code, "number": number,
                 "validity": clean(record.get("galioj_busena"))}
    for field, raw in (("priimtas", record.get("priimtas")), ("paskelbta_tar", record.get("paskelbta_tar"))):
        if _text(raw) and parse_date(raw) is None:
            act.notes.append(f"{field} {one_line(raw, 30)!r} is not a date; ignored")
    return act


def _check_error(doc: Any, what: str) -> None:
    """Spinta's error answer (`{"errors": [{"code", "message"}]}`) is a failure, never "no acts"."""
    if isinstance(doc, dict) and isinstance(doc.get("errors"), list) and doc["errors"]:
        first = doc["errors"][0]
        message = (first.get("message") or first.get("code")) if isinstance(first, dict) else first
        raise SourceError(f"{what}: error answer: {one_line(str(message), 200)}", status="failed")


def parse_page(body: bytes, what: str = "TAR open data page") -> tuple[list[NationalAct], str | None, list[str]]:
    """(acts, next page token, notes) of one Spinta answer."""
    doc = parse_json(body, what)
    _check_error(doc, what)
    if not isinstance(doc, dict) or not isinstance(doc.get("_data"), list):
        raise ParseError(f"{what}: not a Spinta answer (no _data list)")
    acts, notes = [], []
    for n, record in enumerate(doc["_data"]):
        if not isinstance(record, dict):
            raise ParseError(f"{what}: record {n} is not an object")
        try:
            acts.append(record_act(record))
        except ParseError as exc:
            notes.append(f"record {n}: {exc}; skipped")
    page = doc.get("_page")
    token = page.get("next") if isinstance(page, dict) else None
    return acts, token if isinstance(token, str) and token else None, notes


# --- refresh -------------------------------------------------------------------------------------


def _search(ctx: SourceContext, base: str, celex: str) -> tuple[list[tuple[NationalAct, FetchResult]], bool,
                                                                   list[str]]:
    """Every page of the substring search for one directive: (hits, complete, notes)."""
    assert ctx.http is not None
    hits: list[tuple[NationalAct, FetchResult]] = []
    notes: list[str] = []
    token: str | None = None
    seen: set[str] = set()
    for n in range(MAX_PAGES):
        with SPINTA_PACER.paced():
            fetch = ctx.http.get(INFO.name, f"{base}/{MODEL}?{query(celex, token)}",
                                 headers={"Accept": "application/json"}, conditional=True)
        acts, token, page_notes = parse_page(fetch.body, f"TAR search for {needle(celex)}, page {n + 1}")
        hits.extend((a, fetch) for a in acts)
        notes.extend(page_notes)
        if token is None or not acts:
            return hits, True, notes
        if token in seen:
            raise SourceError(f"TAR search for {needle(celex)}: the page token repeats; paging refused",
                              status="failed")
        seen.add(token)
    return hits, False, notes


def refresh(ctx: SourceContext) -> SourceResult:
    """Search the TAR texts for each selected directive; findings only (see the module doc)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "Lithuania")
    if not directives:
        return result
    http_of(ctx, INFO.name, "query the TAR open data")
    base = endpoint(ctx)
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    notes: list[str] = []
    hits_total = 0
    for measure in directives:
        celex = measure.celex or ""
        ctx.progress(f"gazette-lt: {measure.id}: TAR texts containing {needle(celex)!r}")
        try:
            hits, complete, search_notes = _search(ctx, base, celex)
        except (SourceError, ParseError) as exc:
            failures.append(f"{measure.id} ({status_of(exc)}): {exc}")
            continue
        notes.extend(search_notes)
        if not complete:
            notes.append(f"{celex}: more than {MAX_PAGES} pages of {PAGE_SIZE}; the rest was not read")
        unrelated = 0
        for act, fetch in hits:
            hits_total += 1
            if celex not in act.celex():
                unrelated += 1
                continue
            keep_fetch(result, fetch)
            result.findings.extend(findings_for(act, ctx, fetch, wanted))
        if unrelated:
            notes.append(f"{celex}: {unrelated} hit(s) whose text does not cite it (the substring matched "
                         "something else); ignored")
    result.findings = unique_findings(result.findings)
    if all_failed(result, failures, len(directives), "search"):
        return result
    reason = [f"{len(directives)} directive(s) searched, {hits_total} hit(s), {len(result.findings)} finding(s); "
              "no coverage: the TAR text filter is not verified live"]
    if failures:
        reason.append(f"{len(failures)} of {len(directives)} search(es) failed: " + "; ".join(failures))
    result.reason = "; ".join(reason + notes)
    return result


# --- import --------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved Spinta answer (`{"_data": [...]}`) or a single record."""
    with named_errors(name):
        doc = parse_json(body, name)
        if isinstance(doc, dict) and "_data" in doc:
            acts, _, notes = parse_page(body, name)
        elif isinstance(doc, dict) and ("tar_kodas" in doc or "dokumento_id" in doc):
            acts, notes = [record_act(doc)], []
        else:
            _check_error(doc, name)
            raise ParseError("neither a TAR open data answer (_data) nor a TAR record")
    return import_result(acts, name, ctx, notes)
