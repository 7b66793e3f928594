"""EUR-Lex / CELLAR: national implementing measures (NIMs) of directives, and act metadata.

Everything comes from the CELLAR SPARQL endpoint (sources.md 1.1: EUR-Lex's HTML is behind an
AWS WAF challenge and is only read from files a user saved, through `parse_import`).

Per catalogued measure with a CELEX:
  * act metadata (document date, entry into force, transposition deadline(s), in force, end of
    validity, ELI, English title) and the acts amending it, for directives and regulations;
  * for directives only, every notified NIM (paged), one query for all Member States.
Regulations have no NIMs (sources.md 1.9.7), so they never get a NIM query nor coverage.

A measure whose queries fail is reported as failed/blocked coverage and the next measure is
tried; a directive long past its deadline with NIMs from almost no Member State is reported as
"suspect" coverage, because such a result is more likely a broken query than a fact.

Pure parsing lives in `eurlex_parse` (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from .. import memberstates
from ..clock import utcnow
from ..errors import BlockedError, ParseError, SourceError
from . import SOURCES
from .base import CoverageItem, FoundItem, MetadataItem, SourceContext, SourceResult
from .eurlex_parse import (  # noqa: F401 - re-exported: the public parsing API of this source
    MAX_PAGES,
    NIM_VARS,
    PAGE_SIZE,
    RESULT_LIMIT,
    SPARQL_JSON,
    HtmlNim,
    NimParse,
    NimRecord,
    act_metadata_query,
    amending_acts_query,
    check_body,
    check_celex,
    decode,
    directive_of_nim_celex,
    group_nim_rows,
    is_waf_challenge,
    looks_like_nim_html,
    nim_data,
    nim_prefix,
    nim_query,
    nim_reference,
    parse_act_metadata,
    parse_amending_acts,
    parse_nim_html,
    parse_nim_results,
    parse_nim_rows,
    parse_sparql_json,
)

if TYPE_CHECKING:
    from ..http import FetchResult
    from ..model import Measure

INFO = SOURCES["eurlex"]
ENDPOINT_NAME = "EURLEX_SPARQL"
DEFAULT_ENDPOINT = "https://publications.europa.eu/webapi/rdf/sparql"
EURLEX_BASE = "https://eur-lex.europa.eu/legal-content/EN/NIM/"

# Source health: a directive due more than this long ago ...
SUSPECT_AFTER_DAYS = 365
# ... with NIMs from fewer Member States than this looks like an incomplete result.
SUSPECT_MIN_STATES = 3


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT)


def _today() -> date:
    return utcnow().date()


def run_query(ctx: SourceContext, url: str, query: str) -> FetchResult:
    """GET one SPARQL query (GET, so that conditional requests and 304s work).

    On a 304 the FetchResult carries the archived body, which is parsed again like a fresh one:
    the findings must be listed again so that they are not taken as gone; refresh.py does not
    rewrite findings whose content hash did not change. Parsing is pure (`parse_nim_rows`,
    `parse_act_metadata`), so it can be memoised by sha256 if it ever costs too much.
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


def _row_count(body: bytes) -> int:
    return len(parse_sparql_json(body)[1])


# --- one measure -----------------------------------------------------------------------------


@dataclass
class _Outcome:
    measure_id: str
    kind: str
    status: str  # ok | suspect | failed | blocked | skipped
    reason: str | None = None
    old_deadline: bool = False


