"""`compliance import` of a big file, streamed: the file is never held in memory.

A source that can read a file as a stream (sources/eurlex.py `stream_import`, for CELLAR SPARQL
JSON results) gets files of STREAM_THRESHOLD bytes or more this way:

  * the source yields findings one NIM at a time, and they are written in batches
    (store/writer.py) in the import's single transaction: a bad file leaves nothing behind.
    For EUR-Lex the reader is sources/eurlex_findings.py (each finding built straight from its
    row with its data JSON and content hash);
  * meanwhile a thread copies the file into the archive in chunks while its sha256 is computed;
    the import's fetch row gets the two once the copy is done, in the same transaction;
  * the findings listed in the output are spooled to a temporary file, not kept in a list.

Smaller files, and every other source, take the whole-file path (refresh.parse_file and
store_import), whose output is unchanged. A file the stream cannot read as such (the rows of a
NIM not adjacent) falls back to the whole-file path too. The findings of a streamed import are
stored and listed in file order (tests/test_stream_import.py compares what is stored with the
whole-file path, byte for byte).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import import_module
from itertools import chain, islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import InputError, ParseError, SourceError
from ..sources import SOURCES

if TYPE_CHECKING:
    from ..catalogue.load import Catalogue
    from ..config.settings import Settings
    from .run import SourceSummary

STREAM_THRESHOLD = 32 * 1024 * 1024
TEXT_ROWS = 100  # the text output lists this many findings of a streamed import, then counts the rest
_PIECE = 1024 * 1024
BULK_CACHE_KIB = 16 * 1024  # SQLite page cache while a streamed import writes (see _bulk_cache)
_LINE = json.JSONEncoder(ensure_ascii=False)  # json.dumps(..., ensure_ascii=False), one encoder for every line


def should_stream(source: str, path: Path) -> bool:
    """Whether `compliance import --source SOURCE PATH` takes the streaming path."""
    info = SOURCES.get(source)
    if info is None or not info.available():
        return False
    try:
        if path.stat().st_size < STREAM_THRESHOLD:
            return False
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if not head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{"):
        return False
    return hasattr(import_module(info.module), "stream_import")


@dataclass
class StreamOutcome:
    sha256: str
    findings: int
    summary: SourceSummary | None
    spool: IO[str]  # one JSON line per finding listed in the output
    reason: str | None = None  # the source's notes on the file
    streamed: bool = True


def output_item(f: Any) -> dict[str, Any]:
    """A finding as an import lists it (--format json; text shows some of the fields)."""
    return {"measure": f.measure_id, "member_state": f.member_state, "kind": f.kind, "key": f.key,
            "date": f.date.isoformat() if f.date else None, "title": f.title, "reference": f.reference, "url": f.url}


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for piece in iter(lambda: fh.read(_PIECE), b""):
            h.update(piece)
    return h.hexdigest()


def archive_file(root: Path, path: Path) -> tuple[str, str]:
    """Copy `path` into the content-addressed archive in pieces; (sha256, relative path).

    As Archive.put: written to a temporary file in the archive, fsynced, then moved into place;
    a body already present is not rewritten.
    """
    from ..store.archive import Archive

    archive = Archive(root)
    root.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".import.", suffix=".tmp", dir=root)
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as fh:
            for piece in iter(lambda: fh.read(_PIECE), b""):
                h.update(piece)
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        digest = h.hexdigest()
        rel = archive.relative_path(digest)
        target = root / rel
        if target.exists() and target.stat().st_size == path.stat().st_size:
            os.unlink(tmp)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        return digest, rel
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class _Fallback(Exception):  # noqa: N818 - control flow: read the file whole instead
    pass


def _spooled(items: Iterable[Any], spool: IO[str], limit: int | None) -> Iterator[Any]:
    """`items`, the first `limit` (all: None) of them written to the spool for the output; the
    rest pass through untouched (no generator between the reader and the writer)."""
    items = iter(items)
    head = items if limit is None else islice(items, limit)

    def spool_each() -> Iterator[Any]:
        write, encode = spool.write, _LINE.encode
        for item in head:
            write(encode(output_item(item)) + "\n")
            yield item

    return spool_each() if limit is None else chain(spool_each(), items)


@contextlib.contextmanager
def _signals(path: Path) -> Iterator[None]:
    """The reader's signals as the import reports them: NotGrouped -> the whole-file read,
    a source or parse error -> InputError naming the file."""
    from ..sources.eurlex_stream import NotGrouped

    try:
        yield
    except NotGrouped:
        raise _Fallback from None
    except (SourceError, ParseError) as exc:
        raise InputError(f"{path}: {exc}") from None


def import_streamed(settings: Settings, catalogue: Catalogue, source: str, path: Path,
                    measure_ids: list[str] | None, *, dry_run: bool, spool_limit: int | None = None) -> StreamOutcome:
    """Import `path` through the source's stream reader; see the module docstring. Only the first
    `spool_limit` findings are kept for the output (the text output lists no more than TEXT_ROWS)."""
    from .run import relaxed_gc

    with relaxed_gc():
        return _import_streamed(settings, catalogue, source, path, measure_ids, dry_run=dry_run,
                                spool_limit=spool_limit)


def _import_streamed(settings: Settings, catalogue: Catalogue, source: str, path: Path,
                     measure_ids: list[str] | None, *, dry_run: bool, spool_limit: int | None) -> StreamOutcome:
    from ..sources.base import SourceContext

    module = import_module(SOURCES[source].module)
    ctx = SourceContext(settings=settings, catalogue=catalogue, http=None, measure_ids=measure_ids)
    spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - handed to the caller
    try:
        if dry_run:
            sha = _hash_file(path)
            count = 0
            with path.open("rb") as fh, _signals(path):
                streamed = module.stream_import(fh, path.name, ctx)
                for _item in _spooled(streamed.findings(), spool, spool_limit):
                    count += 1
            return StreamOutcome(sha, count, None, spool, streamed.reason)
        return _store(settings, source, path, module, ctx, spool, spool_limit)
    except _Fallback:
        spool.close()
        return _whole_file(settings, catalogue, source, path, measure_ids, dry_run=dry_run)
    except BaseException:
        spool.close()
        raise


def _store(settings: Settings, source: str, path: Path, module: Any, ctx: Any, spool: IO[str],
           spool_limit: int | None) -> StreamOutcome:
    from ..clock import to_db, utcnow
    from ..store import tables
    from ..store.engine import Store
    from ..store.writer import FindingsWriter
    from .run import SourceSummary, _finish_run, _insert_row, _source_run, _start_run, refresh_lock

    store = Store.open(settings.db_url)
    with refresh_lock(settings.state_dir):
        run_id = _start_run(store, "import")
        try:
            started = utcnow()
            now = to_db(started)
            summary = SourceSummary(source=source, status="ok")
            with store.engine.begin() as conn, path.open("rb") as fh, ThreadPoolExecutor(1) as copier:
                # The fetch row first, its sha256 and archive path set once the copy into the
                # archive, made meanwhile, is done: the same row, in the same transaction.
                fetch = tables.Fetch(
                    run_id=run_id, source=source, method="IMPORT", url=path.resolve().as_uri(),
                    request=json.dumps({"file": path.name}), status_code=None, retrieved_at=now,
                    sha256="", size=path.stat().st_size, archive_path=None, not_modified=False,
                    imported_from=path.name,
                )
                fetch_id = _insert_row(conn, fetch)
                writer = FindingsWriter(conn, source, run_id, now, lookup="batch", default_fetch_id=fetch_id)
                streamed = module.stream_import(fh, path.name, ctx)
                archived = copier.submit(archive_file, settings.state_dir / "archive", path)
                with _signals(path), _bulk_cache(conn):
                    writer.add(_spooled(streamed.findings(), spool, spool_limit))
                sha, rel = archived.result()
                table = tables.Fetch.__table__
                conn.execute(table.update().where(table.c.id == fetch_id).values(sha256=sha, archive_path=rel))
                summary.reason = streamed.reason
                summary.new, summary.changed, summary.findings = writer.new, writer.changed, writer.findings
                _insert_row(conn, _source_run(run_id, summary, started, to_db(utcnow())))
        except _Fallback:
            _finish_run(store, run_id, "interrupted", {
                "imported": path.name, "reason": "the rows of a NIM are not adjacent: the file is read whole instead"})
            raise
        except BaseException:
            _finish_run(store, run_id, "failed", {"imported": path.name})
            raise
        _finish_run(store, run_id, "ok", {"imported": path.name, "sha256": sha, "findings": summary.findings})
    return StreamOutcome(sha, summary.findings, summary, spool, summary.reason)


@contextlib.contextmanager
def _bulk_cache(conn: Any) -> Iterator[None]:
    """SQLite's page cache at BULK_CACHE_KIB while the findings are written, then as it was.

    With the default (2 MB) the transaction's dirty pages spill to the database file over and
    over, each spill after a journal sync: 1,000,000 rows took 36.7 s, 33.3 s with 16 MB (more
    did not help; peak RSS 171 -> 186 MB). Only memory changes: the journal mode, synchronous and
    the single transaction stay as they are, so a crash still leaves the store as it was before
    the import, with nothing of it written."""
    from sqlalchemy.exc import SQLAlchemyError

    if conn.dialect.name != "sqlite":
        yield
        return
    previous = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        with contextlib.suppress(SQLAlchemyError):  # a failed transaction: its own error is the one to see
            conn.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")


def _whole_file(settings: Settings, catalogue: Catalogue, source: str, path: Path, measure_ids: list[str] | None,
                *, dry_run: bool) -> StreamOutcome:
    """The file read whole (refresh.parse_file / store_import), presented as a StreamOutcome."""
    from ..store.engine import Store
    from .run import parse_file, store_import

    body, result = parse_file(settings, catalogue, source, path, measure_ids)
    summary = None
    if not dry_run:
        summary = store_import(settings, Store.open(settings.db_url), source, path, body, result)
    spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - handed to the caller
    for f in result.findings:
        spool.write(_LINE.encode(output_item(f)) + "\n")
    return StreamOutcome(hashlib.sha256(body).hexdigest(), len(result.findings), summary, spool, result.reason,
                         streamed=False)
