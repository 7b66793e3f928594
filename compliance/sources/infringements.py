"""European Commission: register of infringement decisions (one finding per decision).

The register's app (ec.europa.eu/implementing-eu-law/search-infringement-decisions/) sits on a
JSON API (sources.md §6, [V second-hand], from a public mirror script measured 16 Sep 2026):

    POST …/search-infringement-decisions/api/decisions
    body {refId, relatedPetition, petition, decisionDateFrom, decisionDateTo (DD/MM/YYYY),
          langCode: "EN", memberState, decisionCategory, infringementType, activeCase,
          pressRelease, page, size (≤ 5000 used), title, legalBasis, dg, policyArea,
          courtFinancialSanctions, order, sortColumns}
    answer {totalRows, records: [...]}

Quirks that shape this module:
  * `sortColumns` is not honoured, so paging one big result may skip or repeat rows. The
    register is read in date windows that each fit in one page (a year, split into months if a
    year holds more than PAGE_SIZE decisions), and the windows are reconciled against the
    `totalRows` the service reports for the whole span. Any mismatch makes the source "suspect".
  * No CELEX field is documented: the act concerned is parsed from `title` ("Directive (EU)
    2024/1712 …") with compliance.refs, unless a record does carry a CELEX field.
  * There are no per-case URLs (the app ignores URL parameters): `url` stays None, and the
    press release / memo / Court links are kept in `data`.
  * `memberState` is a name (the register's code for Greece is EL; GR is accepted too).
  * One Oct 2026 note reports 404 from the app and 500 from the API: any failed request makes
    the whole search "failed" (never an empty result).
  * The API is POST only, so no request can be conditional. The register is swept incrementally
    instead: a run reads the total for the whole span and the windows of this year and the last
    (RECENT_YEARS; the monthly packages add decisions there), and takes the older years as the last
    complete sweep in the store found them, provided the register's total equals the older years'
    totals then plus the recent windows' totals now. Otherwise, or when the last complete sweep is
    FULL_SWEEP_DAYS old, lacks a measure or Member State searched now, or spans other years, every
    window is read again. An incremental answer is partial (sources.base.Partial): the shared
    writer keeps the stored decisions dated before the recent windows as they are.

One finding per (decision, catalogued measure it concerns); the rules group them by
`reference` (the case number) and treat a case whose latest decision is a closure as closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from ..clock import utcnow
from ..errors import ParseError, SourceError
from . import SOURCES
from .base import FoundItem, Partial, SourceContext, SourceResult, coverage_items
from .infringements_parse import (  # noqa: F401 - re-exported: the public parsing API of this source
    FAR_FUTURE,
    PAGE_SIZE,
    PROBE_SIZE,
    STAGES,
    Decision,
    RegisterPage,
    Window,
    check_body,
    concerned_acts,
    decode,
    dmy,
    member_state_code,
    parse_date,
    parse_decision,
    parse_decisions,
    parse_envelope,
    parse_flag,
    query_body,
    stage_of,
    year_windows,
)
from .parallel import host_workers, ordered_map

if TYPE_CHECKING:
    from ..http import FetchResult
    from ..model import Measure

INFO = SOURCES["infringements"]
ENDPOINT_NAME = "INFRINGEMENTS"
DEFAULT_ENDPOINT = "https://ec.europa.eu/implementing-eu-law/search-infringement-decisions/api/decisions"
REGISTER_PAGE = (
    "https://ec.europa.eu/implementing-eu-law/search-infringement-decisions/?typeOfSearch=byDecision&langCode=EN"
)

MAX_PAGES = 20  # per window, when a month still holds more than PAGE_SIZE decisions
RECENT_YEARS = 2  # read every run: this year and the last one
FULL_SWEEP_DAYS = 7  # every window is read again at least this often
# The acts a directive/regulation measure can be infringed on (coverage is only given for these).
COVERED_KINDS = ("directive", "regulation")


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT)




# --- findings --------------------------------------------------------------------------------


def decision_item(decision: Decision, measure: Measure, fetch: FetchResult | None) -> FoundItem:
    return FoundItem(
        key=decision.key,
        kind="infringement",
        measure_id=measure.id,
        member_state=decision.member_state,
        celex=measure.celex,
        date=decision.decision_date,
        title=decision.title or f"{decision.decision_type} in case {decision.number}",
        reference=decision.number,
        url=None,  # the register has no page per case or decision (sources.md §6)
        stage=decision.stage,
        # No page per case exists; the register's search page is where a reader can look the case up.
        data={**decision.data(), "register_page": REGISTER_PAGE},
        fetch=fetch,
    )




def _measure_start(measure: Measure) -> date:
    """From when decisions about a measure can exist: its adoption, else its CELEX year."""
    if measure.adopted:
        return date(measure.adopted.year, 1, 1)
    return date(int((measure.celex or "32000")[1:5]), 1, 1)


@dataclass
class _Sweep:
    """What reading the register window by window gave."""

    decisions: dict[tuple[str, str, str], tuple[Decision, FetchResult]] = field(default_factory=dict)
    fetches: list[FetchResult] = field(default_factory=list)
    window_total: int = 0
    pages: int = 0
    problems: list[str] = field(default_factory=list)
    problem_celex: set[str] = field(default_factory=set)
    health: list[str] = field(default_factory=list)  # reasons to call the result suspect
    not_eu: int = 0
    total: int = 0  # the register's total for the whole span
    years: dict[str, int] = field(default_factory=dict)  # the register's total per year window read
    moved: bool = False  # an incremental sweep whose total does not reconcile: read every window again


def _post(ctx: SourceContext, url: str, body: dict[str, Any]) -> FetchResult:
    if ctx.http is None:
        raise SourceError("infringements: no HTTP client (import mode cannot query the register)",
                          status="unavailable")
    return ctx.http.post(INFO.name, url, json=body, headers={"Accept": "application/json"})


@dataclass
class _WindowRead:
    """One window as read from the register, before it is merged into the sweep (`_merge`)."""

    window: Window
    total: int
    fetches: list[FetchResult]  # every request for the window, in the order made
    pages: list[tuple[RegisterPage, FetchResult]] = field(default_factory=list)
    months: list[_WindowRead] = field(default_factory=list)  # a big year, read month by month instead
    short: str | None = None  # MAX_PAGES reached before `total`


def _read_window(ctx: SourceContext, url: str, window: Window, *, split: bool = True) -> _WindowRead:
    """Fetch every decision dated within `window`: one page, or its months when the year is too big,
    each page after page (the next page is only asked for while the pages read fall short of
    `totalRows`). Only requests and parsing: the window is checked and merged by `_merge`."""
    fetch = _post(ctx, url, query_body(window.start, window.end, page=0, size=PAGE_SIZE))
    page = parse_decisions(fetch.body, f"infringement register {window.label}")
    read = _WindowRead(window, page.total, [fetch])
    if page.total > PAGE_SIZE and split and len(window.months()) > 1:
        ctx.progress(f"infringements: {window.label}: {page.total} decisions, reading month by month")
        read.months = [_read_window(ctx, url, month, split=False) for month in window.months()]
        return read
    read.pages.append((page, fetch))
    number = 0
    while sum(p.rows for p, _ in read.pages) < page.total:
        number += 1
        if number >= MAX_PAGES:
            read.short = f"{window.label}: still short of {page.total} decisions after {MAX_PAGES} pages"
            break
        more = _post(ctx, url, query_body(window.start, window.end, page=number, size=PAGE_SIZE))
        read.fetches.append(more)
        next_page = parse_decisions(more.body, f"infringement register {window.label} page {number}")
        if not next_page.rows:
            break
        read.pages.append((next_page, more))
    return read


def _merge(read: _WindowRead, sweep: _Sweep) -> None:
    """Add a window read to the sweep, checking its count against `totalRows`; windows are merged in
    date order, so a decision that came back in two windows is kept from the earlier one."""
    sweep.fetches.extend(read.fetches)
    if read.months:
        for month in read.months:
            _merge(month, sweep)
        return
    window, total = read.window, read.total
    sweep.window_total += total
    if read.short:
        sweep.health.append(read.short)
    seen: dict[tuple[str, str, str], tuple[Decision, FetchResult]] = {}
    for p, f in read.pages:
        sweep.pages += 1
        sweep.problems.extend(f"{window.label}: {x}" for x in p.problems)
        sweep.problem_celex |= p.problem_celex
        outside = 0
        for d in p.decisions:
            if not window.start <= d.decision_date <= window.end:
                outside += 1
            seen.setdefault((d.number, d.decision_date.isoformat(), d.decision_type), (d, f))
        if outside:
            sweep.health.append(f"{window.label}: {outside} decision(s) dated outside the window asked for "
                                "(the date filter was not applied?)")
    distinct = len(seen) + sum(len(p.problems) for p, _ in read.pages)
    if distinct != total:
        sweep.health.append(f"{window.label}: the register reported {total} decisions, {distinct} distinct "
                            "ones were read")
    for key, value in seen.items():
        if key in sweep.decisions:
            sweep.health.append(f"decision {key[0]} of {key[1]} came back in two windows")
            continue
        sweep.decisions[key] = value
        if value[0].member_state is None:
            sweep.not_eu += 1


def sweep_register(ctx: SourceContext, url: str, start: date, today: date, *, since: date | None = None,
                   skipped: int = 0) -> tuple[_Sweep, FetchResult]:
    """Read the register from `start` on, window by window; SourceError/ParseError on a failure.

    With `since` (an incremental sweep), only the windows from `since` on are read, and the
    `skipped` decisions of the older windows (their totals in the last complete sweep) count
    towards the total: when the sum does not reconcile, `moved` is set instead of a health problem,
    and the caller reads every window.

    The probe (the total for the whole span) and the year windows are independent requests: they
    are made at once, as far as the host's politeness policy allows, and merged in date order, so
    the sweep (and the failure reported: that of the earliest request that failed) is the same as
    when they are read one after another.
    """

    def probe_total() -> tuple[FetchResult, int]:
        probe = _post(ctx, url, query_body(start, FAR_FUTURE, page=0, size=min(PROBE_SIZE, PAGE_SIZE)))
        return probe, parse_decisions(probe.body, "infringement register (total)").total

    def read_year(window: Window) -> _WindowRead:
        ctx.progress(f"infringements: decisions of {window.label}")
        return _read_window(ctx, url, window)

    windows = [w for w in year_windows(start, today) if since is None or w.start >= since]
    jobs: list[Callable[[], Any]] = [probe_total]
    jobs += [partial(read_year, window) for window in windows]
    done = ordered_map(lambda job: job(), jobs, host_workers(ctx, url, len(jobs)), "infringements")
    (probe, total), reads = done[0], done[1:]
    sweep = _Sweep(fetches=[probe], total=total)
    for read in reads:
        _merge(read, sweep)
        if read.window.end != FAR_FUTURE:
            sweep.years[str(read.window.start.year)] = read.total
    if sweep.window_total + skipped != total:
        if since is not None:
            sweep.moved = True
        else:
            sweep.health.append(
                f"the register reports {total} decisions from {dmy(start)} on, but its date windows add up to "
                f"{sweep.window_total}"
            )
    if total == 0:
        sweep.health.append(f"the register reports no decision at all from {dmy(start)} on")
    return sweep, probe


@dataclass
class _Plan:
    """How this run reads the register: every window (`since` None), or the recent ones only."""

    since: date | None
    skipped: int  # decisions in the older windows, as the last complete sweep found them
    why: str  # why every window is read, or what the incremental sweep builds on


def plan_sweep(ctx: SourceContext, start: date, today: date, measures: list[Measure],
               targets: list[str] | None) -> _Plan:
    """An incremental sweep when the last complete one in the store allows it (see the module doc)."""
    since = date(today.year - RECENT_YEARS + 1, 1, 1)
    if since <= start:
        return _Plan(None, 0, "every window is recent")
    previous = ctx.last_complete()
    if previous is None:
        return _Plan(None, 0, "no complete sweep in the store")
    age = utcnow() - previous.started_at
    if age >= timedelta(days=FULL_SWEEP_DAYS):
        return _Plan(None, 0, f"the last complete sweep is {age.days} day(s) old (full sweep every "
                              f"{FULL_SWEEP_DAYS} days)")
    years = previous.memo.get("years")
    if previous.memo.get("start") != start.isoformat() or not isinstance(years, dict):
        return _Plan(None, 0, "the last complete sweep searched another span")
    old = [years.get(str(year)) for year in range(start.year, since.year)]
    if not all(isinstance(n, int) and n >= 0 for n in old):
        return _Plan(None, 0, "the last complete sweep lacks the totals of older years")
    unreadable = previous.memo.get("unreadable") or []
    missing = [m.id for m in measures
               if not previous.covers(m.id, targets, doubtful=isinstance(unreadable, list) and m.id in unreadable)]
    if missing:
        return _Plan(None, 0, f"the last complete sweep did not search {missing[0]} healthily"
                              + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    when = previous.started_at.date().isoformat()
    return _Plan(since, sum(old), f"the {sum(old)} decisions dated before {dmy(since)} as the complete sweep "
                                  f"of {when} found them")


def refresh(ctx: SourceContext) -> SourceResult:
    """Search the register for every decision since the oldest selected act; match them by CELEX."""
    result = SourceResult()
    targets = ctx.eu_targets()
    selected = [m for m in ctx.measures() if m.celex]
    covered = [m for m in selected if m.kind in COVERED_KINDS]
    if not covered:
        result.reason = "no selected directive or regulation with a CELEX number"
        return result
    if targets == []:
        result.reason = "no EU Member State selected"
        return result
    today = utcnow().date()
    start = min(_measure_start(m) for m in covered)
    url = endpoint(ctx)
    plan = plan_sweep(ctx, start, today, covered, targets) if ctx.http is not None else _Plan(None, 0, "")
    try:
        sweep, probe = sweep_register(ctx, url, start, today, since=plan.since, skipped=plan.skipped)
        if sweep.moved:
            ctx.progress(f"infringements: the register's total ({sweep.total}) does not reconcile with the "
                         f"recent windows and {plan.why}: reading every window")
            result.fetches.extend(sweep.fetches)
            plan = _Plan(None, 0, "the register's total moved outside the recent windows")
            sweep, probe = sweep_register(ctx, url, start, today)
        elif plan.since is None:
            ctx.progress(f"infringements: full sweep: {plan.why}")
    except (SourceError, ParseError) as exc:
        status = exc.status if isinstance(exc, SourceError) else "failed"
        reason = f"infringement register search failed: {exc}"
        if isinstance(exc, ParseError):
            reason = f"infringement register: unexpected payload: {exc}"
        result.status, result.reason = status, reason
        for measure in covered:
            result.coverage.extend(coverage_items(measure.id, targets, status, reason))
        return result

    result.fetches.extend(sweep.fetches)
    by_celex = {m.celex: m for m in selected}
    per_measure: dict[str, int] = {}
    for decision, fetch in sweep.decisions.values():
        if decision.member_state is None or (targets is not None and decision.member_state not in targets):
            continue
        for celex in decision.celex:
            measure = by_celex.get(celex)
            if measure is None:
                continue
            result.findings.append(decision_item(decision, measure, fetch))
            per_measure[measure.id] = per_measure.get(measure.id, 0) + 1

    notes = []
    if sweep.not_eu:
        notes.append(f"{sweep.not_eu} decision(s) concern states that are not EU Member States (skipped)")
    if sweep.problems:
        notes.append(f"{len(sweep.problems)} record(s) could not be read: " + "; ".join(sweep.problems[:5]))
    if plan.since is None:
        summary = (f"searched {len(sweep.decisions)} decisions dated from {dmy(start)} on in "
                   f"{sweep.pages} page(s)")
        # The measures whose only doubt is a record the register gives unreadably: every readable
        # decision was written, and the unreadable record stays so; an incremental sweep may build on them.
        unreadable = sorted(m.id for m in covered if m.celex in sweep.problem_celex) if not sweep.health else []
        result.memo = {"start": start.isoformat(), "years": sweep.years, "unreadable": unreadable}
    else:
        summary = (f"incremental: searched {len(sweep.decisions)} decisions dated from {dmy(plan.since)} on in "
                   f"{sweep.pages} page(s), and kept {plan.why} (the register's total, {sweep.total}, reconciles)")
        result.partial = Partial(plan.since, summary)
    status = "suspect" if sweep.health else "ok"
    for measure in covered:
        m_status, reason = status, f"{summary}; {per_measure.get(measure.id, 0)} decision(s) on {measure.celex}"
        if sweep.health:
            reason = "register counts do not reconcile: " + "; ".join(sweep.health[:5])
        elif measure.celex in sweep.problem_celex:
            m_status = "suspect"
            reason = f"a record citing {measure.celex} could not be read; " + reason
        result.coverage.extend(coverage_items(measure.id, targets, m_status, "; ".join([reason, *notes]), probe))
    if sweep.health:
        result.status = "suspect"
        result.reason = "infringement register counts do not reconcile: " + "; ".join(sweep.health[:5])
    else:
        result.reason = "; ".join([summary, *notes])
    ctx.progress(f"infringements: {result.status}: {result.reason}")
    return result


# --- import of a saved file ------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved api/decisions answer ({totalRows, records}) or a list of records.

    Imports give findings only, never coverage: a saved search cannot prove that a case does not
    exist. `fetch` is None; refresh/run.py attaches the file's own provenance.
    """
    page = parse_decisions(body, name)
    candidates = [m for m in (ctx.measures() if ctx.measure_ids else ctx.catalogue.measures.values()) if m.celex]
    by_celex = {m.celex: m for m in candidates}
    targets = ctx.eu_targets()
    result = SourceResult()
    unmatched = 0
    for decision in page.decisions:
        matched = [by_celex[c] for c in decision.celex if c in by_celex]
        if not matched:
            unmatched += 1
            continue
        if decision.member_state is None or (targets is not None and decision.member_state not in targets):
            continue
        for measure in matched:
            result.findings.append(decision_item(decision, measure, None))
    notes = []
    if page.rows != page.total:
        notes.append(f"the file says totalRows={page.total} but holds {page.rows} record(s): a partial export")
    if unmatched:
        notes.append(f"{unmatched} decision(s) concern no catalogued act" + (" selected" if ctx.measure_ids else ""))
    if page.not_eu:
        notes.append(f"{page.not_eu} decision(s) concern states that are not EU Member States (skipped)")
    if page.problems:
        notes.append(f"{len(page.problems)} record(s) could not be read: " + "; ".join(page.problems[:5]))
    if page.decisions and unmatched == len(page.decisions):
        raise ParseError(f"{name}: none of the {unmatched} decision(s) concerns a catalogued act"
                         + (" selected with --measure" if ctx.measure_ids else ""))
    result.reason = "; ".join(notes) or None
    return result
