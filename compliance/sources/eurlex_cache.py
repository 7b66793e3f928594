"""The EUR-Lex source's parse cache: parsed results kept by the sha256 of the bodies they came from.

A second refresh with nothing changed gets every CELLAR answer back as a 304, with the archived
body. Parsing those bodies again gives the same result (the parsers are pure), so the result is
kept here under a key made of the bodies' sha256 (in page order), what the parse depended on
(the directive's CELEX, the measure id) and a version: the sha256 of the code that parses and
hashes (eurlex.py and its parsing modules, finding_hash.py) and of member_states.yaml. A key that
does not match is a miss, and the bodies are parsed as usual; so is an unreadable entry.

Entries are JSON files under `<state>/cache/eurlex/<version>/` (never pickle: the state directory
may be shared and must not be able to run code). An entry for a CELEX replaces the older ones
for it. `stats` counts the bodies parsed and the results taken from the cache, so that a refresh
can say how much it parsed (benchmarks/incremental_refresh.py prints it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from importlib import resources
from pathlib import Path
from typing import Any


class ParseStats:
    """Thread-safe counters: bodies parsed, results served from the cache."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.parsed = 0
        self.cached = 0

    def count(self, parsed: int = 0, cached: int = 0) -> None:
        with self._lock:
            self.parsed += parsed
            self.cached += cached

    def reset(self) -> None:
        with self._lock:
            self.parsed = self.cached = 0

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {"parsed": self.parsed, "cached": self.cached}


# Since the process started (a refresh is one process); benchmarks reset it between runs.
stats = ParseStats()

_VERSION: str | None = None


def version() -> str:
    """sha256 of the code and data a cached result depends on (16 hex digits)."""
    global _VERSION
    if _VERSION is None:
        here = Path(__file__).resolve().parent
        h = hashlib.sha256(b"eurlex-parse-cache/1")
        for name in ("eurlex.py", "eurlex_queries.py", "eurlex_parse.py", "eurlex_metadata.py", "eurlex_html.py",
                     "eurlex_import.py", "eurlex_cache.py", "finding_hash.py"):
            path = here / name
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        h.update(resources.files("compliance.catalogue.data").joinpath("member_states.yaml").read_bytes())
        _VERSION = h.hexdigest()[:16]
    return _VERSION


class ParseCache:
    """JSON values under `root/<version>/<kind>-<celex>-<key>.json`; `root` None disables it."""

    def __init__(self, root: Path | None) -> None:
        self.dir: Path | None = None
        if root is not None:
            try:
                self.dir = Path(root) / version()
            except OSError:
                self.dir = None

    @staticmethod
    def key(*parts: str) -> str:
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]

    def _path(self, kind: str, celex: str, key: str) -> Path | None:
        if self.dir is None:
            return None
        return self.dir / f"{kind}-{celex}-{key}.json"

    def get(self, kind: str, celex: str, key: str) -> Any | None:
        path = self._path(kind, celex, key)
        if path is None:
            return None
        try:
            return json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, kind: str, celex: str, key: str, value: Any) -> None:
        """Write atomically and drop the older entries of the same kind and CELEX; failures
        (a read-only state directory) only mean no cache."""
        path = self._path(kind, celex, key)
        if path is None:
            return
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
            tmp = None
            for old in path.parent.glob(f"{kind}-{celex}-*.json"):
                if old != path:
                    with contextlib.suppress(OSError):
                        old.unlink()
        except (OSError, TypeError, ValueError):
            pass
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
