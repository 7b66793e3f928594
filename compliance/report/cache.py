"""Rendered `check` outputs kept for the same question asked of the same, unchanged evidence.

Analysts and scripts ask the same question again and again (`check --member-state all --format
json` in a loop, a dashboard, a CI job); between two refreshes the answer cannot change, yet it
costs seconds to recompute for a large store (every finding read, every evidence item rendered).
The output is therefore kept under `<state>/cache/reports/` and served again when *everything*
it was computed from is provably the same:

- the question: Member States, measures, --as-of (the resolved date), --horizon, format,
  colour and width, fail-on level aside (the exit codes of every level are kept);
- the code (package version, Python, the size and modification time of every file of the
  package, built-in catalogue data included), the user catalogue files' bytes, the waivers file's
  bytes and the settings that change a status (horizon, per-source max_age_days);
- the store: an SQLite file read by the fast reader, identified by its device, inode, size,
  modification time and 100-byte header (whose file change counter SQLite increments at every
  committed write in rollback-journal mode); a `-journal` file (a write under way or
  interrupted) means no cache at all, and so does WAL mode, whether or not its `-wal` file is
  there: in WAL mode the change counter does not move, and once the last connection has
  checkpointed and removed the `-wal` file a commit may leave size and modification time as
  they were, so nothing could prove the store unchanged. Other databases (PostgreSQL) are never
  cached;
- the clock: an answer is served only until the first instant at which time alone could change
  it: the next UTC midnight (the default as-of date, deadlines, waivers), and for every coverage
  row the moment its freshness lapses or its age in days (quoted in reasons) goes up.

The served bytes are those of the earlier run, including its `generated_at`: the time the
assessment was computed. A cache entry is a body file and a JSON file naming its size, written
atomically in that order; an entry that does not match in every respect is ignored. Entries are
evicted oldest-used-first beyond `[check] report_cache_mb` (0 turns the cache off), and
`check --no-cache` computes afresh without reading or writing it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from .. import __version__
from ..model import Coverage

FORMAT = 1
DIR_NAME = "reports"
WAL_MODE = 2  # the file format write/read version bytes (offsets 18, 19) of an SQLite file in WAL mode
_PACKAGE = Path(__file__).resolve().parent.parent
# Environment variables a renderer (rich, for text) may look at.
RENDER_ENV = ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS", "LINES")


@dataclass(frozen=True)
class Hit:
    body: Path
    gaps: dict[str, bool]  # fail-on level -> has gaps


def store_fingerprint(db_file: Path) -> str | None:
    """Identity of the SQLite file's current contents, or None when it must not be cached."""
    try:
        # A journal: a write transaction is under way, or was interrupted (a hot journal). A WAL:
        # commits go to the -wal file, whose contents a size and time cannot pin down.
        if os.path.lexists(f"{db_file}-journal") or os.path.lexists(f"{db_file}-wal"):
            return None
        with open(db_file, "rb") as handle:
            header = handle.read(100)
        if len(header) < 100 or WAL_MODE in header[18:20]:
            return None  # empty, or in WAL mode (file format versions 2): not provably unchanged
        return f"{_stat(db_file)}|{header.hex()}"
    except OSError:
        return None


