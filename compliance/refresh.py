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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from . import memberstates, tables
from .archive import Archive, sha256_hex
from .catalogue import Catalogue
from .clock import to_db, utcnow
from .config import Settings
from .errors import ComplianceError, ConfigError, InputError, ParseError, SourceError, StoreError
from .faults import ENVIRONMENT, db_reason, storage_fault
from .http import HostPolicy, HttpClient, HttpSettings, PreviousFetch, build_user_agent
from .sources import SOURCES
from .sources.base import FoundItem, SourceContext, SourceResult
from .store import Store


class RefreshLockedError(ComplianceError):
    """Another refresh or import holds the lock."""


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


@dataclass
class RefreshSummary:
    run_id: int
    status: str
    sources: list[SourceSummary] = field(default_factory=list)

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
    Whoever takes it first removes the temporary files a killed run left (leftovers.py)."""
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
        if row is None or not (row.etag or row.last_modified):
            return None
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
) -> SourceSummary:
    """Write one source's findings, coverage and metadata in a single transaction (in batches:
    see findings_writer.py)."""
    from .findings_writer import FindingsWriter

    now = to_db(utcnow())
    summary = SourceSummary(source=source, status=result.status, reason=result.reason)
    with store.engine.begin() as conn:
        default_id = _insert_row(conn, default_fetch) if default_fetch is not None else None
        writer = FindingsWriter(conn, source, run_id, now, lookup="all", default_fetch_id=default_id)
        for fr in result.fetches:
            writer.fetch_id(fr)
        summary.requests = len(result.fetches)
        summary.not_modified = sum(1 for fr in result.fetches if fr.not_modified)
        writer.add(result.findings)
        if withdraw:
            writer.withdraw(result.coverage)
        writer.add_coverage(result.coverage)
        summary.errors = sum(1 for c in result.coverage if c.status in ("failed", "blocked", "unavailable"))
        writer.add_metadata(result.metadata)
        summary.new, summary.changed, summary.gone = writer.new, writer.changed, writer.gone
        summary.findings = writer.findings
        _insert_row(conn, _source_run(run_id, summary, started_at, now))
    return summary


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
        findings_changed=s.changed, findings_gone=s.gone, errors=s.errors,
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


def _run_one(name: str, ctx: SourceContext) -> SourceResult:
    module = import_module(SOURCES[name].module)
    return module.refresh(ctx)


def snapshot_assessments(store: Store, catalogue: Catalogue, settings: Settings, run_id: int, as_of: date) -> int:
    """Store the assessments of every Member State (and EU) as this run left them."""
    from .report import build_reports

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
                    )
                    for name in names
                }
                started = {name: utcnow() for name in names}
                with ThreadPoolExecutor(max_workers=max(1, min(len(names), max_sources or len(names)))) as pool:
                    futures = {pool.submit(_run_one, name, contexts[name]): name for name in names}
                    for future in as_completed(futures):
                        name = futures[future]
                        summaries.append(_store_outcome(store, run_id, name, future, started[name]))
                        progress(name, f"done: {summaries[-1].status}")
            snapshot_assessments(store, catalogue, settings, run_id, utcnow().date())
        except BaseException:
            # Best effort: on a full disk this write fails too, and the original error matters.
            with contextlib.suppress(Exception):
                _finish_run(store, run_id, "interrupted", {"sources": [s.__dict__ for s in summaries]})
            raise
        ok = [s for s in summaries if s.status == "ok"]
        status = "ok" if len(ok) == len(summaries) else ("failed" if not ok else "partial")
        _finish_run(store, run_id, status, {"sources": [s.__dict__ for s in summaries]})
    summaries.sort(key=lambda s: s.source)
    return RefreshSummary(run_id=run_id, status=status, sources=summaries)


def _store_outcome(store: Store, run_id: int, name: str, future: Any, started_at: datetime) -> SourceSummary:
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
    try:
        return write_source_result(store, run_id, name, result, started_at=started_at)
    except SQLAlchemyError as exc:
        raise storage_fault(exc, store.label) or StoreError(
            f"{store.label}: writing {name} failed ({db_reason(exc)}); nothing of it was kept") from None


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
