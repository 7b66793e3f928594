"""Croatia: Narodne novine (the Official Gazette), through its sitemaps and per-act ELI metadata.

The interface (sources.md §2.1; Narodne novine's "Pristup podacima" page,
https://narodne-novine.nn.hr/data_access.aspx: anonymous, free, at most 3 requests a second;
worldwidelaw/legal-sources HR/OfficialGazette `config.yaml`/`bootstrap.py`; matematicsolutions/hr-eli-mcp
`DISCOVERY.md`, probed live 2026-06-29; norislav/legalize-pipeline `RESEARCH-HR.md` §0.1a/§0.3):

* `GET {nn}/sitemap.xml`, the sitemap index: one `sitemap_{part}_{year}_{issue}.xml` per issue,
  part 1 being the official part ("službeni dio");
* `GET {nn}/sitemap_1_{year}_{issue}.xml` lists the issue's documents, each by its ELI
  `{nn}/eli/sluzbeni/{year}/{issue}/{doc}` (and its legacy `/clanci/…` page). The file starts
  with a blank line before its XML declaration: it is read from its first `<`;
* `GET {nn}/eli/sluzbeni/{year}/{issue}/{doc}/json-ld` is the act's ELI metadata (ELI ontology
  1.3, an expanded JSON-LD graph): the Work node (`eli:LegalResource`) with `eli:type_document`
  (an authority URI ending in ZAKON, UREDBA, OSTALO…), `eli:number`, `eli:date_document`,
  `eli:date_publication`, `eli:transposes` (the EU acts the act transposes, as EU ELI URIs
  `http://data.europa.eu/eli/dir/2011/36/oj`) and `eli:transposed_by`; the Expression node
  (`…/hrv`) with `eli:title`. The metadata exists for acts from 2015 on (back-filled when ELI was
  introduced in 2022); an older act answers 404. The same triples are in the act page's RDFa.

How Narodne novine links an act to a directive: `eli:transposes` is the publisher's own EU link
(the act's article "Prijenos pravne stečevine Europske unije", "Ovim se Zakonom u hrvatsko
zakonodavstvo preuzimaju sljedeće direktive: …", entered as metadata): a national measure. A
directive in the title is read with the shared wording rule. `eli:transposed_by` pointing at an
EU act inverts the relation (a directive cannot be transposed *by* it): it is kept as a citation
with a note, never as a national measure.

Refresh: for each selected directive, the years from the directive's (at the earliest 2015) to two
years after its transposition deadline (at most `MAX_YEARS`, most recent first); every issue of
those years, every act of each issue, at most `MAX_DOCUMENTS` metadata documents a refresh, at
`PACER`'s pace (2.5 a second, under the published 3). No coverage is emitted: the year window
and the cap can miss an act, and acts before 2015 have no ELI metadata.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from ...clock import utcnow
from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ._payloads import clean, local, named_errors, parse_date, parse_json, parse_xml
from ._runs import Pacer, all_failed, candidate_measures, directive_scope, http_of, status_of
from ._support import (
    CITES,
    IMPLEMENTS,
    NationalAct,
    findings_for,
    harvest_years,
    import_result,
    one_line,
    refs_in_text,
    refs_in_uri,
)

if TYPE_CHECKING:
    from ...http import FetchResult

INFO = SOURCES["gazette-hr"]
ENDPOINT_NAME = "GAZETTE_HR"
DEFAULT_ENDPOINT = "https://narodne-novine.nn.hr"
ELI_BASE = "https://narodne-novine.nn.hr/eli/sluzbeni"
MEMBER_STATE = "HR"
FIRST_METADATA_YEAR = 2015
MAX_YEARS = 3
YEARS_AFTER_DEADLINE = 2
MAX_DOCUMENTS = 4000
PACER = Pacer(0.4)  # data_access.aspx: at most 3 requests a second

ELI_NS = "http://data.europa.eu/eli/ontology#"
TRANSPOSES_BASIS = "eli:transposes (Narodne novine ELI metadata)"
_ISSUE_SITEMAP = re.compile(r"/sitemap_1_(\d{4})_(\d+)\.xml$")
_ACT_ELI = re.compile(r"/eli/sluzbeni/(\d{4})/(\d+)/(\d+)/?$")


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


def index_url(base: str) -> str:
    return f"{base}/sitemap.xml"


def issue_sitemap_url(base: str, year: int, issue: int) -> str:
    return f"{base}/sitemap_1_{year}_{issue}.xml"


def metadata_url(base: str, year: int, issue: int, doc: int) -> str:
    return f"{base}/eli/sluzbeni/{year}/{issue}/{doc}/json-ld"


def act_eli(year: int, issue: int, doc: int) -> str:
    return f"{ELI_BASE}/{year}/{issue}/{doc}"


# --- sitemaps --------------------------------------------------------------------------------------


def _locs(body: bytes, what: str) -> list[str]:
    """Every `<loc>` of a sitemap or sitemap index (read from its first `<`)."""
    if not isinstance(body, bytes | bytearray):
        raise ParseError(f"{what}: expected bytes, got {type(body).__name__}")
    start = bytes(body).find(b"<")
    root, _ = parse_xml(bytes(body)[max(start, 0):], what)
    if local(root.tag) not in ("sitemapindex", "urlset"):
        raise ParseError(f"{what}: not a sitemap (root <{local(root.tag)}>)")
    return [loc.text.strip() for loc in root.iter() if local(loc.tag) == "loc" and loc.text and loc.text.strip()]


def parse_index(body: bytes, what: str = "Narodne novine sitemap index") -> dict[int, list[int]]:
    """{year: [issue numbers, ascending]} of the official part's issue sitemaps."""
    issues: dict[int, set[int]] = {}
    for loc in _locs(body, what):
        m = _ISSUE_SITEMAP.search(loc)
        if m:
            issues.setdefault(int(m.group(1)), set()).add(int(m.group(2)))
    return {year: sorted(numbers) for year, numbers in sorted(issues.items())}


