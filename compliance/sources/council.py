"""Council of the EU: public register documents of the catalogued dossiers (informational).

What sources.md §3 documents, and all this module relies on:

* No API and no RSS. The search is an HTML page,
  `…/public-register/public-register-search/results/?InterinstitutionalFiles=…&page=N`
  (parameters read off the form: query, WordsInSubject, …, InterinstitutionalFiles, DateFrom,
  DateTo, OrderBy, page). Unknown parameters are silently IGNORED, so a misread filter gives
  every document instead of none.
* 20 results a page, at most 50 pages (1,000 documents) a query.
* Result rows are `li.gsc-public-register__result-item` reading like
  "ST 14964 2018 ADD 1 - 'I/A' ITEM NOTE 04/12/2018 <title> Subject matters: <CODES> Date of …".
* Document ids `{series}-{number}-{YYYY}-{INIT|REV-n|ADD-n|COR-n}` (ST-8090-2021-INIT), the PDF
  at `https://data.consilium.europa.eu/doc/document/{ID}/{lang}/pdf`.
* www.consilium.europa.eu answers bots with a Cloudflare challenge.

No real result page has been captured (../shared/samples/council/ is empty), so the parser is
conservative: it reads only what the documented row text shows, refuses a page that has rows
but none in that form, and never guesses a date.

Outcomes: a challenge page (or HTTP 403) -> BlockedError, status "blocked" (and no further
dossier is tried: the same wall answers every request); a query that reaches the cap ->
status "suspect" with the reason and no findings for that dossier (they may be unfiltered);
unreachable -> "failed". Findings are kind "council-document", member_state "EU", one per
document and dossier. They are informational: this source emits NO coverage rows, so no rule
can read their absence as a gap.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from ..errors import BlockedError, ParseError, SourceError
from . import SOURCES
from .base import FoundItem, SourceContext, SourceResult
from .gazettes._payloads import decode
from .parallel import host_workers, ordered_map

if TYPE_CHECKING:
    from ..http import FetchResult
    from ..model import Measure

INFO = SOURCES["council"]
ENDPOINT_NAME = "COUNCIL_REGISTER"
DEFAULT_ENDPOINT = (
    "https://www.consilium.europa.eu/en/documents-publications/public-register/public-register-search/results/"
)
DOCUMENT_URL = "https://data.consilium.europa.eu/doc/document/{id}/{lang}/pdf"
EU = "EU"

PAGE_SIZE = 20  # results per page (sources.md §3)
MAX_PAGES = 50  # the register's cap: 50 pages, 1,000 documents per query

RESULT_ITEM_CLASS = "gsc-public-register__result-item"
_PAGE_MARKER = "gsc-public-register"
_PROCEDURE_RE = re.compile(r"^[0-9]{4}/[0-9]{4}\([A-Z]{3}\)$")
# "ST 14964 2018 ADD 1 - 'I/A' ITEM NOTE 04/12/2018 <title> Subject matters: … Date of …"
_ROW_RE = re.compile(
    r"^(?P<series>ST|WK|CM|SN|RE|PE)\s+(?P<number>[0-9]{1,6})\s+(?P<year>(?:19|20)[0-9]{2})"
    r"(?P<suffix>(?:\s+(?:INIT|(?:REV|ADD|COR|AMD|EXT|DCL)\s+[0-9]{1,3}))*)"
    r"\s+-\s+(?P<type>.*?)\s+(?P<date>[0-9]{2}/[0-9]{2}/[0-9]{4})\s+(?P<rest>.*)$"
)
_SUBJECTS_RE = re.compile(r"\s*Subject matters?\s*:\s*", re.I)
_DATE_OF_RE = re.compile(r"\s*Date of (?P<what>[^:]{1,40}):\s*(?P<date>[0-9]{2}/[0-9]{2}/[0-9]{4})?", re.I)
_DOC_LINK_RE = re.compile(r"data\.consilium\.europa\.eu/doc/document/([A-Z]{2}-[0-9]+-[0-9]{4}-[A-Z0-9-]+)/([a-z]{2})/",
                          re.I)
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9 ]{1,30}$")
_CHALLENGE_MARKERS = (
    "cf-browser-verification", "cf_chl_opt", "/cdn-cgi/challenge-platform/", "cf-chl-",
    "<title>Just a moment...</title>", "Attention Required! | Cloudflare", "challenge-platform",
    "awsWafCookieDomainList", "gokuProps", "AwsWafIntegration",
)
# A challenge may come with these statuses: read the body before failing on the status.
_CHALLENGE_STATUSES = (403, 503)


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT)


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _dmy(value: str | None) -> date | None:
    m = re.fullmatch(r"([0-9]{2})/([0-9]{2})/([0-9]{4})", value or "")
    if not m:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


def challenge(text: str) -> str | None:
    head = text[:200_000]
    return next((m for m in _CHALLENGE_MARKERS if m in head), None)


# --- parsing ---------------------------------------------------------------------------------


@dataclass
class RegisterDocument:
    id: str  # ST-14964-2018-ADD-1
    reference: str  # as written: "ST 14964 2018 ADD 1"
    series: str
    number: str
    year: str
    suffix: str  # INIT, ADD-1, REV-2, ADD-1-REV-1 …
    document_type: str
    date: date
    title: str
    subjects: list[str]
    other_dates: dict[str, str]  # "meeting" -> ISO date, from "Date of …:" labels
    links: dict[str, str]  # language -> document URL, as linked in the row
    notes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.links.get("en") or DOCUMENT_URL.format(id=self.id, lang="en")

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "reference": self.reference, "series": self.series, "number": self.number,
            "year": self.year, "suffix": self.suffix, "document_type": self.document_type,
            "date": self.date.isoformat(), "title": self.title, "subjects": self.subjects,
            "other_dates": self.other_dates, "links": self.links,
            "url_built": "en" not in self.links, "notes": self.notes,
        }


@dataclass
class ResultPage:
    documents: list[RegisterDocument]
    items: int  # result rows on the page, parsed or not
    notes: list[str]


def parse_row(text: str, links: dict[str, str]) -> RegisterDocument | None:
    """One result row's text (whitespace collapsed), or None when it is not in the documented form."""
    m = _ROW_RE.match(text)
    if not m:
        return None
    when = _dmy(m.group("date"))
    if when is None:
        return None
    suffix_words = m.group("suffix").split()
    suffix = "-".join(w for w in suffix_words if w != "INIT") or "INIT"
    doc_id = f"{m.group('series')}-{int(m.group('number'))}-{m.group('year')}-{suffix}"
    pieces = _SUBJECTS_RE.split(m.group("rest"), maxsplit=1)
    title, subjects_text = pieces[0], (pieces[1] if len(pieces) > 1 else "")
    other: dict[str, str] = {}
    notes: list[str] = []
    # "Date of …:" (a meeting date, per the documented row text) ends the subjects, or the title.
    tail = subjects_text if subjects_text else title
    found = _DATE_OF_RE.search(tail)
    if found:
        parsed = _dmy(found.group("date"))
        if parsed:
            other[_clean(found.group("what")).lower()] = parsed.isoformat()
        tail = tail[: found.start()]
        if subjects_text:
            subjects_text = tail
        else:
            title = tail
    subjects = [c.strip() for c in re.split(r"[,;]", subjects_text) if c.strip()]
    odd = [c for c in subjects if not _CODE_RE.match(c)]
    if odd:
        notes.append(f"subject matters not read as codes: {', '.join(odd)}")
        subjects = [c for c in subjects if _CODE_RE.match(c)]
    linked = dict(links)
    ids = {i for i in (_link_id(u) for u in linked.values()) if i}
    if ids and doc_id not in ids:
        notes.append(f"the row reads {doc_id} but links to {', '.join(sorted(ids))}")
    return RegisterDocument(
        id=doc_id, reference=f"{m.group('series')} {m.group('number')} {m.group('year')}"
        + (" " + " ".join(suffix_words) if suffix_words else ""),
        series=m.group("series"), number=str(int(m.group("number"))), year=m.group("year"), suffix=suffix,
        document_type=_clean(m.group("type")).strip("-– "), date=when, title=_clean(title),
        subjects=subjects, other_dates=other, links=linked, notes=notes,
    )


