"""`compliance refresh` and `compliance import`: run sources, store what they found.

Each source's results are written in one transaction: a source that fails leaves its earlier
findings as they were and records the failure. A lock keeps two refreshes from running at once.
After the sources, the assessments of every Member State are snapshotted for history.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..catalogue import memberstates
from ..catalogue.load import Catalogue
from ..clock import from_db, to_db, utcnow
from ..config.settings import Settings
from ..errors import EXIT_LOCKED, ComplianceError, ConfigError, InputError, ParseError, SourceError, StoreError
from ..faults import ENVIRONMENT, db_reason, storage_fault
from ..http import FetchResult, HostPolicy, HttpClient, HttpSettings, PreviousFetch, build_user_agent
from ..sources import SOURCES
from ..sources.base import CompleteSweep, CoverageItem, FoundItem, SourceContext, SourceResult
from ..store import tables
from ..store.archive import Archive, sha256_hex
from ..store.engine import Store
from ..store.plausibility import Rules


class RefreshLockedError(ComplianceError):
    """Another refresh or import holds the lock."""

    exit_code = EXIT_LOCKED


@dataclass
class SourceSummary:
    source: str
    status: str
    reason: str | None = None
    requests: int = 0
    not_modified: int = 0
    new: int = 0
    changed: int = 0
    gone: int = 0
    errors: int = 0
    findings: int = 0
    pending: int = 0  # not listed by this healthy answer: withdrawn only once confirmed
    # The requests that failed ({"request", "reason", "at"}; the full request, secrets redacted):
    # kept in the run's summary for `compliance sources --format json` and `refresh --verbose`.
    failed_requests: list[dict[str, str]] = field(default_factory=list)
    partial: str | None = None  # an incremental answer: what it read (sources.base.Partial); None: whole
    memo: dict[str, Any] | None = None  # the source's memo of a complete answer (CompleteSweep.memo)
    set_aside: list[str] = field(default_factory=list)  # measures whose answers the writer held implausible


@dataclass
class RefreshSummary:
    run_id: int
    status: str
    sources: list[SourceSummary] = field(default_factory=list)
    # "no network: ..." when no request of the run was answered and hosts could not be reached.
    network: str | None = None

    @property
    def failed(self) -> bool:
        """A source failed, was blocked or looks broken. `unavailable` (no credentials, outside
        its service hours) is reported but is not a failure of the run."""
        return any(s.status not in ("ok", "unavailable") for s in self.sources)


# -- garbage collection during bulk work ---------------------------------------------------------


@contextmanager
def relaxed_gc(threshold: int = 100_000) -> Iterator[None]:
    """Let the cyclic garbage collector run less often while a refresh or an import builds
    100,000s of objects that all stay alive (parsed rows, findings): with the default threshold
    (700 allocations) its repeated passes over them take almost half of the parsing time. Memory
    is still freed by reference counting; cycles are collected, only later. The previous
    thresholds are restored afterwards."""
    import gc

    previous = gc.get_threshold()
    gc.set_threshold(max(threshold, previous[0]), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


# -- the lock -------------------------------------------------------------------------------------


@contextmanager
def refresh_lock(state_dir: Path) -> Iterator[None]:
    """An exclusive lock on <state>/refresh.lock; the OS releases it if the process dies.
    Whoever takes it first removes the temporary files a killed run left (refresh/leftovers.py)."""
    import fcntl

    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "refresh.lock"
    handle = open(path, "a+")  # noqa: SIM115 - held for the duration of the context
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RefreshLockedError(
                f"another refresh is running (lock {path} held by pid {holder}); try again later"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        from .leftovers import remove_stale_temporaries

        remove_stale_temporaries(state_dir)  # what a killed import or refresh left behind
        yield
    finally:
        handle.close()


# -- HTTP client from settings ---------------------------------------------------------------------


def http_settings(settings: Settings) -> HttpSettings:
    section = settings.file.http
    contact = os.environ.get("COMPLIANCE_CONTACT") or section.contact
    return HttpSettings(
        user_agent=section.user_agent or build_user_agent(contact),
        timeout=section.timeout,
        max_retries=section.max_retries,
        backoff_base=section.backoff_base,
        backoff_max=section.backoff_max,
        max_retry_after=section.max_retry_after,
        max_bytes=section.max_bytes,
        hosts={h: HostPolicy(p.concurrency, p.min_interval) for h, p in section.hosts.items()},
    )


def validator_lookup(store: Store) -> Callable[[str, str, str], PreviousFetch | None]:
    """The last successful fetch of the same request, for conditional GET."""

    def lookup(source: str, url: str, request_key: str) -> PreviousFetch | None:
        f = tables.Fetch
        stmt = (
            select(f)
            .where(f.source == source, f.request_key == request_key)
            .order_by(f.retrieved_at.desc(), f.id.desc())
            .limit(1)
        )
        with store.session() as session:
            row = session.execute(stmt).scalar_one_or_none()
        if row is None or not (row.etag or row.last_modified) or row.warning:
            return None  # (a partial answer is asked for again in full, never confirmed by a 304)
        return PreviousFetch(row.etag, row.last_modified, row.sha256, row.content_type)

    return lookup


# -- writing one source's results ----------------------------------------------------------------


def _content_hash(item: FoundItem) -> str:
    """The content hash of a finding (the reference definition; findings_writer computes the
    same text without serialising `data` twice)."""
    payload = {
        "kind": item.kind, "member_state": item.member_state, "celex": item.celex,
        "date": item.date.isoformat() if item.date else None, "title": item.title,
        "reference": item.reference, "url": item.url, "stage": item.stage, "data": item.data,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def write_source_result(
    store: Store,
    run_id: int,
    source: str,
    result: SourceResult,
    *,
    started_at: datetime,
    default_fetch: tables.Fetch | None = None,
    withdraw: bool = True,
    rules: Rules | None = None,
    catalogue: Catalogue | None = None,
) -> SourceSummary:
    """Write one source's findings, coverage and metadata in a single transaction (in batches:
    see store/writer.py).

    With `withdraw` (a refresh), each measure's answer is first judged against the last healthy
    one (store/plausibility.py): an implausible one writes none of its findings, its coverage becomes
    `suspect` and so does the source. Then the findings a healthy answer no longer lists become
    pending withdrawals, withdrawn once their absence is confirmed (`rules`, from the config). A
    partial answer (`result.partial`, an incremental sweep) is judged, and can withdraw, only within
    its span: what the parts it skipped found stays as stored."""
    from ..store.writer import FindingsWriter

    now = to_db(utcnow())
    summary = SourceSummary(source=source, status=result.status, reason=result.reason)
    findings, coverage = result.findings, result.coverage
    since = result.partial.since if result.partial is not None else None
    if result.partial is not None:
        summary.partial = result.partial.reason
    elif withdraw:
        summary.memo = result.memo
    with store.engine.begin() as conn:
        default_id = _insert_row(conn, default_fetch) if default_fetch is not None else None
        writer = FindingsWriter(conn, source, run_id, now, lookup="all", default_fetch_id=default_id)
        for fr in result.fetches:
            writer.fetch_id(fr)
        summary.requests = len(result.fetches)
        summary.not_modified = sum(1 for fr in result.fetches if fr.not_modified)
        if withdraw:
            rules = rules or Rules()
            verdicts = _warned(findings, coverage)
            verdicts.update(writer.implausible(findings, coverage, rules, _deadlines(source, catalogue, result),
                                               since=since))
            if verdicts:
                summary.set_aside = sorted(verdicts)
                findings, coverage = _set_aside(findings, coverage, verdicts)
                summary.status, summary.reason = _suspect(summary.status, summary.reason, verdicts)
            elif summary.status == "ok":
                # A search the source itself found suspect (a partial page, a state missing from a chart):
                # the run cannot be taken as complete.
                doubtful = sorted({c.measure_id: c.reason for c in coverage if c.status == "suspect"}.items())
                if doubtful:
                    first, why = doubtful[0]
                    more = f" (and {len(doubtful) - 1} other measure(s))" if len(doubtful) > 1 else ""
                    summary.status = "suspect"
                    summary.reason = f"suspect search of {first}{more}: {why}; nothing withdrawn there" + (
                        f"; {summary.reason}" if summary.reason else "")
        writer.add(findings)
        if withdraw:
            writer.absences(coverage, rules, since=since)
        writer.add_coverage(coverage)
        summary.errors = sum(1 for c in coverage if c.status in ("failed", "blocked", "unavailable"))
        writer.add_metadata(result.metadata)
        summary.new, summary.changed, summary.gone = writer.new, writer.changed, writer.gone
        summary.findings, summary.pending = writer.findings, writer.pending
        _insert_row(conn, _source_run(run_id, summary, started_at, now))
    return summary


def _warned(findings: list[FoundItem], coverage: list[CoverageItem]) -> dict[str, str]:
    """{measure id: reason} for the measures whose search or findings rest on an answer that says it
    is incomplete (FetchResult.warning: a Virtuoso partial-result header): never a complete search."""
    verdicts: dict[str, str] = {}
    for rests_on in (*coverage, *findings):
        fetch = rests_on.fetch
        if (fetch is not None and fetch.warning and rests_on.measure_id not in verdicts
                and (not isinstance(rests_on, CoverageItem) or rests_on.status == "ok")):
            verdicts[rests_on.measure_id] = fetch.warning
    return verdicts


def _deadlines(source: str, catalogue: Catalogue | None, result: SourceResult) -> dict[str, date] | None:
    """For a source of every Member State's national measures: the earliest transposition deadline
    of each directive it searched (catalogue and official metadata), for plausibility.judge_first."""
    from ..store.plausibility import earliest_transposition

    info = SOURCES.get(source)
    if catalogue is None or info is None or info.member_states or "national-measure" not in info.evidence_kinds:
        return None
    metadata = {m.measure_id: m.data for m in result.metadata}
    deadlines = {}
    for measure_id in {c.measure_id for c in result.coverage}:
        measure = catalogue.measures.get(measure_id)
        if measure is not None and measure.kind == "directive":
            deadline = earliest_transposition(measure, metadata.get(measure_id))
            if deadline is not None:
                deadlines[measure_id] = deadline
    return deadlines


def _set_aside(findings: list[FoundItem], coverage: list[CoverageItem],
               verdicts: dict[str, str]) -> tuple[list[FoundItem], list[CoverageItem]]:
    """The result without the findings of the implausible measures, their coverage `suspect`."""
    kept = [item for item in findings if item.measure_id not in verdicts]
    marked = [
        replace(c, status="suspect", reason=f"{verdicts[c.measure_id]}; nothing withdrawn")
        if c.measure_id in verdicts and c.status == "ok" else c
        for c in coverage
    ]
    return kept, marked


def _suspect(status: str, reason: str | None, verdicts: dict[str, str]) -> tuple[str, str]:
    """The source's status and one-line reason once some of its answers were found implausible."""
    from ..store.plausibility import source_reason

    line = source_reason(verdicts)
    if status in ("failed", "blocked"):  # already a failure of the run: keep it, add the verdict
        return status, f"{reason}; {line}" if reason else line
    return "suspect", line if status == "ok" or not reason else f"{line}; {reason}"


