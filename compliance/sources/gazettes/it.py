"""Italy: the Normattiva open data API of the Istituto Poligrafico e Zecca dello Stato (IPZS).

The interface: the API of dati.normattiva.it, documented by IPZS in "Normattiva - Specifiche API
Open Data" (MDL-ITSMS-00-GEN REV00, 09/01/2025,
https://dati.normattiva.it/assets/come_fare_per/API_Normattiva_OpenData.pdf); keyless, data under
CC BY 4.0 ("Fonte: Normattiva, Istituto Poligrafico e Zecca dello Stato"; the text is not the
authentic one, which is the printed Gazzetta Ufficiale). Base
`https://api.normattiva.it/t/normattiva.api/bff-opendata/v1/api/v1`, request and answer shapes as
IreneBurresi/normattiva-sdk reads them (MIT: `src/normattiva/_http.py`, `client.py`, `_wire.py`,
`docs/riferimento/endpoint.md`), whose recorded answers the tests replay. sources.md §2.1 knew
only the session-bound pages of normattiva.it (URN:NIR, ELI) and the decree title "Attuazione
della direttiva …"; matematicsolutions/it-eli-mcp `DISCOVERY.md` found no keyless search there.

* `POST {base}/ricerca/avanzata` with JSON `{"titoloRicerca": …, "orderType": "vecchio",
  "paginazione": {"paginaCorrente": n, "numeroElementiPerPagina": 50}}` -> `{"listaAtti": [...],
  "numeroAttiTrovati", "numeroPagine", "paginaCorrente", "facetMap", "message"}`. Each act has
  `denominazioneAtto`, `numeroProvvedimento`, `dataEmanazione`, `dataGU`, `numeroGU`,
  `codiceRedazionale` (the Gazzetta's own document code), `titoloAtto` (in square brackets) and
  `descrizioneAtto` ("DECRETO LEGISLATIVO 4 marzo 2014, n. 24"). The service ANDs the words.
* Known behaviour (normattiva-sdk `docs/capire/trappole.md`, `_http.py`): the same read can answer
  200 once and 400 the next time, so a 400 is sent once more; a 409 (or a body with `supportId`)
  is the protection layer refusing the request (blocked); a 5xx with `{"message", "code": 1000}`
  is an outage (the shared client's retries). The service publishes no rate limit: the SDK keeps
  to two requests a second, WWL IT/Normattiva to one every two seconds; this source waits 1 s.

Refresh, per selected directive: the words of "direttiva 2011/36" (new numbering: "direttiva (UE)
2024/1712") in the titles of the whole Normattiva corpus, page after page. A title is read for
the EU acts it names and how: "Attuazione della direttiva …" / "recepimento della direttiva …"
is the act's own statement that it implements the directive (a national measure); any other
mention ("… che modifica la direttiva 2011/36/UE") is a citation. A delegation law ("Delega al
Governo per il recepimento …") only empowers the government: its references are citations. A
title that does not name the directive (the words matched elsewhere) is left out and counted.

Each act's key is its ELI page on Normattiva, `https://www.normattiva.it/eli/id/{yyyy}/{mm}/{dd}/
{codiceRedazionale}/CONSOLIDATED` with the date of the Gazzetta (the form of it-eli-mcp's
DISCOVERY and WWL IT/GazzettaUfficiale); its date is the Gazzetta Ufficiale's publication date.

No coverage is emitted: how the title search splits "2011/36/UE" into words is not documented,
and an act may transpose a directive without naming it in its title, so an empty answer cannot
prove that no act exists.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...errors import BlockedError, ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ._payloads import clean, named_errors, parse_date, parse_json
from ._runs import Pacer, all_failed, candidate_measures, common_status, directive_scope, http_of, keep_fetch, status_of
from ._support import CITES, IMPLEMENTS, ActRef, NationalAct, findings_for, import_result, one_line, refs_in_text

if TYPE_CHECKING:
    from ...http import FetchResult, HttpClient

INFO = SOURCES["gazette-it"]
ENDPOINT_NAME = "GAZETTE_IT"
DEFAULT_ENDPOINT = "https://api.normattiva.it/t/normattiva.api/bff-opendata/v1/api/v1"
MEMBER_STATE = "IT"
PORTAL = "https://www.normattiva.it"
PAGE_SIZE = 50
MAX_PAGES = 20
PACER = Pacer(1.0)

_DELEGATION = re.compile(r"^\W*(?:legge\s+di\s+)?delega(?:zione)?\b", re.IGNORECASE)


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


def title_words(celex: str) -> str:
    """The directive's number as Italian titles write it, after the word "direttiva"."""
    year, number = int(celex[1:5]), int(celex[6:10])
    return f"direttiva (UE) {year}/{number}" if year >= 2015 else f"direttiva {year}/{number}"


