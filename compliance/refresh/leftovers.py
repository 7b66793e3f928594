"""What a killed run leaves behind: temporary files in the state directory, removed by the next
import or refresh while it holds the refresh lock.

Every file the tool writes goes to a temporary name beside its target (`.<name>.<random>.tmp`)
and is renamed into place when complete; a process killed in between (SIGKILL, the OOM killer, a
power cut) leaves the temporary file, which can be tens of MB for an imported file. Nothing ever
reads such a file.

- `archive/.*.tmp`: written only by refresh and import, which hold the lock, so every one found
  by a lock holder is stale. (Archive writers keep their temporary files at the archive's top
  level, so this is one directory listing, not a walk of the archive.)
- `cache/**/.*.tmp`: also written by commands that take no lock (check's report cache, the
  catalogue cache), so only those untouched for STALE_AFTER seconds are removed.

The SQLite journal (`compliance.db-journal`, `-wal`) is never touched: SQLite needs a hot
journal to roll back an interrupted transaction.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)

STALE_AFTER = 600.0  # seconds: no writer of the cache keeps a temporary file this long


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def remove_stale_temporaries(state_dir: Path, *, now: float | None = None) -> tuple[int, int]:
    """Remove stale temporary files; (files removed, bytes freed). Call with the lock held."""
    now = time.time() if now is None else now
    removed = freed = 0

    def drop(path: str, size: int) -> None:
        nonlocal removed, freed
        try:
            os.unlink(path)
        except OSError:
            return
        removed += 1
        freed += size

    archive = state_dir / "archive"
    try:
        entries = list(os.scandir(archive))
    except OSError:
        entries = []
    for entry in entries:
        if _is_temporary(entry.name) and entry.is_file(follow_symlinks=False):
            drop(entry.path, entry.stat(follow_symlinks=False).st_size)
    for root, _dirs, names in os.walk(state_dir / "cache"):
        for name in names:
            if not _is_temporary(name):
                continue
            path = os.path.join(root, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if now - info.st_mtime >= STALE_AFTER:
                drop(path, info.st_size)
    if removed:
        log.warning("removed %d stale temporary file(s) (%.1f MB) left in %s by an interrupted run",
                    removed, freed / 1e6, state_dir)
    return removed, freed