def _insert_row(conn: Any, row: Any) -> int:
    """INSERT one SQLModel row object with SQLAlchemy Core; returns (and sets) its id."""
    table = type(row).__table__
    values = {c.name: getattr(row, c.name) for c in table.columns if c.name != "id"}
    row_id = conn.execute(table.insert().values(**values)).inserted_primary_key[0]
    row.id = row_id
    return row_id


def _source_run(run_id: int, s: SourceSummary, started_at: datetime, finished_at: datetime) -> tables.SourceRun:
    return tables.SourceRun(
        run_id=run_id, source=s.source, started_at=to_db(started_at), finished_at=finished_at, status=s.status,
        reason=s.reason, requests=s.requests, not_modified=s.not_modified, findings_new=s.new,
        findings_changed=s.changed, findings_gone=s.gone, findings_pending=s.pending, errors=s.errors,
    )


def record_failure(store: Store, run_id: int, source: str, status: str, reason: str,
                   started_at: datetime) -> SourceSummary:
    """A source that failed as a whole: its earlier findings stay as they were."""
    summary = SourceSummary(source=source, status=status, reason=reason, errors=1)
    with store.session() as session, session.begin():
        session.add(_source_run(run_id, summary, started_at, to_db(utcnow())))
    return summary


# -- the run ------------------------------------------------------------------------------------