def search_body(celex: str, page: int) -> dict[str, Any]:
    """The `ricerca/avanzata` request: title words, oldest first, one page."""
    return {"titoloRicerca": title_words(celex), "orderType": "vecchio",
            "paginazione": {"paginaCorrente": page, "numeroElementiPerPagina": PAGE_SIZE}}


# --- answers ------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A field's text with the outer square brackets the service puts round titles removed."""
    text = clean(value)
    if text and len(text) > 1 and text.startswith("[") and text.endswith("]"):
        text = clean(text[1:-1])
    return text


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = clean(value)
    return int(text) if text and text.isdecimal() else None


def check_answer(doc: Any, what: str) -> None:
    """An error object is a failure: the protection layer's (`supportId`) a block."""
    if not isinstance(doc, dict):
        raise ParseError(f"{what}: expected a JSON object, got {type(doc).__name__}")
    if doc.get("supportId"):
        raise BlockedError(f"{what}: the request was refused by the service's protection layer "
                           f"(support id {one_line(doc['supportId'], 60)})")
    if "listaAtti" not in doc and (doc.get("message") or doc.get("code") or doc.get("error")):
        message = clean(doc.get("message")) or clean(doc.get("error")) or "no message"
        code = clean(str(doc.get("code"))) if doc.get("code") is not None else None
        raise SourceError(f"{what}: error answer{f' (code {code})' if code else ''}: {one_line(message, 200)}",
                          status="failed")


def act_of(item: Any) -> NationalAct:
    """A NationalAct from one `listaAtti` entry."""
    if not isinstance(item, dict):
        raise ParseError("an act entry that is not an object")
    code, published = _text(item.get("codiceRedazionale")), parse_date(item.get("dataGU"))
    kind = _text(item.get("denominazioneAtto"))
    if not code or not re.fullmatch(r"[0-9A-Z]{6,12}", code) or not published or not kind:
        raise ParseError("an act entry without codiceRedazionale, dataGU or denominazioneAtto")
    eli = f"{PORTAL}/eli/id/{published:%Y/%m/%d}/{code}/CONSOLIDATED"
    title = _text(item.get("titoloAtto"))
    adopted = parse_date(item.get("dataEmanazione"))
    number = _text(item.get("numeroAttoAlfanumerico")) or _text(item.get("numeroProvvedimento"))
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=eli,
        national_id=_text(item.get("descrizioneAtto")) or f"{kind} n. {number or '?'} (G.U. {published:%d/%m/%Y})",
        fmt="normattiva-opendata-json",
        title=title,
        type=kind,
        eli=eli,
        url=eli,
        adopted=adopted,
        published=published,
        language="it",
    )
    refs = refs_in_text(title, "title")
    if title and _DELEGATION.match(title):
        refs = [ActRef(r.celex, r.kind, CITES, r.where, r.text) if r.link == IMPLEMENTS else r for r in refs]
        act.notes.append("a delegation law: it empowers the government to transpose, it does not transpose")
    act.references.extend(refs)
    supplement = _text(item.get("tipoSupplemento"))
    act.extra = {"codice_redazionale": code, "gazzetta_number": _text(item.get("numeroGU")),
                 "supplement": None if supplement in (None, "NO") else supplement,
                 "number": number}
    return act


def parse_search(body: bytes, what: str = "Normattiva ricerca") -> tuple[list[NationalAct], int, int, list[str]]:
    """(acts, total, pages, notes) of one search page; an unreadable entry is a note."""
    doc = parse_json(body, what)
    check_answer(doc, what)
    items, total, pages = doc.get("listaAtti"), _count(doc.get("numeroAttiTrovati")), _count(doc.get("numeroPagine"))
    if not isinstance(items, list) or total is None or pages is None:
        raise ParseError(f"{what}: expected listaAtti, numeroAttiTrovati and numeroPagine")
    acts, notes = [], []
    for n, item in enumerate(items):
        try:
            acts.append(act_of(item))
        except ParseError as exc:
            notes.append(f"entry {n}: {exc}")
    return acts, total, pages, notes