def _link_id(url: str) -> str | None:
    m = _DOC_LINK_RE.search(url)
    return m.group(1).upper() if m else None


def _row_text(row: Any) -> str:
    """The row's text without its per-language links ("EN", "FR" …), which follow the fields."""
    parts = []
    for piece in row.find_all(string=True):
        link = piece.find_parent("a")
        if link is not None and _DOC_LINK_RE.search(link.get("href", "")) and re.fullmatch(r"\s*[A-Za-z]{2}\s*", piece):
            continue
        parts.append(str(piece))
    return _clean(" ".join(parts))


def parse_results(body: bytes, what: str = "Council register result page") -> ResultPage:
    """The documents on one register result page."""
    from bs4 import BeautifulSoup

    text = decode(body, what)
    marker = challenge(text)
    if marker is not None:
        raise BlockedError(f"{what}: a bot challenge page ({marker!r}) instead of results")
    if _PAGE_MARKER not in text:
        raise ParseError(f"{what}: not a register result page (no '{_PAGE_MARKER}' markup)")
    soup = BeautifulSoup(text, "lxml")  # lxml's HTML parser: no DTD, no entities, no network
    rows = soup.select(f"li.{RESULT_ITEM_CLASS}")
    documents: list[RegisterDocument] = []
    notes: list[str] = []
    for row in rows:
        links: dict[str, str] = {}
        for a in row.find_all("a", href=True):
            m = _DOC_LINK_RE.search(a["href"])
            if m and m.group(2).lower() not in links:
                links[m.group(2).lower()] = a["href"]
        row_text = _row_text(row)
        doc = parse_row(row_text, links)
        if doc is None:
            notes.append(f"row not in the documented form, skipped: {row_text[:80]!r}")
            continue
        documents.append(doc)
    if rows and not documents:
        raise ParseError(f"{what}: {len(rows)} result row(s), none in the documented form (markup changed?)")
    return ResultPage(documents=documents, items=len(rows), notes=notes)