def _start_run(store: Store, kind: str) -> int:
    with store.session() as session, session.begin():
        run = tables.RefreshRun(kind=kind, started_at=to_db(utcnow()), status="running")
        session.add(run)
        session.flush()
        return run.id


def _finish_run(store: Store, run_id: int, status: str, summary: dict[str, Any]) -> None:
    with store.session() as session, session.begin():
        run = session.get(tables.RefreshRun, run_id)
        run.status, run.finished_at = status, to_db(utcnow())
        run.summary = json.dumps(summary, sort_keys=True, default=str)


def select_sources(settings: Settings, names: list[str] | None) -> list[str]:
    if names:
        unknown = [n for n in names if n not in SOURCES]
        if unknown:
            raise ConfigError(f"unknown source {unknown[0]!r}; known: {', '.join(sorted(SOURCES))}")
        declined = [n for n in names if SOURCES[n].unavailable]
        if declined:
            raise ConfigError(f"source {declined[0]!r} is unavailable: {SOURCES[declined[0]].unavailable}")
        missing = [n for n in names if not SOURCES[n].available()]
        if missing:
            raise ConfigError(f"source {missing[0]!r} is not implemented in this release")
        return names
    return [n for n in sorted(SOURCES) if settings.source(n).enabled and SOURCES[n].available()]


