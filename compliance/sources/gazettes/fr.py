"""France: Légifrance through the PISTE API (sources.md 2.9), Journal officiel (fond JORF).

Authentication: OAuth2 client credentials. `COMPLIANCE_PISTE_CLIENT_ID` and
`COMPLIANCE_PISTE_CLIENT_SECRET` come from the environment only; without them the source is
"unavailable" (never empty). The token request (`POST {oauth}` with `grant_type=
client_credentials`, `scope=openid`) is made with a bare httpx client, not the shared one: the
shared client archives every answer, and the answer here is a bearer token, a secret. The token
is kept in memory for this refresh only; the API calls carry it in `Authorization`, which the
shared client redacts. Endpoints: `GAZETTE_FR` (the lf-engine-app base) and `GAZETTE_FR_OAUTH`.

Refresh, per selected directive: `POST {api}/search` with `fond: JORF` and one criterion on all
fields (`typeChamp: ALL`, `typeRecherche: EXACTE`) for the directive's number ("2011/36",
"2024/1712"), paged (`pageNumber`, `pageSize` 100) until `totalResultNumber` results are read.
Each result's title is read for the EU acts it names ("portant transposition de la directive
…" implements); a result whose title does not name the directive is still a full-text hit and
kept as a citation (its text is not read here, see below).

Coverage: the search runs over the full text of the whole Journal officiel, so a complete,
successful search is coverage for France. It is "ok" when nothing was found or when at least one
act says it implements the directive; when every hit only cites it, the coverage is "suspect"
(the acts may transpose it without saying so in their titles: a reader must look), so that a
citation can never turn into a gap.

Quotas are per PISTE application; the shared client's retry honours 429 Retry-After.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from typing import TYPE_CHECKING, Any

from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import CoverageItem, SourceContext, SourceResult
from ..parallel import attempt_each
from ._payloads import Fixer, json_page, named_errors, parse_date, parse_json
from ._runs import all_failed, candidate_measures, common_status, directive_scope, http_of, keep_fetch, status_of
from ._support import CITES, IMPLEMENTS, ActRef, NationalAct, findings_for, import_result, one_line, refs_in_text

if TYPE_CHECKING:
    from ...http import FetchResult
    from ...model import Measure

INFO = SOURCES["gazette-fr"]
ENDPOINT_NAME = "GAZETTE_FR"
OAUTH_ENDPOINT_NAME = "GAZETTE_FR_OAUTH"
DEFAULT_ENDPOINT = "https://api.piste.gouv.fr/dila/legifrance/lf-engine-app"
DEFAULT_OAUTH = "https://oauth.piste.gouv.fr/api/oauth/token"
CLIENT_ID_ENV = "COMPLIANCE_PISTE_CLIENT_ID"
CLIENT_SECRET_ENV = "COMPLIANCE_PISTE_CLIENT_SECRET"  # noqa: S105 - the variable's name, not a secret
MEMBER_STATE = "FR"
PAGE_SIZE = 100
MAX_PAGES = 20

_MARK = re.compile(r"</?mark>", re.IGNORECASE)
_MONTHS = {m: i for i, m in enumerate(("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                                       "septembre", "octobre", "novembre", "décembre"), start=1)}
_SIGNED = re.compile(r"\bdu\s+(\d{1,2})(?:er)?\s+([a-zéû]+)\s+(\d{4})", re.IGNORECASE)


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


def search_value(celex: str) -> str:
    """The directive's number without suffix: it matches "2011/36/UE", "2011/36/CE" and "(UE) 2024/1712"."""
    return f"{int(celex[1:5])}/{int(celex[6:10])}"


def search_body(celex: str, page: int) -> dict[str, Any]:
    return {
        "fond": "JORF",
        "recherche": {
            "champs": [{"typeChamp": "ALL", "operateur": "ET",
                        "criteres": [{"typeRecherche": "EXACTE", "valeur": search_value(celex), "operateur": "ET"}]}],
            "filtres": [],
            "pageNumber": page,
            "pageSize": PAGE_SIZE,
            "operateur": "ET",
            "sort": "PERTINENCE",
            "typePagination": "DEFAUT",
        },
    }