# --- refresh ---------------------------------------------------------------------------------


class CappedError(SourceError):
    """The query reached the register's cap: the list may be cut or unfiltered."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status="suspect")


def fetch_page(ctx: SourceContext, reference: str, page: int) -> FetchResult:
    if ctx.http is None:
        raise SourceError("council: no HTTP client (import mode cannot query the register)", status="unavailable")
    what = f"Council register, {reference}, page {page}"
    fetch = ctx.http.get(
        INFO.name, endpoint(ctx), params={"InterinstitutionalFiles": reference, "page": str(page)},
        headers={"Accept": "text/html"}, conditional=True, ok_statuses=_CHALLENGE_STATUSES,
    )
    text = fetch.body[:200_000].decode("utf-8", "replace")
    marker = challenge(text)
    if marker is not None:
        raise BlockedError(f"{what}: a bot challenge page ({marker!r}, HTTP {fetch.status_code}) instead of results")
    if fetch.status_code == 403:
        raise BlockedError(f"{what}: HTTP 403 (access refused; the Cloudflare wall?)")
    if fetch.status_code >= 300 and not fetch.not_modified:
        raise SourceError(f"{what}: HTTP {fetch.status_code}")
    return fetch


def search_dossier(ctx: SourceContext, reference: str) -> tuple[list[tuple[RegisterDocument, FetchResult]],
                                                                   list[FetchResult], list[str]]:
    """Every document listed for one interinstitutional file, page by page while pages are full."""
    found: list[tuple[RegisterDocument, FetchResult]] = []
    fetches: list[FetchResult] = []
    notes: list[str] = []
    page_size, max_pages = PAGE_SIZE, MAX_PAGES  # module globals: tests shrink them
    for page in range(1, max_pages + 1):
        fetch = fetch_page(ctx, reference, page)
        fetches.append(fetch)
        parsed = parse_results(fetch.body, f"Council register, {reference}, page {page}")
        notes += parsed.notes
        found += [(d, fetch) for d in parsed.documents]
        if parsed.items < page_size:
            return found, fetches, notes
    raise CappedError(
        f"{reference}: {max_pages} full pages ({max_pages * page_size} documents), the register's cap: the list "
        "is cut, or the InterinstitutionalFiles filter was ignored (unknown parameters are silently ignored); "
        "split the query by date window"
    )


def document_item(doc: RegisterDocument, measure: Measure, reference: str, fetch: FetchResult | None) -> FoundItem:
    return FoundItem(
        key=doc.id,
        kind="council-document",
        measure_id=measure.id,
        member_state=EU,
        date=doc.date,
        title=doc.title or None,
        reference=doc.reference,
        url=doc.url,
        stage=doc.document_type or None,
        data={**doc.as_dict(), "procedure": reference, "informational": True},
        fetch=fetch,
    )


_NOT_TRIED = object()  # a search not started after a bot challenge


def _procedure(measure: Measure) -> str | None:
    value = (measure.identifiers or {}).get("procedure")
    return value.strip() if isinstance(value, str) and value.strip() else None


def refresh(ctx: SourceContext) -> SourceResult:
    """Search the register for every selected measure with a procedure identifier. No coverage."""
    result = SourceResult()
    dossiers = [(m, _procedure(m)) for m in ctx.measures() if _procedure(m)]
    if not dossiers:
        result.reason = "no selected measure has a procedure identifier (the register is searched by dossier)"
        return result
    outcomes: dict[str, tuple[str, str]] = {}  # measure id -> (status, reason)
    counts: dict[str, int] = {}  # measure id -> documents found (searched dossiers only)

    challenged = threading.Event()

    def search(item: tuple[Measure, str | None]) -> Any:
        measure, reference = item
        assert reference is not None
        if not _PROCEDURE_RE.match(reference):
            return None
        if challenged.is_set():
            return _NOT_TRIED  # a bot challenge was met: no new search is started
        ctx.progress(f"council: {measure.id}: register search for {reference}")
        try:
            return search_dossier(ctx, reference)
        except BlockedError as exc:
            challenged.set()
            return exc
        except (SourceError, ParseError) as exc:
            return exc

    # The first dossier is searched alone (a register that answers with a bot challenge gets one
    # request), the others then at once, up to the host's concurrency; outcomes are taken in order,
    # as one search after another would give them (nothing after a bot challenge counts).
    searches = [search(item) for item in dossiers[:1]]
    if not isinstance(searches[0], BlockedError):
        searches += ordered_map(search, dossiers[1:], host_workers(ctx, endpoint(ctx), len(dossiers) - 1), "council")
    for (measure, reference), outcome in zip(dossiers, searches, strict=False):
        if outcome is None:
            outcomes[measure.id] = ("failed", f"{reference!r} is not a procedure reference")
            continue
        if isinstance(outcome, BlockedError) or outcome is _NOT_TRIED:
            if outcome is not _NOT_TRIED:
                outcomes[measure.id] = ("blocked", str(outcome))
            for rest, _ref in dossiers:
                outcomes.setdefault(rest.id, ("blocked", "not tried: the register answered with a bot challenge"))
            break
        if isinstance(outcome, SourceError | ParseError):
            status = outcome.status if isinstance(outcome, SourceError) else "failed"
            outcomes[measure.id] = (status, str(outcome))
            continue
        docs, fetches, notes = outcome
        result.fetches.extend(fetches)
        result.findings.extend(document_item(d, measure, reference, f) for d, f in docs)
        counts[measure.id] = len(docs)
        outcomes[measure.id] = ("ok", "; ".join([f"{reference}: {len(docs)} document(s)", *notes]))
        ctx.progress(f"council: {measure.id}: {outcomes[measure.id][1]}")
    result.status, result.reason = _overall(outcomes, counts)
    return result


def _overall(outcomes: dict[str, tuple[str, str]], counts: dict[str, int]) -> tuple[str, str]:
    """The source's status and a short reason: counts, and the first dossier that was not ok
    (each dossier's own outcome is in the progress lines; the failed requests in the run)."""
    bad = {m: o for m, o in outcomes.items() if o[0] != "ok"}

    def first(of: dict[str, tuple[str, str]]) -> str:
        (measure_id, (status, reason)), *rest = of.items()
        alike = {r for _m, (_s, r) in rest}  # the same words for all the others ("not tried: ...")
        more = f" (and {len(rest)} more" + (f": {alike.pop()})" if len(alike) == 1 else ")") if rest else ""
        return f"first: {measure_id}: {status}: {reason}{more}"

    if len(bad) == len(outcomes):
        statuses = {s for s, _ in bad.values()}
        status = statuses.pop() if len(statuses) == 1 else ("blocked" if "blocked" in statuses else "failed")
        return status, f"no dossier searched completely ({len(bad)} {status}); {first(bad)}"
    suspect = {m: o for m, o in bad.items() if o[0] == "suspect"}
    if suspect:
        return "suspect", f"a search reached the register's cap; {first(suspect)}"
    if not any(counts.values()):
        return "suspect", (
            f"the register listed no document for any of {len(counts)} dossier(s): the InterinstitutionalFiles "
            "filter may be read differently than documented"
        )
    documents = f"{sum(counts.values())} document(s) in {len(counts)} dossier(s)"
    if bad:
        return "ok", f"{len(bad)} of {len(outcomes)} dossier(s) not searched; {documents}; {first(bad)}"
    return "ok", documents


# --- import of a saved file ------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Documents from a register result page a user saved from a browser (after the challenge).

    The page does not say which dossier it lists, so `--measure` must name the one catalogued
    measure it is for. Findings only, never coverage.
    """
    chosen = ctx.measures() if ctx.measure_ids else []
    if len(chosen) != 1:
        raise ParseError(f"{name}: a register result page does not name its dossier; pass --measure with the one "
                         "catalogued measure it was searched for")
    try:
        page = parse_results(body, name)
    except ParseError as exc:
        raise ParseError(f"{name}: {exc}") from None
    measure = chosen[0]
    reference = _procedure(measure) or ""
    result = SourceResult(findings=[document_item(d, measure, reference, None) for d in page.documents])
    notes = list(page.notes)
    if page.items >= PAGE_SIZE:
        notes.append(f"the page is full ({page.items} rows): later pages may hold more documents")
    result.reason = "; ".join([f"{len(page.documents)} document(s)", *notes])
    return result