# --- refresh ----------------------------------------------------------------------------------------


_Page = tuple["FetchResult", list[NationalAct], int, int, list[str]]


def _page(http: HttpClient, url: str, celex: str, page: int) -> _Page:
    what = f"Normattiva ricerca {title_words(celex)!r} page {page}"
    for attempt in (1, 2):
        with PACER.paced():
            fetch = http.post(INFO.name, url, json=search_body(celex, page), headers={"Accept": "application/json"},
                              ok_statuses=(400, 409))
        if fetch.status_code == 409:
            raise BlockedError(f"{what}: HTTP 409, the request was refused by the service's protection layer")
        if fetch.status_code == 400 and attempt == 1:
            continue  # the service answers a valid read with 400 now and then (see the module doc)
        if fetch.status_code == 400:
            check_answer(_loose_json(fetch.body), what)
            raise SourceError(f"{what}: HTTP 400 twice", status="failed")
        return (fetch, *parse_search(fetch.body, what))
    raise AssertionError("unreachable")


def _loose_json(body: bytes) -> Any:
    try:
        return parse_json(body, "error answer")
    except ParseError:
        return {}


def _search(http: HttpClient, url: str, celex: str) -> tuple[list[tuple[NationalAct, FetchResult]], list[str], bool]:
    """Every act whose title has the directive's words: (hits, notes, complete)."""
    hits: list[tuple[NationalAct, FetchResult]] = []
    notes: list[str] = []
    read = 0
    for page in range(1, MAX_PAGES + 1):
        fetch, acts, total, pages, page_notes = _page(http, url, celex, page)
        hits.extend((a, fetch) for a in acts)
        notes.extend(page_notes)
        read += len(acts) + len(page_notes)
        if read >= total:
            return hits, notes, True
        if not acts and not page_notes:
            raise SourceError(f"Normattiva: page {page} is empty after {read} of {total} acts", status="failed")
        if page >= pages:
            notes.append(f"{title_words(celex)}: the service counted {total} acts, its {pages} page(s) held {read}")
            return hits, notes, True
    return hits, notes, False


def refresh(ctx: SourceContext) -> SourceResult:
    """Search the titles of the Normattiva corpus for each selected directive (see the module doc)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "Italy")
    if not directives:
        return result
    http = http_of(ctx, INFO.name, "query the Normattiva API")
    url = f"{endpoint(ctx)}/ricerca/avanzata"
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    statuses: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()
    unrelated = 0
    for measure in directives:
        celex = measure.celex or ""
        ctx.progress(f"gazette-it: {measure.id}: searching Normattiva titles for {title_words(celex)}")
        try:
            hits, page_notes, complete = _search(http, url, celex)
        except (SourceError, ParseError) as exc:
            statuses.append(status_of(exc))
            failures.append(f"{measure.id} ({statuses[-1]}): {exc}")
            continue
        notes.extend(page_notes[:5])
        for act, fetch in hits:
            keep_fetch(result, fetch)
            if celex not in act.celex():
                unrelated += 1
                continue
            seen.add(act.key)
            notes.extend(f"{act.national_id}: {n}" for n in act.notes)
            result.findings.extend(f for f in findings_for(act, ctx, fetch, wanted) if f.data["measure_celex"] == celex)
        if not complete:
            notes.append(f"{title_words(celex)}: more than {MAX_PAGES * PAGE_SIZE} acts; the rest was not read")
    if all_failed(result, failures, len(directives), "search", common_status(statuses)):
        return result
    reason = [f"{len(seen)} act(s) whose title names a selected directive, {len(result.findings)} finding(s); "
              "no coverage: the title search's word matching is not documented"]
    if unrelated:
        reason.append(f"{unrelated} hit(s) whose title does not name the directive left out")
    if failures:
        reason.append(f"{len(failures)} of {len(directives)} search(es) failed: " + "; ".join(failures))
    result.reason = "; ".join(reason + notes)
    return result


# --- import ----------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved answer of the Normattiva search API (`ricerca/semplice`, `avanzata`)."""
    with named_errors(name):
        acts, _total, _pages, notes = parse_search(body, name)
    return import_result(acts, name, ctx, notes)