def complete_sweep(store: Store, source: str, *, runs: int = 200) -> CompleteSweep | None:
    """The last complete answer of `source` written by a refresh (the newest of the last `runs` runs
    whose summary lists it, not partial, with its memo, and not failed as a whole), with what it
    searched healthily (the coverage rows of that run with status ok) and what the source found
    suspect itself but the writer still wrote (suspect rows of measures it did not set aside)."""
    r, c = tables.RefreshRun, tables.Coverage
    stmt = (select(r.id, r.started_at, r.summary).where(r.kind == "refresh", r.summary.is_not(None))
            .order_by(r.id.desc()).limit(runs))
    with store.session() as session:
        for run_id, started_at, text in session.execute(stmt):
            try:
                entries = json.loads(text).get("sources") or []
            except (ValueError, AttributeError):
                continue
            entry = next((e for e in entries if isinstance(e, dict) and e.get("source") == source), None)
            if entry is None or entry.get("partial") or entry.get("status") not in ("ok", "suspect"):
                continue
            if not isinstance(entry.get("memo"), dict):
                return None  # the newest complete answer left no memo: the source cannot build on it
            rows = session.execute(select(c.measure_id, c.member_state, c.status).where(
                c.run_id == run_id, c.source == source, c.status.in_(("ok", "suspect")))).all()
            held = set(entry.get("set_aside") or ())
            return CompleteSweep(run_id, from_db(started_at), entry["memo"],
                                 searched=frozenset((m, s) for m, s, status in rows if status == "ok"),
                                 doubtful=frozenset((m, s) for m, s, status in rows
                                                    if status == "suspect" and m not in held))
    return None