# --- parsing ---------------------------------------------------------------------------------------


def _signed(title: str | None) -> date | None:
    """The date in "LOI n° 2016-1321 du 7 octobre 2016 …" (the text's date, i.e. its signature)."""
    m = _SIGNED.search(title or "")
    if not m or m.group(2).lower() not in _MONTHS:
        return None
    try:
        return date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    except ValueError:
        return None


def _date_value(value: Any) -> date | None:
    """PISTE dates: ISO strings ("2016-10-08T00:00:00.000+0000") or epoch milliseconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        from datetime import UTC, datetime

        try:
            return datetime.fromtimestamp(value / 1000, UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    return parse_date(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def result_act(item: dict[str, Any], fixer: Fixer) -> NationalAct:
    """A NationalAct from one `results[]` item of `/search`."""
    titles = item.get("titles")
    first = titles[0] if isinstance(titles, list) and titles and isinstance(titles[0], dict) else {}
    cid = _text(first.get("cid")) or _text(item.get("cid")) or _text(first.get("id")) or _text(item.get("id"))
    if not cid:
        raise ParseError("Légifrance search: a result without cid/id")
    raw_title = _text(first.get("title")) or _text(item.get("title"))
    title = " ".join(_MARK.sub("", fixer(raw_title) or "").split()) or None
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=cid,
        national_id=cid,
        fmt="piste-legifrance-search",
        title=title,
        type=_text(item.get("nature")),
        url=f"https://www.legifrance.gouv.fr/jorf/id/{cid}" if cid.startswith("JORFTEXT") else None,
        adopted=_signed(title),
        published=_date_value(item.get("datePublication")),
        language="fr",
    )
    act.references.extend(refs_in_text(title, "title"))
    act.extra = {
        "legifrance_id": _text(first.get("id")),
        "nor": _text(item.get("nor")),
        "origin": _text(item.get("origin")),
        "etat": _text(item.get("etat")),
        "date": _text(item.get("date")),
        "num_parution": _text(item.get("numParution")),
    }
    act.notes.extend(fixer.note())
    return act


def parse_search(body: bytes) -> tuple[list[NationalAct], int]:
    """(acts, totalResultNumber) of one `/search` answer."""
    what = "Légifrance search"
    doc = parse_json(body, what)
    _check_error(doc, what)
    results, total = json_page(doc, what, "results", "totalResultNumber", "no `results` list")
    fixer = Fixer.of(body)
    acts = []
    for i, item in enumerate(results):
        if not isinstance(item, dict):
            raise ParseError(f"{what}: result #{i + 1} is not an object")
        acts.append(result_act(item, fixer))
    return acts, total


def parse_consult(body: bytes) -> NationalAct:
    """One text of `/consult/lawDecree` or `/consult/jorf` (title, ids, dates; EU acts in the title and articles)."""
    what = "Légifrance consult"
    doc = parse_json(body, what)
    _check_error(doc, what)
    if not isinstance(doc, dict):
        raise ParseError(f"{what}: not an object")
    cid = _text(doc.get("cid")) or _text(doc.get("id"))
    if not cid:
        raise ParseError(f"{what}: no cid/id")
    fixer = Fixer.of(body)
    title = " ".join((fixer(_text(doc.get("title"))) or "").split()) or None
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=cid,
        national_id=cid,
        fmt="piste-legifrance-consult",
        title=title,
        type=_text(doc.get("nature")),
        eli=_text(doc.get("eli")),  # null in the probes (sources.md 2.9)
        url=f"https://www.legifrance.gouv.fr/jorf/id/{cid}" if cid.startswith("JORFTEXT") else None,
        adopted=_signed(title),
        published=_date_value(doc.get("dateParution")),
        entry_into_force=_date_value(doc.get("jurisDate")),
        language="fr",
    )
    act.references.extend(refs_in_text(title, "title"))
    articles = " ".join(fixer(t) or "" for t in _strings(doc.get("sections"), ("content", "texte", "texteHtml")))
    act.references.extend(refs_in_text(" ".join(re.sub(r"<[^>]+>", " ", articles).split()), "text"))
    act.extra = {"legifrance_id": _text(doc.get("id")), "nor": _text(doc.get("nor")),
                 "jorf_text": fixer(_text(doc.get("jorfText"))), "num_parution": _text(doc.get("numParution"))}
    act.notes.extend(fixer.note())
    return act


def _strings(value: Any, keys: tuple[str, ...], depth: int = 0) -> list[str]:
    if depth > 50:
        return []
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in keys and isinstance(v, str):
                out.append(v)
            else:
                out.extend(_strings(v, keys, depth + 1))
    elif isinstance(value, list):
        for v in value:
            out.extend(_strings(v, keys, depth + 1))
    return out


def _check_error(doc: Any, what: str) -> None:
    """PISTE/Légifrance error objects ({"error": …, "message": …} or {"status": 4xx, …})."""
    if not isinstance(doc, dict) or "results" in doc or "cid" in doc:
        return
    status = doc.get("status")
    message = doc.get("message") or doc.get("error_description") or doc.get("error")
    if message or (isinstance(status, int) and status >= 400):
        raise SourceError(f"{what}: error answer: {one_line(str(message or status), 200)}", status="failed")


# --- OAuth ------------------------------------------------------------------------------------------


def credentials() -> tuple[str, str] | None:
    cid, secret = os.environ.get(CLIENT_ID_ENV, "").strip(), os.environ.get(CLIENT_SECRET_ENV, "").strip()
    return (cid, secret) if cid and secret else None


def fetch_token(ctx: SourceContext, creds: tuple[str, str]) -> str:
    """A bearer token from PISTE, through the shared client with archiving off: the answer is a
    credential, so it is never archived nor recorded, and the secret is redacted from messages."""
    http = http_of(ctx, INFO.name, "obtain a PISTE token")
    url = ctx.settings.endpoint(OAUTH_ENDPOINT_NAME, DEFAULT_OAUTH)
    reply = http.post(INFO.name, url, data={"grant_type": "client_credentials", "client_id": creds[0],
                                         "client_secret": creds[1], "scope": "openid"},
                      ok_statuses=(400, 401, 403), archive=False)
    if reply.status_code in (400, 401, 403):
        try:
            err = json.loads(reply.body).get("error", "")
        except (ValueError, AttributeError):
            err = ""
        err = str(err).replace(creds[1], "REDACTED").replace(creds[0], "REDACTED")
        raise SourceError(f"PISTE OAuth refused the client credentials (HTTP {reply.status_code}"
                          f"{', ' + err if err else ''}); check {CLIENT_ID_ENV}/{CLIENT_SECRET_ENV}")
    try:
        token = json.loads(reply.body).get("access_token")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        raise SourceError("PISTE OAuth: no access_token in the answer")
    return token


# --- refresh ----------------------------------------------------------------------------------------


def _search(ctx: SourceContext, base: str, token: str, celex: str) -> tuple[list[tuple[NationalAct, FetchResult]], int]:
    assert ctx.http is not None
    hits: list[tuple[NationalAct, FetchResult]] = []
    total = 0
    for page in range(1, MAX_PAGES + 1):
        fetch = ctx.http.post(INFO.name, f"{base}/search", json=search_body(celex, page),
                              headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        acts, total = parse_search(fetch.body)
        hits.extend((a, fetch) for a in acts)
        if len(hits) >= total:
            return hits, total
        if not acts:
            raise SourceError(f"Légifrance search: page {page} is empty after {len(hits)} of {total} results")
    raise SourceError(f"Légifrance search for {celex}: more than {MAX_PAGES * PAGE_SIZE} results; "
                      "stopped rather than report an incomplete search (raise MAX_PAGES)")


def refresh(ctx: SourceContext) -> SourceResult:
    """Search the Journal officiel for each selected directive (see the module doc)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "France")
    if not directives:
        return result
    creds = credentials()
    if creds is None:
        reason = (f"no PISTE credentials: set {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV} (a PISTE account with the "
                  "Légifrance API); nothing was searched")
        result.status, result.reason = "unavailable", reason
        result.coverage = [CoverageItem(m.id, "unavailable", MEMBER_STATE, reason) for m in directives]
        return result
    http_of(ctx, INFO.name, "query Légifrance")
    try:
        token = fetch_token(ctx, creds)
    except SourceError as exc:
        result.status, result.reason = exc.status, str(exc)
        result.coverage = [CoverageItem(m.id, exc.status, MEMBER_STATE, str(exc)) for m in directives]
        return result
    base = endpoint(ctx)
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    seen: dict[str, NationalAct] = {}

    def search(measure: Measure) -> Any:
        term = search_value(measure.celex or "")
        ctx.progress(f"gazette-fr: {measure.id}: searching the Journal officiel for {term}")
        return _search(ctx, base, token, measure.celex or "")

    # One search per directive, at once up to the host's concurrency, reported in order.
    searches = attempt_each(ctx, base, INFO.name, search, directives, (SourceError, ParseError))
    for measure, outcome in zip(directives, searches, strict=True):
        celex = measure.celex or ""
        if isinstance(outcome, SourceError | ParseError):
            status = status_of(outcome)
            failures.append(f"{measure.id} ({status}): {outcome}")
            result.coverage.append(CoverageItem(measure.id, status, MEMBER_STATE, str(outcome)))
            continue
        hits, total = outcome
        implementing = 0
        for act, fetch in hits:
            keep_fetch(result, fetch)
            act = seen.setdefault(act.key, act)
            if celex not in act.celex():
                # A full-text hit whose title does not name the directive: the search engine's word.
                act.references.append(ActRef(celex, "directive", CITES, "search-hit",
                                             f"full-text search hit for {search_value(celex)} (text not read)"))
            if act.link_for(celex)[0] == IMPLEMENTS:
                implementing += 1
            result.findings.extend(f for f in findings_for(act, ctx, fetch, wanted) if f.data["measure_celex"] == celex)
        first = hits[0][1] if hits else None
        if not hits or implementing:
            result.coverage.append(CoverageItem(measure.id, "ok", MEMBER_STATE,
                                                f"{total} JORF text(s) contain {search_value(celex)}; "
                                                f"{implementing} say they implement it", first))
        else:
            result.coverage.append(CoverageItem(
                measure.id, "suspect", MEMBER_STATE,
                f"{total} JORF text(s) contain {search_value(celex)} but none says in its title that it implements "
                "it: read them before concluding", first))
    # Each failed search left a coverage row with its status: all failed, they say how.
    if all_failed(result, failures, len(directives), "search", common_status(c.status for c in result.coverage)):
        return result
    reason = [f"{len(seen)} JORF text(s), {len(result.findings)} finding(s)"]
    if failures:
        reason.append(f"{len(failures)} of {len(directives)} search(es) failed: " + "; ".join(failures))
    result.reason = "; ".join(reason)
    return result


# --- import ---------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved `/search` or `/consult/…` answer of the Légifrance API."""
    with named_errors(name):
        doc = parse_json(body, name)
        if isinstance(doc, dict) and "results" in doc:
            acts, _ = parse_search(body)
        elif isinstance(doc, dict) and ("cid" in doc or "id" in doc):
            acts = [parse_consult(body)]
        else:
            raise ParseError("neither a Légifrance search nor a consult answer")
    return import_result(acts, name, ctx)