def parse_issue_sitemap(body: bytes, year: int, issue: int) -> list[int]:
    """The document numbers of one issue, ascending (ELIs of another issue are ignored)."""
    docs: set[int] = set()
    for loc in _locs(body, f"Narodne novine sitemap of NN {issue}/{year}"):
        m = _ACT_ELI.search(loc)
        if m and (int(m.group(1)), int(m.group(2))) == (year, issue):
            docs.add(int(m.group(3)))
    return sorted(docs)


# --- ELI metadata ------------------------------------------------------------------------------------


def _values(node: dict[str, Any], prop: str) -> list[str]:
    """The `@id` or `@value` strings of an expanded JSON-LD property (a list of objects)."""
    raw = node.get(ELI_NS + prop)
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out = []
    for item in items:
        value = item.get("@id", item.get("@value")) if isinstance(item, dict) else item
        if isinstance(value, str) and value.strip():
            out.append(value.strip())
    return out


def _types(node: dict[str, Any]) -> list[str]:
    raw = node.get("@type")
    return [t for t in (raw if isinstance(raw, list) else [raw]) if isinstance(t, str)]


def _eli_path(uri: str) -> tuple[int, int, int] | None:
    """(year, issue, doc) of a Narodne novine act ELI (NN also writes 'https:/narodne-novine…')."""
    m = _ACT_ELI.search(uri)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def parse_metadata(body: bytes, what: str = "Narodne novine ELI metadata",
                   expected: tuple[int, int, int] | None = None) -> NationalAct:
    """A NationalAct from an act's `/json-ld` document (the Work node of `expected` if given)."""
    doc = parse_json(body, what)
    graph = doc.get("@graph") if isinstance(doc, dict) else doc
    if isinstance(doc, dict) and graph is None:
        graph = [doc]
    if not isinstance(graph, list):
        raise ParseError(f"{what}: expected a JSON-LD graph (a list of nodes)")
    nodes = [n for n in graph if isinstance(n, dict) and isinstance(n.get("@id"), str)]
    works = [n for n in nodes if ELI_NS + "LegalResource" in _types(n) and _eli_path(n["@id"])]
    if expected is not None:
        works = [n for n in works if _eli_path(n["@id"]) == expected]
    if not works:
        raise ParseError(f"{what}: no eli:LegalResource node of a Narodne novine act"
                         + (f" for NN {expected[1]}/{expected[0]} ({expected[2]})" if expected else ""))
    work = works[0]
    year, issue, number = _eli_path(work["@id"]) or (0, 0, 0)
    eli = act_eli(year, issue, number)
    title = None
    for node in nodes:
        if ELI_NS + "LegalExpression" in _types(node) and (
                _eli_path(node["@id"].rsplit("/", 1)[0]) == (year, issue, number)
                or any(_eli_path(v) == (year, issue, number) for v in _values(node, "realizes"))):
            title = clean(next(iter(_values(node, "title")), None))
            if title:
                break
    type_uri = next(iter(_values(work, "type_document")), "")
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=eli,
        national_id=f"NN {issue}/{year} ({number})",
        fmt="narodne-novine-eli-json-ld",
        title=title,
        type=type_uri.rstrip("/").rsplit("/", 1)[-1] or None,
        eli=eli,
        url=eli,
        adopted=parse_date(next(iter(_values(work, "date_document")), None)),
        published=parse_date(next(iter(_values(work, "date_publication")), None)),
        language="hr",
    )
    transposes = _values(work, "transposes")
    for uri in transposes:
        act.references.extend(refs_in_uri(uri, "eli:transposes", IMPLEMENTS, TRANSPOSES_BASIS))
    inverted = [u for u in _values(work, "transposed_by") if "data.europa.eu/eli/" in u]
    for uri in inverted:
        act.references.extend(refs_in_uri(uri, "eli:transposed_by", CITES))
    if inverted:
        act.notes.append(f"eli:transposed_by names EU act(s) ({', '.join(inverted[:5])}): the relation is inverted, "
                         "so it is kept as a citation, not a national measure")
    unread = [u for u in transposes if not refs_in_uri(u, "eli:transposes")]
    if unread:
        act.notes.append(f"eli:transposes value(s) that name no EU act: {', '.join(unread[:5])}")
    act.references.extend(refs_in_text(title, "title"))
    act.extra = {"eli_transposes": transposes, "issue": issue, "year": year, "number": number}
    return act


