"""The reads `compliance check` needs, with the standard library's sqlite3 only.

`check` runs often and reads a lot (every active finding of the selected Member States): going
through SQLAlchemy and SQLModel costs about half a second of imports before the first row, and
ORM objects cost several microseconds per finding. An SQLite store that is already at the
current schema is therefore read here, read-only, with plain SQL; anything else (no database
yet, an older schema to migrate, PostgreSQL, a file that is not a store) goes through
`Store.open`, which creates, migrates or reports it exactly as before.

The rows and their conversion are shared with `store.Store`, so both give the same Evidence and
Coverage in the same order (tests/test_storeread.py compares them).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any

from ..config.settings import sqlite_path
from ..errors import StoreError
from ..model import Coverage, Evidence

# The newest migration this release knows (compliance/store/migrations/versions/); store/engine.py re-exports it.
HEAD_REVISION = "0003"

# How SQLAlchemy's SQLite dialect stores a DateTime (UTC wall time; the offset is not stored).
DB_TIME = "%Y-%m-%d %H:%M:%S.%f"

# The finding columns an Evidence needs, in the order of the rows handed to `evidence_from_rows`.
FINDING_COLUMNS = ("id", "source", "kind", "title", "url", "reference", "date", "stage", "member_state",
                   "measure_id", "fetch_id", "key", "missing_since")
COVERAGE_COLUMNS = ("source", "measure_id", "member_state", "status", "reason", "checked_at", "fetch_id")

_EVIDENCE_FIELDS = tuple(f.name for f in fields(Evidence))


def _evidence_factory():  # noqa: ANN202 - returns a constructor
    """A constructor of Evidence from a complete field dict.

    Evidence is a frozen dataclass: its generated __init__ sets each of its 19 fields through
    object.__setattr__, which costs about 4 µs per finding (0.4 s for 100,000). Filling the
    instance __dict__ directly gives the same object (same fields, equality, hash, repr) in a
    third of the time. Should Evidence ever gain __slots__ or a __post_init__, the normal
    constructor is used.
    """
    if hasattr(Evidence, "__slots__") or hasattr(Evidence, "__post_init__"):
        return lambda values: Evidence(**values)
    new = object.__new__

    def make(values: dict[str, Any]) -> Evidence:
        item = new(Evidence)
        item.__dict__.update(values)
        return item

    return make


make_evidence = _evidence_factory()


def db_time(value: datetime) -> str:
    """A datetime as the store holds it: UTC wall time (a naive value is taken to be UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime(DB_TIME)


def parse_db_time(value: Any) -> datetime | None:
    """A stored DateTime (string in SQLite, datetime elsewhere) as a tz-aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _parse_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


_DATES: dict[Any, date | None] = {None: None}  # stored date text -> date (a few thousand distinct days)


def parse_fetches(fetches: dict[int, tuple[Any, Any, Any]]) -> dict[Any, tuple[datetime | None, Any, Any]]:
    """fetch id -> (retrieved_at, sha256, url) with retrieved_at parsed, for `evidence_from_rows`."""
    return {fid: (parse_db_time(retrieved_at), sha256, url) for fid, (retrieved_at, sha256, url) in fetches.items()}


def evidence_from_rows(rows: Iterable[Sequence[Any]], fetches: dict[int, tuple[Any, Any, Any]], *,
                       parsed: bool = False, when: datetime | None = None) -> list[Evidence]:
    """Evidence of finding rows (FINDING_COLUMNS); `fetches` maps fetch id -> (retrieved_at, sha256,
    url), retrieved_at as stored, or already parsed (`parse_fetches`) with `parsed`.

    A finding pending withdrawal carries `not_listed_since`; with `when` (the store as it stood
    then), only if it was already not listed by then."""
    make = make_evidence
    parsed_fetch = fetches if parsed else parse_fetches(fetches)
    missing = (None, None, None)
    dates = _DATES
    result = []
    append = result.append
    for (finding_id, source, kind, title, url, reference, day, stage, member_state, measure_id, fetch_id, key,
         missing_since) in rows:
        retrieved_at, sha256, fetch_url = parsed_fetch.get(fetch_id, missing)
        on = dates.get(day, missing)
        if on is missing:
            on = dates[day] = _parse_date(day)
        if missing_since is not None:
            missing_since = parse_db_time(missing_since)
            if when is not None and missing_since > when:
                missing_since = None
        append(make({
            "source": source, "kind": kind, "title": title, "url": url or fetch_url, "reference": reference,
            "date": on, "retrieved_at": retrieved_at, "sha256": sha256, "verified": True, "curated": False,
            "recorded": None, "date_text": None, "stage": stage, "member_state": member_state,
            "measure_id": measure_id, "obligation_id": None, "finding_id": finding_id, "fetch_id": fetch_id,
            "key": key, "not_listed_since": missing_since,
        }))
    return result


def coverage_from_rows(rows: Iterable[Sequence[Any]], fetches: dict[int, tuple[Any, Any]]) -> list[Coverage]:
    """Per (source, measure, member state): the latest successful search and any later failure.

    `rows` are COVERAGE_COLUMNS ordered by checked_at, id; `fetches` maps fetch id -> (url, sha256).
    """
    latest_ok: dict[tuple[str, str, str], Coverage] = {}
    latest: dict[tuple[str, str, str], Coverage] = {}
    times: dict[Any, datetime | None] = {}
    for source, measure_id, member_state, status, reason, checked_at, fetch_id in rows:
        when = times.get(checked_at)
        if when is None:
            when = times[checked_at] = parse_db_time(checked_at)
        url, sha256 = fetches.get(fetch_id, (None, None))
        row = Coverage(source=source, measure_id=measure_id, member_state=member_state, status=status,
                       reason=reason, checked_at=when, fetch_id=fetch_id, url=url, sha256=sha256)
        key = (source, measure_id, member_state)
        latest[key] = row
        if status == "ok":
            latest_ok[key] = row
    # A later failure does not undo an earlier successful search (its freshness decides),
    # but it is kept so that an `unknown` can say what went wrong.
    result = list(latest_ok.values())
    result += [row for key, row in latest.items() if row.status != "ok"]
    return result


# The source whose metadata rows are the acts' texts (sources/act_texts.py), kept apart from the
# official metadata that META-001 compares (one row per measure and act, not per measure).
ACT_TEXTS_SOURCE = "act-texts"
METADATA_SQL = ("SELECT measure_id, data, retrieved_at, source, fetch_id FROM act_metadata "
                f"WHERE source <> '{ACT_TEXTS_SOURCE}' ORDER BY retrieved_at, id")
# Every refresh adds a reading per act; only the newest of each (measure, CELEX) is read and decoded.
ACT_TEXTS_SQL = ("SELECT measure_id, celex, data, retrieved_at, fetch_id FROM ("
                 "SELECT measure_id, celex, data, retrieved_at, fetch_id, id, ROW_NUMBER() OVER ("
                 "PARTITION BY measure_id, celex ORDER BY retrieved_at DESC, id DESC) AS newest "
                 f"FROM act_metadata WHERE source = '{ACT_TEXTS_SOURCE}') readings "
                 "WHERE newest = 1 ORDER BY retrieved_at, id")


def metadata_from_rows(rows: Iterable[Sequence[Any]]) -> dict[str, dict]:
    """The latest official metadata per measure id; rows (measure_id, data, retrieved_at, source,
    fetch_id) ordered by retrieved_at, id."""
    latest: dict[str, dict] = {}
    for measure_id, data, retrieved_at, source, fetch_id in rows:
        item = json.loads(data)
        item["_retrieved_at"] = parse_db_time(retrieved_at)
        item["_source"] = source
        item["_fetch_id"] = fetch_id
        latest[measure_id] = item
    return latest


def act_texts_from_rows(rows: Iterable[Sequence[Any]]) -> dict[str, dict[str, dict]]:
    """The latest reading of each act's text: measure id -> CELEX -> parsed facts; rows
    (measure_id, celex, data, retrieved_at, fetch_id) ordered by retrieved_at, id (a later row
    of the same act replaces an earlier one)."""
    latest: dict[str, dict[str, dict]] = {}
    for measure_id, celex, data, retrieved_at, fetch_id in rows:
        item = json.loads(data)
        item["_retrieved_at"] = parse_db_time(retrieved_at)
        item["_fetch_id"] = fetch_id
        latest.setdefault(measure_id, {})[celex] = item
    return latest


class SqliteReader:
    """Read-only access to an up-to-date SQLite store (see `open_reader`)."""

    def __init__(self, con: sqlite3.Connection, label: str) -> None:
        self._con = con
        self.label = label
        self._fetch_rows: dict[Any, tuple[datetime | None, Any, Any]] = {}

    def _rows(self, what: str, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        try:
            return self._con.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.label}: cannot read {what} ({exc})") from None

    def evidence(self, member_states: Iterable[str] | None = None, as_of: date | None = None) -> list[Evidence]:
        """Active findings with their fetch provenance, optionally for some Member States, and
        with `as_of` only those undated or dated on or before it."""
        return self._findings(member_states, "active IS 1", (), as_of)

    def evidence_as_of(self, member_states: Iterable[str] | None, when: datetime,
                       as_of: date | None = None) -> list[Evidence]:
        """Findings as they stood at `when` (see Store.evidence_as_of)."""
        stamp = db_time(when)
        return self._findings(member_states, "first_seen_at <= ? AND (withdrawn_at IS NULL OR withdrawn_at >= ?)",
                              (stamp, stamp), as_of, when)

    def _findings(self, member_states: Iterable[str] | None, where: str, params: tuple,
                  as_of: date | None, when: datetime | None = None) -> list[Evidence]:
        params_list = list(params)
        if as_of is not None:
            where += " AND (date IS NULL OR date <= ?)"
            params_list.append(as_of.isoformat())
        if member_states is not None:
            states = list(member_states)
            if not states:
                return []
            # One state: its rows come in id order from the index on member_state, unsorted.
            where += " AND member_state = ?" if len(states) == 1 else \
                f" AND member_state IN ({', '.join('?' * len(states))})"
            params_list += states
        rows = self._rows("findings", f"SELECT {', '.join(FINDING_COLUMNS)} FROM finding WHERE {where} ORDER BY id",
                          params_list)
        return evidence_from_rows(rows, self._fetches({row[10] for row in rows}), parsed=True, when=when)

    def _fetches(self, ids: set[Any]) -> dict[Any, tuple[datetime | None, Any, Any]]:
        """(retrieved_at, sha256, url) of these fetch ids, parsed; kept for the next Member State's rows."""
        known = self._fetch_rows
        wanted = [i for i in ids if i is not None and i not in known]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            for fid, *rest in self._rows("findings", "SELECT id, retrieved_at, sha256, url FROM fetch WHERE id IN "
                                         f"({', '.join('?' * len(chunk))})", chunk):
                known.update(parse_fetches({fid: tuple(rest)}))
        return known

    def coverage(self, until: datetime | None = None) -> list[Coverage]:
        where, params = ("", ()) if until is None else ("WHERE checked_at <= ?", (db_time(until),))
        rows = self._rows("coverage", f"SELECT {', '.join(COVERAGE_COLUMNS)} FROM coverage {where} "
                          "ORDER BY checked_at, id", params)
        fetch_rows = self._rows(
            "coverage", f"SELECT id, url, sha256 FROM fetch WHERE id IN (SELECT fetch_id FROM coverage {where})", params
        )
        return coverage_from_rows(rows, {r[0]: r[1:] for r in fetch_rows})

    def act_metadata(self) -> dict[str, dict]:
        return metadata_from_rows(self._rows("act metadata", METADATA_SQL))

    def act_texts(self) -> dict[str, dict[str, dict]]:
        return act_texts_from_rows(self._rows("act texts", ACT_TEXTS_SQL))

    def close(self) -> None:
        self._con.close()


def open_reader(url: str) -> SqliteReader | None:
    """A read-only reader of the SQLite store at `url` when it exists and is at HEAD_REVISION.

    None in every other case, so that the caller goes through Store.open, which creates,
    migrates, or reports the problem with its usual message and exit code.
    """
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0)
    except (sqlite3.Error, ValueError, OSError):
        return None
    try:
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        con.close()
        return None
    if revision is None or revision[0] != HEAD_REVISION:
        con.close()
        return None
    from ..faults import note_store

    note_store(str(path))
    return SqliteReader(con, url)