def _stat(path: Path) -> str:
    st = os.stat(path)
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def code_fingerprint() -> str:
    """Size and modification time of every file of the package (code, templates, data)."""
    h = hashlib.sha256(f"{__version__}/{sys.version}".encode())
    for root, dirs, files in os.walk(_PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(root, name)
            with contextlib.suppress(OSError):
                st = os.stat(path)
                h.update(f"{os.path.relpath(path, _PACKAGE)}:{st.st_size}:{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


def file_digest(path: str | Path | None) -> str:
    if path is None:
        return "-"
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def cache_key(parts: dict[str, Any]) -> str:
    text = json.dumps({"format": FORMAT, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def valid_until(now: datetime, coverage: Iterable[Coverage], max_age: Any) -> datetime:
    """The first instant after `now` at which time alone could change a report computed at `now`.

    `max_age(source)` gives a source's freshness limit in days (checks.base.source_max_age).
    """
    until = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=UTC)
    for row in coverage:
        checked = row.checked_at
        if checked is None:
            continue
        age = now - checked
        until = min(until, checked + timedelta(days=age.days + 1))  # the age in days goes up
        lapse = checked + timedelta(days=max_age(row.source))
        if lapse >= now:
            until = min(until, lapse + timedelta(microseconds=1))  # fresh until then (inclusive)
    return until


class ReportCache:
    def __init__(self, cache_dir: Path, max_bytes: int) -> None:
        self.dir = cache_dir / DIR_NAME
        self.max_bytes = max_bytes

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.dir / f"{key}.out", self.dir / f"{key}.json"

    def get(self, key: str, now: datetime) -> Hit | None:
        body, meta_path = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            computed = datetime.fromisoformat(meta["computed_at"])
            until = datetime.fromisoformat(meta["valid_until"])
            if meta.get("format") != FORMAT or not computed <= now < until:
                return None
            if body.stat().st_size != meta["size"]:
                return None
            gaps = {str(k): bool(v) for k, v in meta["gaps"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        with contextlib.suppress(OSError):
            os.utime(meta_path)  # most recently used: evicted last
        return Hit(body, gaps)

    def put(self, key: str, body_file: Path, *, computed_at: datetime, until: datetime,
            gaps: dict[str, bool]) -> None:
        """Keep an output written to `body_file` (a temporary file in this cache's directory, see
        Keeper), which is moved into place; a cache that cannot be written is skipped silently
        (it is only a cache)."""
        body, meta_path = self._paths(key)
        try:
            size = body_file.stat().st_size
            if self.max_bytes <= 0 or size > self.max_bytes:
                body_file.unlink()
                return
            meta = {"format": FORMAT, "computed_at": computed_at.isoformat(), "valid_until": until.isoformat(),
                    "size": size, "gaps": gaps}
            self._evict(size)
            os.replace(body_file, body)
            _atomic_write(meta_path, json.dumps(meta).encode())
        except OSError:
            for path in (body_file, body):
                with contextlib.suppress(OSError):
                    path.unlink()
            return

    def _evict(self, incoming: int) -> None:
        entries = []
        for meta_path in self.dir.glob("*.json"):
            body = meta_path.with_suffix(".out")
            try:
                entries.append((meta_path.stat().st_mtime_ns, meta_path, body, body.stat().st_size))
            except OSError:
                entries.append((0, meta_path, body, 0))
        total = incoming + sum(e[3] for e in entries)
        for _used, meta_path, body, size in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            for path in (meta_path, body):
                with contextlib.suppress(OSError):
                    path.unlink()
            total -= size


def _atomic_write(path: Path, data: bytes) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def copy_to(body: Path, out: IO[bytes]) -> None:
    import shutil

    with open(body, "rb") as src:
        shutil.copyfileobj(src, out, 1 << 20)


class CoverageRecorder:
    """A store wrapper for build_reports that keeps the coverage rows it read (for valid_until)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.label: str = store.label
        self.rows: list[Coverage] = []

    def act_metadata(self) -> dict[str, dict]:
        return self.store.act_metadata()

    def act_texts(self) -> dict[str, dict[str, dict]]:
        return self.store.act_texts()

    def evidence(self, member_states: list[str] | None = None, as_of: Any = None) -> list:
        return self.store.evidence(member_states, as_of=as_of)

    def evidence_as_of(self, member_states: list[str] | None, when: datetime, as_of: Any = None) -> list:
        return self.store.evidence_as_of(member_states, when, as_of=as_of)

    def coverage(self, until: datetime | None = None) -> list[Coverage]:
        rows = self.store.coverage(until=until)
        self.rows.extend(rows)
        return rows


class Keeper:
    """A copy of an output as it is written, in a temporary file of the cache's directory. It
    gives up (and removes its file) beyond the cache's size or at the first error writing it."""

    def __init__(self, cache: ReportCache) -> None:
        self.cache = cache
        self.path: Path | None = None
        self._handle: IO[bytes] | None = None
        self._size = 0
        self.failed = cache.max_bytes <= 0

    def write(self, data: bytes) -> None:
        if self.failed:
            return
        self._size += len(data)
        try:
            if self._size > self.cache.max_bytes:
                raise OSError("larger than the cache")
            if self._handle is None:
                import tempfile

                self.cache.dir.mkdir(parents=True, exist_ok=True)
                fd, name = tempfile.mkstemp(dir=self.cache.dir, prefix=".", suffix=".out.tmp")
                self.path, self._handle = Path(name), os.fdopen(fd, "wb")
            self._handle.write(data)
        except OSError:
            self.discard()

    def close(self) -> Path | None:
        """The file holding the whole output, or None if it was given up."""
        if self._handle is not None:
            try:
                self._handle.close()
            except OSError:
                self.failed = True
            self._handle = None
        if self.failed:
            self.discard()
            return None
        if self.path is None:  # nothing was written: an empty output
            self.write(b"")
            if self._handle is not None:
                return self.close()
        return self.path

    def discard(self) -> None:
        self.failed = True
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
            self._handle = None
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            self.path = None


class CachedQuery:
    """One `check` question, looked up in and then kept in the report cache."""

    def __init__(self, cache: ReportCache, key: str) -> None:
        self.cache = cache
        self.key = key

    def get(self, now: datetime) -> Hit | None:
        return self.cache.get(self.key, now)

    def keeper(self) -> Keeper:
        """Where to copy the output as it is written, for `put`."""
        return Keeper(self.cache)

    def put(self, kept: Keeper, now: datetime, recorder: CoverageRecorder, max_age_days: dict[str, float],
            gaps: dict[str, bool]) -> None:
        """Keep the output copied to `kept` if it was computed by the fast SQLite reader (the store
        the key names)."""
        from ..checks.base import source_max_age
        from ..store.reader import SqliteReader

        body_file = kept.close()
        if body_file is None:
            return
        if not isinstance(recorder.store, SqliteReader):
            kept.discard()
            return
        until = valid_until(now, recorder.rows, lambda source: source_max_age(source, max_age_days))
        self.cache.put(self.key, body_file, computed_at=now, until=until, gaps=gaps)


def query(settings: Any, catalogue: Any, question: dict[str, Any]) -> CachedQuery | None:
    """The cache entry of a `check` question, or None when this store or setup is never cached."""
    from ..store.reader import sqlite_path

    max_bytes = settings.report_cache_bytes()
    db_file = sqlite_path(settings.db_url)
    if max_bytes <= 0 or db_file is None:
        return None
    store = store_fingerprint(db_file.resolve())
    if store is None:
        return None
    key = cache_key({
        **question,
        "code": code_fingerprint(),
        # The built-in catalogue's data files are package files: the code fingerprint covers them.
        "catalogue": [catalogue.version, *(file_digest(f) for f in settings.catalogue_files)],
        "waivers": file_digest(settings.waivers_file),
        "env": {name: os.environ.get(name) for name in RENDER_ENV},
        "db": [str(db_file.resolve()), store],
    })
    return CachedQuery(ReportCache(settings.state_dir / "cache", max_bytes), key)