# --- refresh ----------------------------------------------------------------------------------------


def _today() -> date:
    return utcnow().date()


def _get(http: Any, url: str, *, ok_statuses: tuple[int, ...] = ()) -> FetchResult:
    PACER.wait()
    return http.get(INFO.name, url, conditional=True, ok_statuses=ok_statuses)


def refresh(ctx: SourceContext) -> SourceResult:
    """Walk the issues of the relevant years and read each act's ELI metadata (see the module doc)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "Croatia")
    if not directives:
        return result
    http = http_of(ctx, INFO.name, "read Narodne novine")
    base = endpoint(ctx)
    today = _today()
    every, _ = harvest_years(directives, today, 10_000, YEARS_AFTER_DEADLINE)
    early = [y for y in every if y < FIRST_METADATA_YEAR]
    readable = [y for y in every if y >= FIRST_METADATA_YEAR]
    years, skipped = readable[:MAX_YEARS], readable[MAX_YEARS:]
    notes: list[str] = []
    if early:
        notes.append(f"years before {FIRST_METADATA_YEAR} not read (no ELI metadata): "
                     f"{', '.join(map(str, sorted(early)))}")
    if not years:
        result.reason = "; ".join(notes) or "no year to read"
        return result
    try:
        index_fetch = _get(http, index_url(base))
        issues = parse_index(index_fetch.body)
    except (SourceError, ParseError) as exc:
        result.status = status_of(exc)
        result.reason = f"sitemap index: {exc}"
        return result
    result.fetches.append(index_fetch)
    if not issues:
        result.status = "suspect"
        result.reason = "the sitemap index lists no issue of the official part: it looks incomplete"
        return result
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    attempts = 0
    todo: list[tuple[int, int, int]] = []
    for year in years:
        numbers = issues.get(year, [])
        if not numbers and year < today.year:
            notes.append(f"the sitemap index lists no issue of {year}: it looks incomplete")
            result.status = "suspect"
        for issue in numbers:
            attempts += 1
            try:
                fetch = _get(http, issue_sitemap_url(base, year, issue))
                docs = parse_issue_sitemap(fetch.body, year, issue)
            except (SourceError, ParseError) as exc:
                failures.append(f"NN {issue}/{year} ({status_of(exc)}): {one_line(str(exc), 160)}")
                continue
            result.fetches.append(fetch)
            todo.extend((year, issue, doc) for doc in docs)
    if attempts and all_failed(result, failures, attempts, "issue sitemap"):
        return result
    if len(todo) > MAX_DOCUMENTS:
        notes.append(f"{len(todo) - MAX_DOCUMENTS} of {len(todo)} acts not read (MAX_DOCUMENTS={MAX_DOCUMENTS})")
        todo = todo[:MAX_DOCUMENTS]
    read = missing = 0
    doc_failures: list[str] = []
    for year, issue, doc in todo:
        url = metadata_url(base, year, issue, doc)
        ctx.progress(f"gazette-hr: NN {issue}/{year} ({doc})")
        try:
            fetch = _get(http, url, ok_statuses=(404,))
            if fetch.status_code == 404:
                missing += 1
                continue
            act = parse_metadata(fetch.body, url, (year, issue, doc))
        except (SourceError, ParseError) as exc:
            doc_failures.append(f"{url}: {one_line(str(exc), 160)}")
            continue
        read += 1
        result.fetches.append(fetch)
        notes.extend(f"{act.national_id}: {n}" for n in act.notes)
        result.findings.extend(findings_for(act, ctx, fetch, wanted))
    if todo and len(doc_failures) == len(todo):
        result.status = "failed"
        result.reason = f"every ELI metadata document failed; first: {doc_failures[0]}"
        return result
    reason = [f"{attempts} issue(s) in {len(years)} year(s); {read} act(s) with ELI metadata read"
              f"{f', {missing} without (404)' if missing else ''}; {len(result.findings)} finding(s); "
              "no coverage: the year window and the cap can miss an act"]
    if skipped:
        reason.append(f"years not read (more than MAX_YEARS={MAX_YEARS}): {', '.join(map(str, sorted(skipped)))}")
    if failures:
        reason.append(f"{len(failures)} issue sitemap(s) failed: " + "; ".join(failures[:5]))
    if doc_failures:
        reason.append(f"{len(doc_failures)} metadata document(s) failed: " + "; ".join(doc_failures[:5]))
    result.reason = "; ".join(reason + notes)
    return result


# --- import ----------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved `/json-ld` ELI metadata document of one act."""
    with named_errors(name):
        act = parse_metadata(body, name)
    return import_result([act], name, ctx)
