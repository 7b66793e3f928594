"""Poland: the Sejm ELI API (Dziennik Ustaw), whose acts carry the directives they implement.

sources.md §2.12 (R, but the field shape is V from one real JSONL line; there is NO real payload
in samples/gazettes, so the tests use constructed pages that follow that shape):

    GET https://api.sejm.gov.pl/eli/acts/search?publisher=DU&year=YYYY&limit=500&offset=N
    -> {"count", "offset", "totalCount", "items": [ActInfo, …]}

with each act carrying `ELI` ("DU/2025/1900"), `address` ("WDU20250001900"), `displayAddress`
("Dz.U. 2025 poz. 1900"), `title`, `type`, `status`, `inForce`, `announcementDate` (the act's
date: adoption), `promulgation` (publication), `entryIntoForce`, `changeDate`, and

    "directives": [{"address": "32021L1269", "date": "2021-04-21", "title": "Dyrektywa …"}]

the EU directives the act implements, by CELEX (ISAP's own link: a strong basis, see _support).

The search has no documented parameter for a directive, so the whole of Dziennik Ustaw is listed
year by year, from the year of the oldest selected directive to this year, and each item's
`directives[]` is read. (Monitor Polski, `MP`, publishes resolutions and notices, not the laws and
regulations that transpose directives, and is not listed.) The real line quoted in sources.md came
from such an `/acts/search` run; whether every search item carries `directives` is not verified,
so a listing in which NO item has the field at all is reported "suspect", not as "no directives".

Coverage: CoverageItem(measure, "ok", "PL") for each directive when every year from the
directive's own year to this year was listed completely (`offset + count` reaching `totalCount`),
otherwise failed/suspect with the reason.
Rate: about 2 requests/s (WWL), which is the HttpClient's default host interval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import refs
from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import CoverageItem, SourceContext, SourceResult
from ..parallel import host_workers, ordered_map
from ._payloads import checked_params, clean, decode, parse_date, parse_json, raise_error_answer
from ._runs import candidate_measures, coverage_verdict, http_of, local_now, status_of, unselected, wanted_state
from ._support import BasisAct, findings_for, other_references

if TYPE_CHECKING:
    from ...http import FetchResult
    from ...model import Measure

INFO = SOURCES["gazette-pl"]
MEMBER_STATE = "PL"
ENDPOINT_NAME = "GAZETTE_PL"
DEFAULT_ENDPOINT = "https://api.sejm.gov.pl/eli"
PUBLIC_API = "https://api.sejm.gov.pl/eli"  # keys: stable whatever the endpoint

SEARCH_PARAMETERS = frozenset({"title", "year", "publisher", "type", "inForce", "limit", "offset"})
PUBLISHERS = ("DU",)
LIMIT = 500
MAX_PAGES = 30  # per publisher and year; more is refused, never cut

_CELEX = re.compile(r"^3\d{4}[A-Z]\d{4}$")
_ELI = re.compile(r"^(DU|MP)/(\d{4})/(\d{1,6})$")
_UNIFORM_TEXT = re.compile(r"jednolitego\s+tekstu", re.IGNORECASE)


def _this_year() -> int:
    """The current year in Poland; tests replace it."""
    return local_now("Europe/Warsaw").year


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


def build_params(**params: str | int) -> dict[str, str]:
    """`/acts/search` parameters, refused (ValueError) if not documented."""
    out = checked_params(params, SEARCH_PARAMETERS, "Sejm ELI /acts/search")
    for name in ("limit", "offset", "year"):
        if name in out and not out[name].isdecimal():
            raise ValueError(f"{name} must be a non-negative integer")
    return out


# --- parsing -------------------------------------------------------------------------------------


@dataclass
class ActPage:
    acts: list[BasisAct] = field(default_factory=list)
    count: int | None = None
    offset: int | None = None
    total: int | None = None
    items: int = 0
    with_directives_field: int = 0
    notes: list[str] = field(default_factory=list)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def act_of(item: dict[str, Any]) -> BasisAct | None:
    """A Dziennik Ustaw act from an ActInfo object; None when it has no usable ELI."""
    eli = clean(item.get("ELI"))
    if not eli or not _ELI.match(eli):
        return None
    title = clean(item.get("title"))
    act_type = clean(item.get("type"))
    act = BasisAct(
        key=f"{PUBLIC_API}/acts/{eli}",
        member_state=MEMBER_STATE,
        title=title,
        type=act_type,
        url=f"{PUBLIC_API}/acts/{eli}",
        reference=clean(item.get("displayAddress")),
        adopted=parse_date(item.get("announcementDate")),
        published=parse_date(item.get("promulgation")),
        in_force=parse_date(item.get("entryIntoForce")),
        # "Obwieszczenie … w sprawie ogłoszenia jednolitego tekstu ustawy …": a consolidated text,
        # whose directives[] are those of the law as amended (see _support on dates).
        consolidated=bool(title and _UNIFORM_TEXT.search(title)),
    )
    directives = item.get("directives")
    listed: list[dict[str, Any]] = []
    for d in directives if isinstance(directives, list) else []:
        if not isinstance(d, dict):
            continue
        address = clean(d.get("address"))
        entry = {"address": address, "date": clean(d.get("date")), "title": clean(d.get("title"))}
        listed.append(entry)
        if address and _CELEX.match(address):
            act.add(address, "directives-field")
    for ref in refs.extract(title or ""):
        act.add(ref.celex, "title")
    act.data.update({
        "eli": eli,
        "address": clean(item.get("address")),
        "status": clean(item.get("status")),
        "in_force_status": clean(item.get("inForce")),
        "change_date": clean(item.get("changeDate")),
        "directives": listed,
        "directives_field": isinstance(directives, list),
    })
    return act


def parse_page(body: bytes, what: str = "Sejm ELI search") -> ActPage:
    """A `/acts/search` page, a single act, a JSON array of acts, or JSON Lines of acts."""
    text = decode(body, what).strip()
    if not text:
        raise ParseError(f"{what}: empty body")
    items: list[Any]
    page = ActPage()
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and all(line.lstrip().startswith("{") and line.rstrip().endswith("}") for line in lines):
        # JSON Lines (one act per line), as a bulk export saves them; a pretty-printed object
        # has lines that do not both start and end with braces.
        items = [parse_json(line.encode(), f"{what} line {n}") for n, line in enumerate(lines, 1)]
    else:
        data = parse_json(body, what, html_error=ParseError)
        if isinstance(data, dict) and "items" in data:
            if not isinstance(data["items"], list):
                raise ParseError(f"{what}: 'items' is not a list")
            items = data["items"]
            page.count, page.offset, page.total = _int(data.get("count")), _int(data.get("offset")), \
                _int(data.get("totalCount"))
        elif isinstance(data, dict) and "ELI" in data:
            items = [data]
        elif isinstance(data, list):
            items = data
        elif isinstance(data, dict):
            raise_error_answer(data, ("message", "error", "detail", "title"), what)
            raise ParseError(f"{what}: neither a search page ('items') nor an act ('ELI')")
        else:
            raise ParseError(f"{what}: expected a JSON object or array")
    page.items = len(items)
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise ParseError(f"{what}: item {n} is not an object")
        if "directives" in item:
            page.with_directives_field += 1
        act = act_of(item)
        if act is None:
            page.notes.append(f"item {n}: no ELI of the form DU/2025/1900; skipped")
            continue
        page.acts.append(act)
    if page.count is not None and page.count != page.items:
        raise ParseError(f"{what}: count says {page.count} items, the page has {page.items}")
    return page


# --- refresh -------------------------------------------------------------------------------------


@dataclass
class _Year:
    status: str = "ok"
    reason: str | None = None
    acts: int = 0
    with_field: int = 0
    fetch: FetchResult | None = None


def list_year(ctx: SourceContext, publisher: str, year: int, result: SourceResult,
              found: dict[str, tuple[BasisAct, FetchResult]]) -> _Year:
    """Every act of one publisher and year, page by page up to `totalCount`."""
    assert ctx.http is not None
    out = _Year()
    offset = 0
    try:
        for _ in range(MAX_PAGES):
            params = build_params(publisher=publisher, year=year, limit=LIMIT, offset=offset)
            fetch = ctx.http.get(INFO.name, f"{endpoint(ctx)}/acts/search", params=params,
                                 headers={"Accept": "application/json"})
            result.fetches.append(fetch)
            out.fetch = out.fetch or fetch
            page = parse_page(fetch.body, f"Sejm ELI {publisher} {year} offset {offset}")
            if page.total is None:
                raise ParseError(f"Sejm ELI {publisher} {year}: the page has no totalCount")
            out.acts += page.items
            out.with_field += page.with_directives_field
            for act in page.acts:
                if act.bases:
                    found.setdefault(act.key, (act, fetch))
            offset += page.items
            if offset >= page.total:
                return out
            if page.items == 0:
                raise SourceError(f"Sejm ELI {publisher} {year}: an empty page at offset {offset} of "
                                  f"{page.total}", status="failed")
        raise SourceError(f"Sejm ELI {publisher} {year}: more than {MAX_PAGES} pages of {LIMIT}; "
                          "refused rather than cut", status="failed")
    except (SourceError, ParseError) as exc:
        out.status = status_of(exc)
        out.reason = str(exc)
        return out


def _directive_year(measure: Measure) -> int | None:
    m = re.fullmatch(r"3(\d{4})L\d{4}", measure.celex or "")
    return int(m.group(1)) if m else None


def refresh(ctx: SourceContext) -> SourceResult:
    """List Dziennik Ustaw year by year and report the acts whose directives[] name catalogued acts."""
    result = SourceResult()
    result.reason = unselected(ctx, MEMBER_STATE, "Poland")
    if result.reason:
        return result
    http_of(ctx, INFO.name)
    measures = candidate_measures(ctx)
    directives = {m.id: (m, y) for m in measures.values() if (y := _directive_year(m)) is not None}
    if not directives:
        result.reason = "no selected measure is a directive with a CELEX number"
        return result
    this_year = _this_year()
    first = min(y for _, y in directives.values())
    found: dict[str, tuple[BasisAct, FetchResult]] = {}

    def listing(key: tuple[str, int]) -> tuple[_Year, SourceResult, dict[str, tuple[BasisAct, FetchResult]]]:
        part = SourceResult()
        part_found: dict[str, tuple[BasisAct, FetchResult]] = {}
        ctx.progress(f"gazette-pl: listing {key[0]} {key[1]}")
        return list_year(ctx, *key, part, part_found), part, part_found

    # The years are independent: listed at once (as far as the host's politeness policy allows),
    # each page after page, and taken in order, so fetches and findings come as one after another.
    keys = [(publisher, year) for publisher in PUBLISHERS for year in range(first, this_year + 1)]
    workers = host_workers(ctx, endpoint(ctx), len(keys))
    years: dict[tuple[str, int], _Year] = {}
    for key, (listed_year, part, part_found) in zip(keys, ordered_map(listing, keys, workers, INFO.name), strict=True):
        years[key] = listed_year
        result.fetches.extend(part.fetches)
        for act_key, value in part_found.items():
            found.setdefault(act_key, value)
    listed = sum(y.acts for y in years.values())
    with_field = sum(y.with_field for y in years.values())
    no_field = listed > 0 and with_field == 0
    for measure, start in directives.values():
        span = [((p, y), years[(p, y)]) for p in PUBLISHERS for y in range(start, this_year + 1)]
        bad = [(k, y) for k, y in span if y.status != "ok"]
        empty = [k for k, y in span if y.acts == 0 and k[1] < this_year]
        first_fetch = span[0][1].fetch if span else None
        where = f"Dziennik Ustaw {start}-{this_year}"
        if bad:
            (pub, year), y = bad[0]
            cov = CoverageItem(measure.id, y.status, MEMBER_STATE,
                               f"{where}: {len(bad)} year(s) not listed completely; first {pub} {year}: {y.reason}")
        elif no_field:
            cov = CoverageItem(measure.id, "suspect", MEMBER_STATE,
                               f"{where}: none of the {listed} listed acts carries a 'directives' field; the search "
                               "may not return it (the act details would have to be read)", first_fetch)
        elif empty:
            cov = CoverageItem(measure.id, "suspect", MEMBER_STATE,
                               f"{where}: no acts at all listed for {', '.join(f'{p} {y}' for p, y in empty)}",
                               first_fetch)
        else:
            count = sum(y.acts for _, y in span)
            cov = CoverageItem(measure.id, "ok", MEMBER_STATE, f"{where}: {count} act(s) listed completely",
                               first_fetch)
        result.coverage.append(cov)
    acts = [a for a, _ in found.values()]
    for act, fetch in found.values():
        result.findings.extend(findings_for(act, ctx, fetch, measures))
    summary = (f"{listed} act(s) of {', '.join(PUBLISHERS)} {first}-{this_year} listed, {with_field} with a "
               f"directives field, {len(acts)} naming EU acts, {len(result.findings)} finding(s)")
    others = other_references(acts, measures)
    if others:
        summary += f"; {len(others)} other EU act(s) named"
    # With nothing listed at all the counts say nothing: the first failure comes first.
    counts = f"{summary}; " if listed else ""
    coverage_verdict(result, summary, lambda bad: f"{counts}no directive fully covered; first: {bad[0].reason}")
    return result


# --- import --------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved act (`/acts/DU/{y}/{pos}`), search page, JSON array or JSON Lines of acts.

    Imports give findings only, never coverage.
    """
    page = parse_page(body, name)
    measures = candidate_measures(ctx)
    result = SourceResult()
    if wanted_state(ctx, MEMBER_STATE):
        for act in page.acts:
            result.findings.extend(findings_for(act, ctx, None, measures))
    parts = [f"{page.items} act(s), {page.with_directives_field} with a directives field, "
             f"{len(result.findings)} finding(s)"]
    parts.extend(page.notes[:5])
    others = other_references(page.acts, measures)
    if others:
        parts.append(f"other EU acts named: {', '.join(others[:20])}")
    result.reason = "; ".join(parts)
    return result
