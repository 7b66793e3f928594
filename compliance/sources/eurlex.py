"""EUR-Lex / CELLAR: national implementing measures (NIMs) of directives, and act metadata.

Everything comes from the CELLAR SPARQL endpoint (sources.md 1.1: EUR-Lex's HTML is behind an
AWS WAF challenge and is only read from files a user saved, through `parse_import`).

Per catalogued measure with a CELEX:
  * act metadata (document date, entry into force, transposition deadline(s), in force, end of
    validity, ELI, English title) and the acts amending it, for directives and regulations;
  * for directives only, every notified NIM (paged), one query for all Member States.
Regulations have no NIMs (sources.md 1.9.7), so they never get a NIM query nor coverage.

A measure whose queries fail is reported as failed/blocked coverage and the next measure is
tried. Whether a valid answer is believable (a directive long past its deadline with NIMs from
almost no Member State, an answer that loses Member States the store had) is judged for every
source in the shared writer (store/plausibility.py), not here.

Pure parsing lives in `eurlex_queries`, `eurlex_parse`, `eurlex_metadata` and `eurlex_html`
(re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from ..errors import ParseError, SourceError
from . import SOURCES
from .base import MetadataItem, SourceContext, SourceResult, coverage_items
from .eurlex_cache import ParseCache, stats
from .eurlex_html import (  # noqa: F401
    HtmlNim,
    looks_like_nim_html,
    parse_nim_html,
)
from .eurlex_import import nim_item, parse_import  # noqa: F401 - parse_import: this source's import of a saved file
from .eurlex_metadata import (  # noqa: F401
    parse_act_metadata,
    parse_amending_acts,
)
from .eurlex_parse import (  # noqa: F401
    MAX_PAGES,
    PAGE_SIZE,
    RESULT_LIMIT,
    SPARQL_JSON,
    NimParse,
    NimRecord,
    NimRow,
    check_body,
    decode,
    directive_of_nim_celex,
    group_nim_rows,
    is_waf_challenge,
    nim_data,
    nim_reference,
    parse_nim_results,
    parse_nim_rows,
    parse_sparql_json,
)
from .eurlex_queries import (  # noqa: F401
    NIM_VARS,
    act_metadata_query,
    amending_acts_query,
    check_celex,
    nim_prefix,
    nim_query,
)
from .finding_hash import HashedFinding
from .parallel import host_workers, ordered_map

if TYPE_CHECKING:
    from ..http import FetchResult
    from ..model import Measure
    from .eurlex_findings import FindingStream

INFO = SOURCES["eurlex"]
ENDPOINT_NAME = "EURLEX_SPARQL"
DEFAULT_ENDPOINT = "https://publications.europa.eu/webapi/rdf/sparql"


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT)


def run_query(ctx: SourceContext, url: str, query: str) -> FetchResult:
    """GET one SPARQL query (GET, so that conditional requests and 304s work).

    On a 304 the FetchResult carries the archived body: its findings must be listed again so that
    they are not taken as gone. Parsing is pure (`parse_nim_rows`, `parse_act_metadata`), so the
    result is taken from the parse cache (eurlex_cache.py) when the same bodies were parsed before;
    refresh/run.py does not rewrite findings whose content hash did not change.
    """
    if ctx.http is None:
        raise SourceError("eurlex: no HTTP client (import mode cannot query CELLAR)", status="unavailable")
    return ctx.http.get(
        INFO.name,
        url,
        params={"query": query, "format": SPARQL_JSON},
        headers={"Accept": SPARQL_JSON},
        conditional=True,
    )


def complete(fetch: FetchResult, what: str) -> None:
    """A SourceError (`suspect`) when the answer says it is incomplete (a Virtuoso partial-result or
    row-limit header, read by the HTTP client): such a page is never taken for the whole list."""
    if fetch.warning:
        raise SourceError(f"{what}: {fetch.warning}", status="suspect")


# The canary of `compliance sources --probe`: Directive 2011/36/EU, due on 2013-04-06 and binding
# 26 Member States (not Denmark), whose national measures CELLAR lists for every one of them.
PROBE_CELEX = "32011L0036"
PROBE_MIN_STATES = 25


def probe(ctx: SourceContext) -> str:
    """One small request against the configured endpoint: the Member States with NIMs for a
    long-transposed directive. ParseError when the answer is not the SPARQL JSON the parsers read,
    or lists NIMs from fewer than PROBE_MIN_STATES Member States."""
    from .eurlex_parse import (
        country_code,
    )
    from .eurlex_queries import (
        nim_countries_query,
    )

    fetch = run_query(ctx, endpoint(ctx), nim_countries_query(PROBE_CELEX))
    if fetch.warning:
        raise ParseError(f"the server says its answer is incomplete: {fetch.warning}")
    variables, rows = parse_sparql_json(fetch.body, "CELLAR canary answer")
    if "country" not in variables:
        raise ParseError(f"CELLAR canary answer: no `country` column (columns: {', '.join(variables) or 'none'})")
    states = {country_code(row["country"].value)[0] for row in rows if "country" in row} - {None}
    if len(states) < PROBE_MIN_STATES:
        raise ParseError(f"national measures of Directive 2011/36/EU from {len(states)} Member State(s); "
                         f"CELLAR has listed them for 26 since 2013 (at least {PROBE_MIN_STATES} expected)")
    return f"national measures of Directive 2011/36/EU from {len(states)} Member States"


def _row_count(body: bytes) -> int:
    return len(parse_sparql_json(body)[1])


def _cache(ctx: SourceContext) -> ParseCache:
    return ParseCache(ctx.settings.state_dir / "cache" / "eurlex" if ctx.http is not None else None)


def _memo(cache: ParseCache | None, kind: str, celex: str, parts: tuple[str, ...], compute: Callable[[], Any],
          parses: int = 1) -> Any:
    """compute() (a parse of response bodies, counted), or its earlier result for the same bodies."""
    key = ParseCache.key(*parts)
    if cache is not None:
        hit = cache.get(kind, celex, key)
        if isinstance(hit, dict) and "value" in hit:
            stats.count(cached=1)
            return hit["value"]
    stats.count(parsed=parses)
    value = compute()
    if cache is not None:
        cache.put(kind, celex, key, {"value": value})
    return value


# --- one measure -----------------------------------------------------------------------------


@dataclass
class _Outcome:
    measure_id: str
    kind: str
    status: str  # ok | suspect | failed | blocked | skipped
    reason: str | None = None


def fetch_metadata(
    ctx: SourceContext, url: str, measure: Measure, cache: ParseCache | None = None
) -> tuple[MetadataItem, str, list[FetchResult]]:
    """The act's metadata and amending acts; returns (item, celex_match that found the work, fetches).

    The typed-literal query is tried first, then the STR() form (sources.md 1.4). No work found
    with either is a ParseError: the NIM query for such a CELEX could only ever return nothing.
    """
    celex = measure.celex or ""
    fetches: list[FetchResult] = []
    data: dict[str, Any] | None = None
    meta_fetch: FetchResult | None = None
    match = "typed"
    for match in ("typed", "str"):
        meta_fetch = run_query(ctx, url, act_metadata_query(celex, celex_match=match))
        complete(meta_fetch, f"CELLAR metadata of {celex}")
        fetches.append(meta_fetch)
        directive = measure.kind == "directive"
        data = _memo(cache, f"meta-{match}", celex, (meta_fetch.sha256, celex, str(directive)),
                     lambda body=meta_fetch.body, d=directive: parse_act_metadata(body, celex, directive=d))
        if data is not None:
            break
    if data is None or meta_fetch is None:
        raise ParseError(
            f"CELLAR has no work with CELEX {celex} (checked as typed literal and as STR()): "
            "check the CELEX; without the act no absence of measures can be shown"
        )
    if data["rows"] >= RESULT_LIMIT:
        raise ParseError(f"CELLAR metadata of {celex}: {data['rows']} rows, the result may be cut")
    data["celex_match"] = match
    try:
        am_fetch = run_query(ctx, url, amending_acts_query(celex, celex_match=match))
        complete(am_fetch, f"CELLAR amending acts of {celex}")
        fetches.append(am_fetch)

        def amends(body: bytes = am_fetch.body) -> dict[str, Any]:
            rows = _row_count(body)
            if rows >= RESULT_LIMIT:
                raise ParseError(f"CELLAR amending acts of {celex}: {RESULT_LIMIT} rows or more, the list may be cut")
            return {"rows": rows, "acts": parse_amending_acts(body, celex)}

        data["amended_by"] = _memo(cache, f"amends-{match}", celex, (am_fetch.sha256, celex), amends, parses=2)["acts"]
        data["amended_by_fetch"] = {"url": am_fetch.url, "sha256": am_fetch.sha256}
    except (SourceError, ParseError) as exc:
        # Unknown, not empty: None says "could not be read", [] would say "never amended".
        data["amended_by"] = None
        data["amended_by_error"] = str(exc)
    return MetadataItem(measure_id=measure.id, celex=celex, data=data, fetch=meta_fetch), match, fetches


def fetch_nims(
    ctx: SourceContext, url: str, celex: str, *, celex_match: str = "typed"
) -> tuple[NimParse, list[FetchResult]]:
    """All NIM rows of a directive, page by page while pages are full, grouped by NIM."""
    pages = _fetch_nim_pages(ctx, url, celex, celex_match, lambda _page, _sha: None, parse_nim_rows)
    rows = [row for _fetch, page_rows in pages for row in page_rows or ()]
    return group_nim_rows(rows, celex), [fetch for fetch, _rows in pages]


def _fetch_nim_pages(
    ctx: SourceContext, url: str, celex: str, celex_match: str, known_rows: Callable[[int, str], int | None],
    parse: Callable[[bytes, int], list[Any]],
) -> list[tuple[FetchResult, list[Any] | None]]:
    """Fetch the NIM pages while they are full, each parsed with `parse(body, page)`. A page whose
    row count `known_rows(page, sha256)` knows (the parse cache) is not parsed: its rows are None."""
    pages: list[tuple[FetchResult, list[Any] | None]] = []
    page_size, max_pages = PAGE_SIZE, MAX_PAGES  # module globals: tests shrink them
    for page in range(max_pages):
        query = nim_query(celex, limit=page_size, offset=page * page_size, celex_match=celex_match)
        fetch = run_query(ctx, url, query)
        complete(fetch, f"CELLAR NIM query for {celex}, page {page + 1}")
        count = known_rows(page, fetch.sha256)
        page_rows = None
        if count is None:
            stats.count(parsed=1)
            page_rows = parse(fetch.body, page)
            count = len(page_rows)
        pages.append((fetch, page_rows))
        if count < page_size:
            break
        ctx.progress(f"eurlex: {celex}: page {page + 1} full ({page_size} rows), asking for the next")
    else:
        raise SourceError(
            f"CELLAR NIM query for {celex}: still full after {max_pages} pages of {page_size} rows; "
            "stopped rather than report an incomplete list (raise MAX_PAGES)",
            status="failed",
        )
    return pages


def _page_bindings(body: bytes, _page: int) -> list[dict[str, Any]]:
    from .eurlex_stream import page_bindings

    return page_bindings(body, "CELLAR NIM query result")


def _group(pages: list[list[dict[str, Any]]], bodies: list[bytes], celex: str) -> NimParse:
    """group_nim_rows over the pages, one NIM at a time (eurlex_stream.group_pages); when the rows of
    a NIM are not adjacent (never in CELLAR's ORDER BY ?nim answer), the pages are grouped whole."""
    from .eurlex_stream import NotGrouped, group_pages

    try:
        return group_pages(pages, celex)
    except NotGrouped:
        return group_nim_rows([row for page, body in enumerate(bodies) for row in parse_nim_rows(body, page)], celex)


@dataclass
class _NimResult:
    """The NIM findings of one directive for every Member State, and what coverage needs."""

    items: list[HashedFinding]
    records: int
    states: set[str]
    notes: list[str]
    fetches: list[FetchResult]


def _nim_result(ctx: SourceContext, url: str, measure: Measure, celex: str, match: str,
                cache: ParseCache | None) -> _NimResult:
    """Fetch the NIM pages; parse them, or take the findings from the parse cache when every page
    is the body parsed last time (a 304, or the same bytes)."""
    entry = None
    if cache is not None:
        found = cache.get("nim", celex, ParseCache.key(measure.id, celex))
        if isinstance(found, dict) and found.get("measure") == measure.id and found.get("directive") == celex:
            entry = found
    known_pages = entry["pages"] if entry else []

    def known_rows(page: int, sha256: str) -> int | None:
        if page < len(known_pages) and known_pages[page][0] == sha256:
            return int(known_pages[page][1])
        return None

    pages = _fetch_nim_pages(ctx, url, celex, match, known_rows, _page_bindings)
    fetches = [fetch for fetch, _rows in pages]
    shas = [fetch.sha256 for fetch in fetches]
    if entry is not None and [p[0] for p in known_pages] == shas:
        stats.count(cached=1)
        items = [
            HashedFinding(content_hash=digest, data_json=data_json, key=key, kind="national-measure",
                          measure_id=measure.id, member_state=member_state, celex=nim_celex,
                          date=date.fromisoformat(day) if day else None, title=title, reference=reference, url=link,
                          fetch=fetches[first_page])
            for key, member_state, nim_celex, day, title, reference, link, first_page, digest, data_json
            in entry["records"]
        ]
        return _NimResult(items, len(items), set(entry["states"]), list(entry["notes"]), fetches)
    page_rows_list = []
    for page, (fetch, page_rows) in enumerate(pages):
        if page_rows is None:  # counted from the cache, but the whole result was not cached
            stats.count(parsed=1)
            page_rows = _page_bindings(fetch.body, page)
        page_rows_list.append(page_rows)
    counts = [len(rows) for rows in page_rows_list]
    parsed = _group(page_rows_list, [fetch.body for fetch in fetches], celex)
    items = [HashedFinding.from_item(nim_item(rec, measure.id, celex, fetches[rec.first_page]))
             for rec in parsed.records]
    states = {r.member_state for r in parsed.records}
    if cache is not None:
        first_page = {id(fetch): page for page, fetch in enumerate(fetches)}
        cache.put("nim", celex, ParseCache.key(measure.id, celex), {
            "measure": measure.id, "directive": celex,
            "pages": [[sha, count] for sha, count in zip(shas, counts, strict=True)],
            "records": [[i.key, i.member_state, i.celex, i.date.isoformat() if i.date else None, i.title,
                         i.reference, i.url, first_page[id(i.fetch)], i.content_hash, i.data_json] for i in items],
            "states": sorted(states), "notes": parsed.notes,
        })
    return _NimResult(items, len(parsed.records), states, parsed.notes, fetches)


def _refresh_measure(
    ctx: SourceContext, url: str, measure: Measure, targets: list[str] | None, result: SourceResult,
    cache: ParseCache | None = None,
) -> _Outcome:
    celex = measure.celex or ""
    is_directive = measure.kind == "directive"
    try:
        check_celex(celex)
        ctx.progress(f"eurlex: {measure.id} ({celex}): act metadata")
        meta, match, fetches = fetch_metadata(ctx, url, measure, cache)
        result.fetches.extend(fetches)
        result.metadata.append(meta)
        if not is_directive or targets == []:
            return _Outcome(measure.id, measure.kind, "ok")
        ctx.progress(f"eurlex: {measure.id} ({celex}): national implementing measures")
        nims = _nim_result(ctx, url, measure, celex, match, cache)
        fetches = nims.fetches
        result.fetches.extend(fetches)
    except (SourceError, ParseError, ValueError) as exc:
        status = exc.status if isinstance(exc, SourceError) else "failed"
        reason = str(exc)
        ctx.progress(f"eurlex: {measure.id}: {status}: {reason}")
        if is_directive:
            result.coverage.extend(coverage_items(measure.id, targets, status, reason))
        return _Outcome(measure.id, measure.kind, status, reason)

    result.findings.extend(i for i in nims.items if targets is None or i.member_state in targets)
    summary = f"{nims.records} notified measure(s) from {len(nims.states)} Member State(s)"
    status = "ok"
    reason = "; ".join([summary, *nims.notes])
    ctx.progress(f"eurlex: {measure.id}: {status}: {reason}")
    result.coverage.extend(coverage_items(measure.id, targets, status, reason, fetches[0]))
    return _Outcome(measure.id, measure.kind, status, reason)


def refresh(ctx: SourceContext) -> SourceResult:
    """Query CELLAR for every selected measure with a CELEX; one failing measure never stops the rest."""
    result = SourceResult()
    url = endpoint(ctx)
    targets = ctx.eu_targets()
    measures = [m for m in ctx.measures() if m.celex]
    if not measures:
        result.reason = "no selected measure has a CELEX number"
        return result
    cache = _cache(ctx)

    def one(measure: Measure) -> tuple[_Outcome, SourceResult]:
        part = SourceResult()
        return _refresh_measure(ctx, url, measure, targets, part, cache), part

    # Measures are independent: query several at once, as far as the endpoint host's politeness
    # policy allows (its concurrency; the HTTP client still spaces the requests by min_interval).
    # The results are put together in catalogue order, whatever order the answers came in.
    pairs = ordered_map(one, measures, host_workers(ctx, url, len(measures)), "eurlex")
    outcomes = []
    for outcome, part in pairs:
        outcomes.append(outcome)
        result.fetches.extend(part.fetches)
        result.metadata.extend(part.metadata)
        result.findings.extend(part.findings)
        result.coverage.extend(part.coverage)

    failed = [o for o in outcomes if o.status in ("failed", "blocked", "unavailable")]
    if len(failed) == len(outcomes):
        statuses = {o.status for o in failed}
        result.status = statuses.pop() if len(statuses) == 1 else "failed"
        result.reason = f"all {len(outcomes)} measure(s) failed; first: {failed[0].measure_id}: {failed[0].reason}"
        return result
    if failed:
        result.reason = (
            f"{len(failed)} of {len(outcomes)} measure(s) failed: "
            + ", ".join(f"{o.measure_id} ({o.status})" for o in failed)
        )
    return result


def stream_import(fh: IO[bytes], name: str, ctx: SourceContext) -> FindingStream:
    """The streaming counterpart of parse_import for a SPARQL JSON result: each finding built
    straight from its row (eurlex_findings.py; the same findings as eurlex_import.StreamedImport, faster)."""
    from .eurlex_findings import FindingStream

    return FindingStream(fh, name, ctx)
