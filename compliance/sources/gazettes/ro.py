"""Romania: the Portal Legislativ of the Ministry of Justice, through its SOAP web service.

The interface (sources.md §2.1; documented at http://legislatie.just.ro/ServiciulWebLegislatie.htm,
WSDL `https://legislatie.just.ro/apiws/FreeWebService.svc?wsdl`; request shape as in the
government's own reference client govro/legislatie-just-python-soap-client (MIT, 2015), WWL
RO/LegislationDatabase `config.yaml`/`README.md` and matematicsolutions/ro-eli-mcp `DISCOVERY.md`,
whose recorded answer `tests/fixtures/search_2018_190.xml` the tests replay as
tests/fixtures/gazette-ro/search_2018-190_recorded.xml):

* `POST {endpoint}` (the `.svc/SOAP` binding; `.svc` itself answers 404), SOAP 1.1,
  `SOAPAction: "http://tempuri.org/IFreeWebService/GetToken"` with `<GetToken/>` -> a token in
  `GetTokenResult` (no registration). The token is a credential: its answer is never archived,
  and the token is redacted from every recorded request.
* `SOAPAction: ".../IFreeWebService/Search"` with a `SearchModel` (`NumarPagina`,
  `RezultatePagina`, `SearchAn`, `SearchNumar`, `SearchText`, `SearchTitlu`; an absent filter is
  `i:nil="true"`, an empty one matches nothing) and the `tokenKey` -> `SearchResult` with `a:Legi`
  records: `DataVigoare`, `Emitent`, `LinkHtml`, `Numar`, `Publicatie`, `Text` (the full text),
  `TipAct`, `Titlu` (which carries the act's date and its Monitorul Oficial issue).

Known behaviour (CristianNichifor/legislativ `scripts/api.py` and `scripts/colector.py`, measured
against the live service): ten records a page whatever `RezultatePagina` says; an empty page is
past the end; the token has a validity window the service does not state, and a stale token
faults. So a search that answers HTTP 500 or a fault naming the token gets one new token and is
sent once more (WWL refreshes the token after repeated 5xx answers too). WWL paces the service at
one request every 3 s; four concurrent readers drew no HTTP 503, six did (colector.py).

Refresh, per selected directive: `SearchText` = the directive's number ("2011/36", "2024/1712")
over the whole database, page after page. Each record's title and text are read for the EU acts
they name and how: the closing clause "Prezenta lege transpune … Directiva …" (or "… transpune
prevederile Directivei …") says the act implements it (a national measure); any other mention is a
citation. A hit whose text does not name the directive at all is left out and counted.

No coverage is emitted: WWL's README calls `SearchText` a full-text search, but how it matches
(words or substrings, with or without diacritics) is documented nowhere, so an empty answer cannot
prove that no act exists (as for the Dutch SRU search).
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ._payloads import clean, local, named_errors, parse_date, parse_xml
from ._runs import Pacer, all_failed, candidate_measures, common_status, directive_scope, http_of, keep_fetch, status_of
from ._support import NationalAct, findings_for, import_result, one_line, refs_in_text

if TYPE_CHECKING:
    from ...http import FetchResult, HttpClient

INFO = SOURCES["gazette-ro"]
ENDPOINT_NAME = "GAZETTE_RO"
DEFAULT_ENDPOINT = "https://legislatie.just.ro/apiws/FreeWebService.svc/SOAP"
MEMBER_STATE = "RO"
PORTAL = "https://legislatie.just.ro"
SERVICE_NS = "http://tempuri.org/"
DATA_NS = "http://schemas.datacontract.org/2004/07/FreeWebService"
PAGE_SIZE = 10  # the service's own cap
MAX_PAGES = 30
PACER = Pacer(3.0)  # WWL RO/LegislationDatabase: one request every 3 s

_MONTHS = {m: i for i, m in enumerate(
    ("ianuarie", "februarie", "martie", "aprilie", "mai", "iunie", "iulie", "august", "septembrie",
     "octombrie", "noiembrie", "decembrie"), start=1)}
_ADOPTED = re.compile(r"\bnr\.\s*[\d.]+\s+din\s+(\d{1,2})\s+([a-zăâîșşțţ]+)\s+(\d{4})", re.IGNORECASE)
_GAZETTE = re.compile(r"Monitorul\s+Oficial\s+(?:al\s+României,?\s+)?(?:Partea\s+I,?\s+)?nr\.\s*([\w.]+)\s+din\s+"
                      r"(\d{1,2})\s+([a-zăâîșşțţ]+)\s+(\d{4})", re.IGNORECASE)
_DETAIL = re.compile(r"/Public/DetaliiDocument/(\d+)\s*$")


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT)


def search_text(celex: str) -> str:
    """The number as Romanian texts write it, without the institution: "2011/36", "2024/1712"."""
    return f"{int(celex[1:5])}/{int(celex[6:10])}"


# --- SOAP envelopes ----------------------------------------------------------------------------------

_ENVELOPE = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{}</s:Body></s:Envelope>'


def token_envelope() -> bytes:
    return _ENVELOPE.format(f'<GetToken xmlns="{SERVICE_NS}"/>').encode()


def search_envelope(token: str, page: int, text: str) -> bytes:
    """A `Search` request: every filter but `SearchText` nil (an empty element matches nothing)."""
    def field(name: str, value: str | None) -> str:
        return f'<d:{name} i:nil="true"/>' if value is None else f"<d:{name}>{escape(value)}</d:{name}>"

    model = (f'<SearchModel xmlns:d="{DATA_NS}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
             f"{field('NumarPagina', str(page))}{field('RezultatePagina', str(PAGE_SIZE))}"
             f"{field('SearchAn', None)}{field('SearchNumar', None)}{field('SearchText', text)}"
             f"{field('SearchTitlu', None)}</SearchModel>")
    search = f'<Search xmlns="{SERVICE_NS}">{model}<tokenKey>{escape(token)}</tokenKey></Search>'
    return _ENVELOPE.format(search).encode()


def _headers(action: str) -> dict[str, str]:
    return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SERVICE_NS}IFreeWebService/{action}"'}


# --- parsing --------------------------------------------------------------------------------------


class TokenRefused(SourceError):
    """The service says the token is not (or no longer) valid."""


def _soap_body(body: bytes, what: str) -> Any:
    root, _ = parse_xml(body, what)
    if local(root.tag) != "Envelope":
        raise ParseError(f"{what}: root <{local(root.tag)}> is not a SOAP Envelope")
    fault = next((el for el in root.iter() if local(el.tag) == "Fault"), None)
    if fault is not None:
        message = next((" ".join(el.itertext()).strip() for el in fault.iter()
                        if local(el.tag) in ("faultstring", "Text", "Reason")), "") or "no message"
        error = TokenRefused if re.search(r"token", message, re.IGNORECASE) else SourceError
        raise error(f"{what}: SOAP fault: {one_line(message, 200)}", status="failed")
    return root


def parse_token(body: bytes) -> str:
    """The token of a `GetToken` answer."""
    root = _soap_body(body, "Portal Legislativ GetToken")
    token = next((clean(el.text) for el in root.iter() if local(el.tag) == "GetTokenResult"), None)
    if not token:
        raise ParseError("Portal Legislativ GetToken: no GetTokenResult in the answer")
    return token


def _ro_date(day: str, month: str, year: str) -> date | None:
    number = _MONTHS.get(month.lower().replace("ş", "ș"))
    try:
        return date(int(year), number, int(day)) if number else None
    except ValueError:
        return None


def act_of(fields: dict[str, str]) -> NationalAct:
    """A NationalAct from one `Legi` record (its children by local name)."""
    link = clean(fields.get("LinkHtml")) or ""
    kind, number = clean(fields.get("TipAct")), clean(fields.get("Numar"))
    if not link or not kind or not number:
        raise ParseError("a Legi record without LinkHtml, TipAct or Numar")
    m = _DETAIL.search(link)
    if not m:
        raise ParseError(f"a Legi record whose LinkHtml {one_line(link, 80)!r} is not a portal document")
    url = f"{PORTAL}/Public/DetaliiDocument/{m.group(1)}"
    title = clean(fields.get("Titlu")) or ""
    text = clean(fields.get("Text")) or ""
    adopted = _ADOPTED.search(title)
    gazette = _GAZETTE.search(title) or _GAZETTE.search(text[:2000])
    in_force = parse_date(fields.get("DataVigoare"))
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=url,
        national_id="",
        fmt="legislatie-just-soap",
        title=title or None,
        type=kind,
        url=url,
        adopted=_ro_date(*adopted.groups()) if adopted else None,
        published=_ro_date(*gazette.groups()[1:]) if gazette else None,
        entry_into_force=in_force,
        language="ro",
    )
    year = act.adopted.year if act.adopted else in_force.year if in_force else None
    act.national_id = f"{kind} nr. {number}/{year}" if year else f"{kind} nr. {number}"
    act.references.extend(refs_in_text(title, "title"))
    act.references.extend(refs_in_text(text, "text"))
    act.extra = {"issuer": clean(fields.get("Emitent")), "gazette": clean(fields.get("Publicatie")),
                 "gazette_issue": gazette.group(1) if gazette else None, "portal_id": m.group(1),
                 "in_force_from": clean(fields.get("DataVigoare"))}
    if not gazette:
        act.notes.append("no Monitorul Oficial issue in the title: publication date unknown")
    return act


def parse_search(body: bytes, what: str = "Portal Legislativ Search") -> tuple[list[NationalAct], list[str]]:
    """(acts, notes) of a `Search` answer; a record that cannot be read is a note, not a failure."""
    root = _soap_body(body, what)
    result = next((el for el in root.iter() if local(el.tag) == "SearchResult"), None)
    if result is None:
        raise ParseError(f"{what}: no SearchResult in the answer")
    acts, notes = [], []
    for n, record in enumerate(el for el in result if local(el.tag) == "Legi"):
        fields = {local(c.tag): "".join(c.itertext()) for c in record}
        try:
            acts.append(act_of(fields))
        except ParseError as exc:
            notes.append(f"record {n}: {exc}")
    return acts, notes


# --- refresh ----------------------------------------------------------------------------------------


class _Session:
    """The token of one refresh: fetched when first needed, renewed once after a refused search."""

    def __init__(self, http: HttpClient, url: str) -> None:
        self.http, self.url = http, url
        self.token: str | None = None

    def _new_token(self) -> None:
        with PACER.paced():
            reply = self.http.post(INFO.name, self.url, content=token_envelope(), headers=_headers("GetToken"),
                                   archive=False)
        self.token = parse_token(reply.body)

    def search(self, text: str, page: int) -> tuple[FetchResult, list[NationalAct], list[str]]:
        """One page of `text`: (the fetch, its acts, notes on records that could not be read)."""
        for attempt in (1, 2):
            if self.token is None:
                self._new_token()
            assert self.token is not None
            try:
                with PACER.paced():
                    fetch = self.http.post(INFO.name, self.url, content=search_envelope(self.token, page, text),
                                           secrets=(self.token,), headers=_headers("Search"))
                acts, notes = parse_search(fetch.body, f"Portal Legislativ Search {text!r} page {page}")
                return fetch, acts, notes
            except SourceError as exc:
                # A worn-out token answers HTTP 500 (or a fault naming the token): renew it once.
                if attempt == 2 or not (isinstance(exc, TokenRefused) or "HTTP 500" in str(exc)):
                    raise
                self.token = None
        raise AssertionError("unreachable")


def _search(session: _Session, text: str) -> tuple[list[tuple[NationalAct, FetchResult]], list[str], bool]:
    """Every record for `text`: (hits, notes, complete)."""
    hits: list[tuple[NationalAct, FetchResult]] = []
    notes: list[str] = []
    for page in range(1, MAX_PAGES + 1):
        fetch, acts, page_notes = session.search(text, page)
        hits.extend((a, fetch) for a in acts)
        notes.extend(page_notes)
        if len(acts) + len(page_notes) < PAGE_SIZE:
            return hits, notes, True
    return hits, notes, False


def refresh(ctx: SourceContext) -> SourceResult:
    """Search the whole Portal Legislativ for each selected directive (see the module doc)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "Romania")
    if not directives:
        return result
    session = _Session(http_of(ctx, INFO.name, "query the Portal Legislativ"), endpoint(ctx))
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    statuses: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()
    unrelated = 0
    for measure in directives:
        celex = measure.celex or ""
        text = search_text(celex)
        ctx.progress(f"gazette-ro: {measure.id}: searching the Portal Legislativ for {text}")
        try:
            hits, page_notes, complete = _search(session, text)
        except (SourceError, ParseError) as exc:
            statuses.append(status_of(exc))
            failures.append(f"{measure.id} ({statuses[-1]}): {exc}")
            continue
        notes.extend(page_notes[:5])
        for act, fetch in hits:
            keep_fetch(result, fetch)
            if celex not in act.celex():
                unrelated += 1  # "2011/36" inside another number: the act does not name the directive
                continue
            seen.add(act.key)
            result.findings.extend(f for f in findings_for(act, ctx, fetch, wanted) if f.data["measure_celex"] == celex)
        if not complete:
            notes.append(f"{text}: more than {MAX_PAGES * PAGE_SIZE} records; the rest was not read")
    if all_failed(result, failures, len(directives), "search", common_status(statuses)):
        return result
    reason = [f"{len(seen)} act(s) naming a selected directive, {len(result.findings)} finding(s); "
              "no coverage: what the service's SearchText matches is not documented"]
    if unrelated:
        reason.append(f"{unrelated} hit(s) that do not name the directive left out")
    if failures:
        reason.append(f"{len(failures)} of {len(directives)} search(es) failed: " + "; ".join(failures))
    result.reason = "; ".join(reason + notes)
    return result


# --- import ----------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved `Search` answer of the Portal Legislativ web service."""
    with named_errors(name):
        acts, notes = parse_search(body, name)
    return import_result(acts, name, ctx, notes)