def _run_one(name: str, ctx: SourceContext) -> SourceResult:
    module = import_module(SOURCES[name].module)
    return module.refresh(ctx)


def snapshot_assessments(store: Store, catalogue: Catalogue, settings: Settings, run_id: int, as_of: date) -> int:
    """Store the assessments of every Member State (and EU) as this run left them."""
    from ..report.assembly import build_reports

    targets = [*memberstates.codes(), memberstates.EU]
    max_age = {n: s.max_age_days for n, s in settings.file.sources.items() if s.max_age_days}
    reports = build_reports(catalogue, store, targets, as_of=as_of, horizon_days=settings.file.check.horizon,
                            max_age_days=max_age)
    now = to_db(utcnow())
    rows = [
        {
            "run_id": run_id, "member_state": r.member_state, "measure_id": a.measure.id,
            "obligation_id": a.obligation.id if a.obligation else None, "status": a.status.value,
            "rule": a.rule, "reason": a.reason, "deadline": a.deadline,
            "evidence": json.dumps([e.finding_id or e.key for e in a.evidence]), "created_at": now,
        }
        for r in reports
        for a in r.assessments
    ]
    with store.engine.begin() as conn:
        conn.execute(tables.AssessmentSnapshot.__table__.insert(), rows)
    return len(rows)


def run_refresh(
    settings: Settings,
    catalogue: Catalogue,
    store: Store,
    *,
    sources: list[str] | None = None,
    member_states: list[str] | None = None,
    measure_ids: list[str] | None = None,
    progress: Callable[[str, str], None] = lambda _source, _msg: None,
    transport: Any = None,
    max_sources: int | None = None,
) -> RefreshSummary:
    """Run the sources (all at once, or `max_sources` at a time) and store what they found."""
    names = select_sources(settings, sources)
    with refresh_lock(settings.state_dir), relaxed_gc():
        run_id = _start_run(store, "refresh")
        summaries: list[SourceSummary] = []
        try:
            archive = Archive(settings.state_dir / "archive")
            with HttpClient(http_settings(settings), archive, validator_lookup(store), transport=transport) as http:
                contexts = {
                    name: SourceContext(
                        settings=settings, catalogue=catalogue, http=http, member_states=member_states,
                        measure_ids=measure_ids, progress=lambda msg, n=name: progress(n, msg),
                        last_complete=lambda n=name: complete_sweep(store, n),
                    )
                    for name in names
                }
                started = {name: utcnow() for name in names}
                rules = Rules.from_settings(settings)
                with ThreadPoolExecutor(max_workers=max(1, min(len(names), max_sources or len(names)))) as pool:
                    futures = {pool.submit(_run_one, name, contexts[name]): name for name in names}
                    for future in as_completed(futures):
                        name = futures[future]
                        summaries.append(_store_outcome(store, run_id, name, future, started[name], rules,
                                                        catalogue, http.responses(name)))
                        progress(name, f"done: {summaries[-1].status}")
                for s in summaries:
                    s.failed_requests = http.failures(s.source)
                network = no_network(http)
            snapshot_assessments(store, catalogue, settings, run_id, utcnow().date())
        except BaseException:
            # Best effort: on a full disk this write fails too, and the original error matters.
            with contextlib.suppress(Exception):
                _finish_run(store, run_id, "interrupted", {"sources": [s.__dict__ for s in summaries]})
            raise
        ok = [s for s in summaries if s.status == "ok"]
        status = "ok" if len(ok) == len(summaries) else ("failed" if not ok else "partial")
        _finish_run(store, run_id, status, {"sources": [s.__dict__ for s in summaries], "network": network})
    summaries.sort(key=lambda s: s.source)
    return RefreshSummary(run_id=run_id, status=status, sources=summaries, network=network)


