"""A cache of the validated built-in catalogue, so that `check` need not parse and validate it.

Parsing measures.yaml and curated_evidence.yaml and validating them with pydantic costs about
0.2 s of every run, pydantic's import included. The result depends only on those data files, on
member_states.yaml (codes are normalised) and on the code that reads them, so it is kept in
`<state>/cache/catalogue.json`, under a key that is the sha256 of all of these plus the package
and Python versions. A cache whose key differs, or that cannot be read or decoded, is ignored
and rewritten. The cache is JSON (never pickle): a state directory may be shared, and its files
must not be able to run code. User catalogue files are never cached: they are validated each time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..model import Applicability, Evidence, Measure, MemberState, Obligation
from .memberstates import DATA_DIR

FORMAT = 1
CACHE_NAME = "catalogue.json"
DATA_FILES = ("measures.yaml", "curated_evidence.yaml", "member_states.yaml")
# The code whose behaviour the cached objects reflect.
CODE_FILES = ("load.py", "spec.py", "cache.py", "../model.py", "memberstates.py")
_CLASSES: dict[str, type] = {c.__name__: c for c in (Measure, Obligation, Applicability, Evidence, MemberState)}


@dataclass
class Builtin:
    version: str | None
    measures: dict[str, Measure]
    curated: list[Evidence]


def cache_key() -> str | None:
    """sha256 of the data files, the reading code and the versions; None if one cannot be read."""
    h = hashlib.sha256(f"compliance-catalogue-cache/{FORMAT}/{__version__}/{sys.version}".encode())
    try:
        for name in DATA_FILES:
            h.update(name.encode() + b"\0" + (DATA_DIR / name).read_bytes() + b"\0")
        here = Path(__file__).resolve().parent
        for name in CODE_FILES:
            h.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    except OSError:
        return None
    return h.hexdigest()


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("only str keys are cached")
        return {"$map": {k: _encode(v) for k, v in value.items()}}
    if is_dataclass(value) and type(value).__name__ in _CLASSES:
        return {"$" + type(value).__name__: {f.name: _encode(getattr(value, f.name)) for f in fields(value)}}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise ValueError("malformed cache entry")
    (tag, inner), = value.items()
    if tag == "$date":
        return date.fromisoformat(inner)
    if tag == "$datetime":
        return datetime.fromisoformat(inner)
    if tag == "$tuple":
        return tuple(_decode(v) for v in inner)
    if tag == "$map":
        return {k: _decode(v) for k, v in inner.items()}
    cls = _CLASSES.get(tag[1:]) if tag.startswith("$") else None
    if cls is None or not isinstance(inner, dict):
        raise ValueError(f"unknown cache entry {tag!r}")
    return cls(**{k: _decode(v) for k, v in inner.items()})


def _path(cache_dir: Path) -> Path:
    return Path(cache_dir) / CACHE_NAME


_LAST: tuple[tuple[Any, ...], Any] | None = None  # the document last read (`check` reads it twice)


def _document(cache_dir: Path, key: str) -> Any:
    global _LAST
    path = _path(cache_dir)
    info = path.stat()
    ident = (str(path), key, info.st_mtime_ns, info.st_size, info.st_ino)
    if _LAST is not None and _LAST[0] == ident:
        return _LAST[1]
    doc = json.loads(path.read_text("utf-8"))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("key") != key:
        return None
    _LAST = (ident, doc)
    return doc


def prime_member_states(cache_dir: Path) -> None:
    """Hand the cached Member States to memberstates.prime (nothing when the cache is not current)."""
    from . import memberstates

    key = cache_key()
    if key is None:
        return
    try:
        doc = _document(cache_dir, key)
        states = _decode(doc["member_states"]) if doc is not None else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return
    if isinstance(states, list):
        memberstates.prime(tuple(states))


def read(cache_dir: Path, key: str) -> Builtin | None:
    """The cached built-in catalogue under `key`, or None (absent, stale, corrupt)."""
    try:
        doc = _document(cache_dir, key)
        if doc is None:
            return None
        measures = _decode(doc["measures"])
        curated = _decode(doc["curated"])
        version = doc["version"]
        if not (isinstance(measures, list) and all(isinstance(m, Measure) for m in measures)
                and isinstance(curated, list) and all(isinstance(e, Evidence) for e in curated)
                and (version is None or isinstance(version, str))):
            return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    return Builtin(version, {m.id: m for m in measures}, curated)


def write(cache_dir: Path, key: str, builtin: Builtin) -> None:
    """Write the cache atomically; any failure (read-only directory ...) just leaves no cache."""
    from .memberstates import member_states

    measures = list(builtin.measures.values())
    try:
        doc = {"format": FORMAT, "key": key, "version": builtin.version,
               "measures": _encode(measures), "curated": _encode(builtin.curated),
               "member_states": _encode(list(member_states()))}
        # Only what decodes back to equal objects is cached.
        if _decode(doc["measures"]) != measures or _decode(doc["curated"]) != builtin.curated:
            return
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return
    import tempfile

    target = _path(cache_dir)
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".catalogue.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