def fetch_metadata(
    ctx: SourceContext, url: str, measure: Measure
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
        fetches.append(meta_fetch)
        data = parse_act_metadata(meta_fetch.body, celex, directive=measure.kind == "directive")
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
        fetches.append(am_fetch)
        if _row_count(am_fetch.body) >= RESULT_LIMIT:
            raise ParseError(f"CELLAR amending acts of {celex}: {RESULT_LIMIT} rows or more, the list may be cut")
        data["amended_by"] = parse_amending_acts(am_fetch.body, celex)
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
    rows = []
    fetches: list[FetchResult] = []
    page_size, max_pages = PAGE_SIZE, MAX_PAGES  # module globals: tests shrink them
    for page in range(max_pages):
        query = nim_query(celex, limit=page_size, offset=page * page_size, celex_match=celex_match)
        fetch = run_query(ctx, url, query)
        fetches.append(fetch)
        page_rows = parse_nim_rows(fetch.body, page)
        rows.extend(page_rows)
        if len(page_rows) < page_size:
            break
        ctx.progress(f"eurlex: {celex}: page {page + 1} full ({page_size} rows), asking for the next")
    else:
        raise SourceError(
            f"CELLAR NIM query for {celex}: still full after {max_pages} pages of {page_size} rows; "
            "stopped rather than report an incomplete list (raise MAX_PAGES)",
            status="failed",
        )
    return group_nim_rows(rows, celex), fetches


def nim_item(rec: NimRecord, measure_id: str, directive: str | None, fetch: FetchResult | None) -> FoundItem:
    """A NIM as a finding; the date is the earliest notification date."""
    celex = rec.celex_for(directive)
    values = rec.values
    url = (values.get("link") or values.get("eli") or [None])[0]
    return FoundItem(
        key=celex or rec.nim or rec.group,
        kind="national-measure",
        measure_id=measure_id,
        member_state=rec.member_state,
        celex=celex,
        date=rec.notified[0] if rec.notified else None,
        title=rec.titles[0]["value"] if rec.titles else None,
        reference=nim_reference(rec),
        url=url,
        data=nim_data(rec, directive),
        fetch=fetch,
    )


def _earliest_deadline(measure: Measure, metadata: dict[str, Any] | None) -> date | None:
    dates = [
        o.date for o in measure.obligations
        if o.type == "transposition" and o.addressee == "member-states" and o.date
    ]
    for raw in (metadata or {}).get("transposition") or []:
        try:
            dates.append(date.fromisoformat(raw))
        except (TypeError, ValueError):
            continue
    return min(dates) if dates else None


def _targets(ctx: SourceContext) -> list[str] | None:
    """None for all Member States, else the EU codes asked for ("EU" is not a state)."""
    if not ctx.member_states:
        return None
    known = set(memberstates.codes())
    return [c for c in ctx.member_states if c in known]


def _coverage(measure_id: str, targets: list[str] | None, status: str, reason: str | None,
              fetch: FetchResult | None = None) -> list[CoverageItem]:
    states = ["*"] if targets is None else targets
    return [CoverageItem(measure_id, status, state, reason, fetch) for state in states]


def _refresh_measure(
    ctx: SourceContext, url: str, measure: Measure, targets: list[str] | None, today: date,
    result: SourceResult,
) -> _Outcome:
    celex = measure.celex or ""
    is_directive = measure.kind == "directive"
    try:
        check_celex(celex)
        ctx.progress(f"eurlex: {measure.id} ({celex}): act metadata")
        meta, match, fetches = fetch_metadata(ctx, url, measure)
        result.fetches.extend(fetches)
        result.metadata.append(meta)
        if not is_directive or targets == []:
            return _Outcome(measure.id, measure.kind, "ok")
        ctx.progress(f"eurlex: {measure.id} ({celex}): national implementing measures")
        parsed, fetches = fetch_nims(ctx, url, celex, celex_match=match)
        result.fetches.extend(fetches)
    except (SourceError, ParseError, ValueError) as exc:
        status = exc.status if isinstance(exc, SourceError) else "failed"
        reason = str(exc)
        ctx.progress(f"eurlex: {measure.id}: {status}: {reason}")
        if is_directive:
            result.coverage.extend(_coverage(measure.id, targets, status, reason))
        return _Outcome(measure.id, measure.kind, status, reason)

    for rec in parsed.records:
        if targets is None or rec.member_state in targets:
            result.findings.append(nim_item(rec, measure.id, celex, fetches[rec.first_page]))
    states = {r.member_state for r in parsed.records}
    summary = f"{len(parsed.records)} notified measure(s) from {len(states)} Member State(s)"
    deadline = _earliest_deadline(measure, meta.data)
    old = deadline is not None and (today - deadline) > timedelta(days=SUSPECT_AFTER_DAYS)
    status = "ok"
    reason = "; ".join([summary, *parsed.notes])
    if old and len(states) < SUSPECT_MIN_STATES:
        status = "suspect"
        reason = (
            f"only {len(states)} Member States with notified measures for a directive due on "
            f"{deadline.isoformat()}: result looks incomplete"
        )
        if parsed.notes:
            reason += "; " + "; ".join(parsed.notes)
    ctx.progress(f"eurlex: {measure.id}: {status}: {reason}")
    result.coverage.extend(_coverage(measure.id, targets, status, reason, fetches[0]))
    return _Outcome(measure.id, measure.kind, status, reason, old_deadline=old)


def refresh(ctx: SourceContext) -> SourceResult:
    """Query CELLAR for every selected measure with a CELEX; one failing measure never stops the rest."""
    result = SourceResult()
    url = endpoint(ctx)
    targets = _targets(ctx)
    measures = [m for m in ctx.measures() if m.celex]
    if not measures:
        result.reason = "no selected measure has a CELEX number"
        return result
    today = _today()
    outcomes = [_refresh_measure(ctx, url, m, targets, today, result) for m in measures]

    failed = [o for o in outcomes if o.status in ("failed", "blocked", "unavailable")]
    if len(failed) == len(outcomes):
        statuses = {o.status for o in failed}
        result.status = statuses.pop() if len(statuses) == 1 else "failed"
        result.reason = f"all {len(outcomes)} measure(s) failed; first: {failed[0].measure_id}: {failed[0].reason}"
        return result
    old = [o for o in outcomes if o.old_deadline]
    if old and all(o.status == "suspect" for o in old):
        result.status = "suspect"
        result.reason = (
            f"every directive past its deadline by more than {SUSPECT_AFTER_DAYS} days has NIMs from "
            f"fewer than {SUSPECT_MIN_STATES} Member States ({', '.join(o.measure_id for o in old)}): "
            "the CELLAR results look incomplete"
        )
    elif failed:
        result.reason = (
            f"{len(failed)} of {len(outcomes)} measure(s) failed: "
            + ", ".join(f"{o.measure_id} ({o.status})" for o in failed)
        )
    return result


# --- import of a saved file ------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a file a user saved: a CELLAR NIM SPARQL JSON result or a EUR-Lex NIM page.

    Imports give findings only, never coverage: a saved file cannot prove an absence. `fetch` is
    None; refresh.py attaches the file's own provenance.
    """
    text = decode(body, name)
    head = text.lstrip()
    if not head.startswith(("{", "[")) and is_waf_challenge(text):
        raise BlockedError(
            f"{name}: this is the AWS WAF JavaScript challenge page, not EUR-Lex data; let the page "
            "load in a browser, then save it again"
        )
    if head.startswith("Virtuoso"):
        check_body(text, name)
    if head.startswith(("{", "[")):
        return _import_sparql(body, name, ctx)
    if looks_like_nim_html(text):
        return _import_html(body, name, ctx)
    raise ParseError(f"{name}: neither a CELLAR SPARQL JSON result of NIMs nor a EUR-Lex NIM page")


def _wanted(ctx: SourceContext, member_state: str | None) -> bool:
    targets = _targets(ctx)
    return targets is None or member_state in targets


def _import_sparql(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    try:
        parsed = parse_nim_results(body)
    except ParseError as exc:
        raise ParseError(f"{name}: {exc}") from None
    candidates = [m for m in (ctx.measures() if ctx.measure_ids else ctx.catalogue.measures.values()) if m.celex]
    by_celex = {m.celex: m for m in candidates}
    only = candidates[0] if ctx.measure_ids and len(candidates) == 1 else None
    result = SourceResult()
    uninferable = 0
    other: dict[str, int] = {}
    for rec in parsed.records:
        directives = rec.directives()
        matched = [by_celex[d] for d in directives if d in by_celex]
        if not directives and only is not None:
            matched = [only]
        if not matched:
            if directives:
                for d in directives:
                    other[d] = other.get(d, 0) + 1
            else:
                uninferable += 1
            continue
        for measure in matched:
            if _wanted(ctx, rec.member_state):
                result.findings.append(nim_item(rec, measure.id, measure.celex, None))
    if uninferable:
        raise ParseError(
            f"{name}: {uninferable} measure(s) have no NIM CELEX, so their directive cannot be "
            "inferred; pass --measure with the one catalogued measure the file is for"
        )
    notes = list(parsed.notes)
    if other:
        listed = ", ".join(f"{d} ({n})" for d, n in sorted(other.items()))
        if not result.findings and parsed.records:
            raise ParseError(
                f"{name}: the measures implement {listed}, none of which is a catalogued measure"
                + (" selected with --measure" if ctx.measure_ids else "")
                + "; add the directive to your catalogue (by CELEX) or pass --measure"
            )
        notes.append(f"ignored measures of directives not selected or not catalogued: {listed}")
    result.reason = "; ".join(notes) or None
    return result


def _import_html(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    try:
        page = parse_nim_html(body)
    except ParseError as exc:
        raise ParseError(f"{name}: {exc}") from None
    in_page = sorted({d for d in (c if c.startswith("3") else directive_of_nim_celex(c) for c in page.celex) if d})
    measure = _html_measure_for(name, ctx, in_page)
    result = SourceResult()
    notes = list(page.notes)
    unknown = 0
    for nim in page.measures:
        if nim.member_state is None:
            unknown += 1
            continue
        if _wanted(ctx, nim.member_state):
            result.findings.append(_html_item(nim, measure, page.countries.get(nim.iso3, {})))
    if unknown:
        notes.append(f"skipped {unknown} measure(s) of countries that are not EU Member States")
    result.reason = "; ".join(notes) or None
    return result


def _html_measure_for(name: str, ctx: SourceContext, in_page: list[str]) -> Measure:
    if ctx.measure_ids:
        chosen = [m for m in ctx.measures() if m.celex]
        if len(chosen) > 1:
            chosen = [m for m in chosen if m.celex in in_page]
        if len(chosen) != 1:
            raise ParseError(f"{name}: pass --measure with the one catalogued directive this NIM page is for")
        measure = chosen[0]
        if in_page and measure.celex not in in_page:
            raise ParseError(
                f"{name}: the page is for {', '.join(in_page)}, but --measure {measure.id} is {measure.celex}"
            )
        return measure
    matches = [ctx.catalogue.by_celex[d] for d in in_page if d in ctx.catalogue.by_celex]
    if len(matches) == 1:
        return matches[0]
    found = f"it names {', '.join(in_page)}" if in_page else "it names no directive CELEX"
    raise ParseError(f"{name}: cannot tell which catalogued directive this NIM page is for ({found}); pass --measure")


def _html_item(nim: HtmlNim, measure: Measure, country: dict[str, Any]) -> FoundItem:
    eurlex_url = urljoin(EURLEX_BASE, nim.href) if nim.href else None
    key = nim.celex or (f"NIM:{nim.nim_id}" if nim.nim_id else f"{nim.iso3}:{nim.oj_number or nim.title}")
    reference = " ".join(p for p in (nim.oj_name, nim.oj_number) if p) or None
    data: dict[str, Any] = {
        "format": "eurlex-nim-html",
        "directive": measure.celex,
        "country": nim.iso3,
        "nim_id": nim.nim_id,
        "nim_celex": [nim.celex] if nim.celex else [],
        "title": nim.title,
        "language": nim.language,
        "oj_name": nim.oj_name,
        "oj_number": nim.oj_number,
        "publication_date": nim.publication_date.isoformat() if nim.publication_date else None,
        "publication_date_raw": nim.publication_date_raw,
        "date_kind": "publication (official journal); the saved page shows no notification date",
        "eurlex_url": eurlex_url,
        "links": nim.links,
        "page_transposition_deadlines": country.get("deadlines", []),
        "page_declared_count": country.get("declared"),
    }
    return FoundItem(
        key=key,
        kind="national-measure",
        measure_id=measure.id,
        member_state=nim.member_state,
        celex=nim.celex,
        date=nim.publication_date,
        title=nim.title,
        reference=reference,
        url=(nim.links[0]["href"] if nim.links else eurlex_url),
        data=data,
        fetch=None,
    )