def no_network(http: HttpClient) -> str | None:
    """"no network: ..." when not one request of the run got an answer and at least one host
    could not be reached at all (name resolution, refused connection, no route); else None."""
    down = http.unreachable
    if not down or http.stats["answered"]:
        return None
    host, why = sorted(down.items())[0]
    others = f" and {len(down) - 1} other host(s)" if len(down) > 1 else ""
    return f"no network: no host could be reached ({why}{others})"


def _store_outcome(store: Store, run_id: int, name: str, future: Any, started_at: datetime,
                   rules: Rules, catalogue: Catalogue, responses: Sequence[FetchResult] = ()) -> SourceSummary:
    try:
        result: SourceResult = future.result()
    except SourceError as exc:
        return record_failure(store, run_id, name, exc.status, str(exc), started_at)
    except ParseError as exc:
        return record_failure(store, run_id, name, "failed", f"unexpected payload: {exc}", started_at)
    except ComplianceError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug in one source must not lose the others
        fault = storage_fault(exc, errnos=ENVIRONMENT)  # the archive's disk is full or failing: not the source's
        if fault is not None:
            raise fault from None
        return record_failure(store, run_id, name, "failed", f"internal error: {type(exc).__name__}: {exc}",
                              started_at)
    # Every answer the source had, also those it kept no finding from (an empty search): their
    # validators make the next run's requests conditional.
    used = {_response_key(fr) for fr in result.fetches}
    result.fetches.extend(fr for fr in responses if _response_key(fr) not in used)
    try:
        return write_source_result(store, run_id, name, result, started_at=started_at, rules=rules,
                                   catalogue=catalogue)
    except SQLAlchemyError as exc:
        raise storage_fault(exc, store.label) or StoreError(
            f"{store.label}: writing {name} failed ({db_reason(exc)}); nothing of it was kept") from None


def _response_key(fr: FetchResult) -> tuple:
    return (fr.request_key, fr.retrieved_at, fr.sha256, fr.status_code)


# -- import ---------------------------------------------------------------------------------------


def parse_file(settings: Settings, catalogue: Catalogue, source: str, path: Path,
               measure_ids: list[str] | None) -> tuple[bytes, SourceResult]:
    if source not in SOURCES:
        raise ConfigError(f"unknown source {source!r}; known: {', '.join(sorted(SOURCES))}")
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    module = import_module(SOURCES[source].module)
    if not hasattr(module, "parse_import"):
        raise ConfigError(f"source {source!r} cannot import files")
    ctx = SourceContext(settings=settings, catalogue=catalogue, http=None, measure_ids=measure_ids)
    try:
        result = module.parse_import(body, path.name, ctx)
    except SourceError as exc:  # e.g. a saved bot-challenge page
        raise InputError(f"{path}: {exc}") from None
    except ParseError as exc:
        raise InputError(f"{path}: {exc}") from None
    return body, result


def store_import(settings: Settings, store: Store, source: str, path: Path, body: bytes,
                 result: SourceResult) -> SourceSummary:
    """Store an imported file's findings, with the file itself as their provenance."""
    with refresh_lock(settings.state_dir):
        run_id = _start_run(store, "import")
        sha, rel = Archive(settings.state_dir / "archive").put(body)
        assert sha == sha256_hex(body)
        fetch = tables.Fetch(
            run_id=run_id, source=source, method="IMPORT", url=path.resolve().as_uri(),
            request=json.dumps({"file": path.name}), status_code=None, retrieved_at=to_db(utcnow()),
            sha256=sha, size=len(body), archive_path=rel, not_modified=False, imported_from=path.name,
        )
        summary = write_source_result(store, run_id, source, result, started_at=utcnow(),
                                      default_fetch=fetch, withdraw=False)
        _finish_run(store, run_id, "ok", {"imported": path.name, "sha256": sha, "findings": summary.findings})
    return summary
