"""Writing one source's results into the store in batches (refresh.py's write_source_result).

A source may hand over 100,000s of findings (every notified measure of every directive), and a
file import may stream millions of rows. One ORM object per finding costs tens of microseconds
and holds everything in memory, so findings are written with plain multi-row statements
(`executemany` through `exec_driver_sql`, with the driver's own placeholders), in batches, inside
the caller's single transaction: a source that fails still leaves nothing of itself behind.

The values are what SQLAlchemy itself would store: on SQLite, dates as ISO text, datetimes as
UTC wall time "YYYY-MM-DD HH:MM:SS.ffffff", booleans as 1/0; on other databases the Python
objects go to the driver as the ORM would hand them over.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .sources.base import FoundItem
from .storeread import db_time

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from .http import FetchResult
    from .sources.base import CoverageItem, MetadataItem

BATCH = 2000

_JSON = json.JSONEncoder(default=str)  # json.dumps(..., default=str)
_JSON_SORTED = json.JSONEncoder(sort_keys=True, default=str)

FINDING_INSERT = ("source", "key", "kind", "measure_id", "celex", "member_state", "date", "title", "reference", "url",
                  "stage", "data", "content_hash", "fetch_id", "active", "first_seen_run", "last_seen_run",
                  "first_seen_at", "last_seen_at")
FINDING_CHANGE = ("kind", "celex", "member_state", "date", "title", "reference", "url", "stage", "data",
                  "content_hash", "active", "withdrawn_at", "fetch_id", "last_seen_run", "last_seen_at")


def content_hash_and_data(item: FoundItem) -> tuple[str, str]:
    """(content hash, data JSON) of a finding, serialising `data` once.

    The hash is the sha256 of json.dumps(payload, sort_keys=True, default=str) with payload
    {kind, member_state, celex, date, title, reference, url, stage, data}: the text is put
    together from the parts here, in sorted key order, with the same separators, so it is the
    same text (tests/test_findings_writer.py checks this against json.dumps).
    """
    data = _JSON_SORTED.encode(item.data)
    enc = _JSON.encode
    text = (
        '{"celex": ' + enc(item.celex)
        + ', "data": ' + data
        + ', "date": ' + enc(item.date.isoformat() if item.date else None)
        + ', "kind": ' + enc(item.kind)
        + ', "member_state": ' + enc(item.member_state)
        + ', "reference": ' + enc(item.reference)
        + ', "stage": ' + enc(item.stage)
        + ', "title": ' + enc(item.title)
        + ', "url": ' + enc(item.url)
        + "}"
    )
    return hashlib.sha256(text.encode()).hexdigest(), data


class HashedFinding(FoundItem):
    """A FoundItem that carries its content hash and its data as JSON text, computed once.

    A source that keeps a parse cache (sources/eurlex.py) builds these, stores the two strings
    in the cache, and on a later run with the same response bodies gives them back without
    parsing or hashing anything; `data` is decoded from the text only if someone reads it. The
    writer uses the carried hash instead of computing it. `from_item` is the only way to build
    one from scratch, so the hash always matches content_hash_and_data(item).
    """

    def __init__(self, *, content_hash: str, data_json: str, data: dict[str, Any] | None = None,
                 **fields: Any) -> None:
        self.content_hash = content_hash
        self.data_json = data_json
        super().__init__(data=data, **fields)  # type: ignore[arg-type]

    @property  # type: ignore[override]
    def data(self) -> dict[str, Any]:
        value = self.__dict__.get("_data")
        if value is None:
            value = self.__dict__["_data"] = json.loads(self.data_json)
        return value

    @data.setter
    def data(self, value: dict[str, Any] | None) -> None:
        self.__dict__["_data"] = value

    @classmethod
    def from_item(cls, item: FoundItem) -> HashedFinding:
        digest, data_json = content_hash_and_data(item)
        return cls(content_hash=digest, data_json=data_json, data=item.data, key=item.key, kind=item.kind,
                   measure_id=item.measure_id, member_state=item.member_state, celex=item.celex, date=item.date,
                   title=item.title, reference=item.reference, url=item.url, stage=item.stage, fetch=item.fetch)


def hash_and_data(item: FoundItem) -> tuple[str, str]:
    """The carried values of a HashedFinding, else content_hash_and_data(item)."""
    if isinstance(item, HashedFinding):
        return item.content_hash, item.data_json
    return content_hash_and_data(item)


class _Driver:
    """Statements with the driver's placeholders, values converted as SQLAlchemy would."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"

    def value(self, v: Any) -> Any:
        if not self.sqlite:
            return v
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, datetime):
            return db_time(v)
        if isinstance(v, date):
            return v.isoformat()
        return v

    def insert_many(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if rows:
            marks = ", ".join([self.mark] * len(columns))
            self.conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def update_many(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """rows: the values of `columns`, then the id."""
        if rows:
            sets = ", ".join(f"{c} = {self.mark}" for c in columns)
            self.conn.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE id = {self.mark}", rows)

    def select(self, sql: str, params: tuple) -> list[tuple]:
        return list(self.conn.exec_driver_sql(sql.replace("?", self.mark), params).fetchall())


class FindingsWriter:
    """Findings, coverage and metadata of one source in one run, written through `conn`.

    `lookup="all"` (refresh) reads every stored finding of the source first, so that the ones
    no longer listed can be withdrawn. `lookup="batch"` (import, streamed) looks up only the
    keys of each batch, so memory stays bounded; a finding already written in this run (its
    last_seen_run is this run) counts as seen, as the in-memory set does for "all".
    """

    def __init__(self, conn: Connection, source: str, run_id: int, now: datetime, *, lookup: str = "all",
                 default_fetch_id: int | None = None) -> None:
        from .tables import Fetch

        self.db = _Driver(conn)
        self.conn = conn
        self.source = source
        self.run_id = run_id
        self.now = now
        self.lookup = lookup
        self.default_fetch_id = default_fetch_id
        self._fetch_table = Fetch.__table__
        self._fetch_ids: dict[int, int] = {}
        self._fetch_keep: list[FetchResult] = []  # keeps id() of the results unique while they are mapped
        self.new = self.changed = self.gone = self.findings = 0
        self._seen: set[tuple[str, str]] = set()
        self._existing: dict[tuple[str, str], list[Any]] | None = None
        if lookup == "all":
            self._existing = {
                (measure_id, key): [fid, content_hash, bool(active), member_state, fetch_id]
                for fid, measure_id, key, content_hash, active, member_state, fetch_id in self.db.select(
                    "SELECT id, measure_id, key, content_hash, active, member_state, fetch_id FROM finding "
                    "WHERE source = ?", (source,))
            }

    # fetch rows ---------------------------------------------------------------------------------

    def fetch_id(self, fr: FetchResult | None) -> int | None:
        if fr is None:
            return self.default_fetch_id
        known = self._fetch_ids.get(id(fr))
        if known is None:
            row = {
                "run_id": self.run_id, "source": fr.source, "method": fr.method, "url": fr.url,
                "final_url": fr.final_url, "request": json.dumps(fr.request, sort_keys=True, default=str),
                "request_key": fr.request_key, "status_code": fr.status_code, "retrieved_at": _utc(fr.retrieved_at),
                "sha256": fr.sha256, "size": fr.size, "content_type": fr.content_type, "etag": fr.etag,
                "last_modified": fr.last_modified, "archive_path": fr.archive_path, "not_modified": fr.not_modified,
            }
            known = self.conn.execute(self._fetch_table.insert().values(**row)).inserted_primary_key[0]
            self._fetch_ids[id(fr)] = known
            self._fetch_keep.append(fr)
        return known

    # findings -----------------------------------------------------------------------------------

    def add(self, items: Iterable[FoundItem]) -> None:
        batch: list[FoundItem] = []
        for item in items:
            batch.append(item)
            if len(batch) >= BATCH:
                self._add_batch(batch)
                batch = []
        if batch:
            self._add_batch(batch)

    def _existing_for(self, batch: list[FoundItem]) -> dict[tuple[str, str], list[Any]]:
        if self._existing is not None:
            return self._existing
        # By (source, measure_id, key IN ...): the unique index uq_finding_source_measure_key.
        by_measure: dict[str, set[str]] = {}
        for item in batch:
            by_measure.setdefault(item.measure_id, set()).add(item.key)
        found: dict[tuple[str, str], list[Any]] = {}
        for measure_id, key_set in by_measure.items():
            keys = sorted(key_set)
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                rows = self.db.select(
                    "SELECT id, measure_id, key, content_hash, active, member_state, fetch_id, last_seen_run "
                    f"FROM finding WHERE source = ? AND measure_id = ? AND key IN ({', '.join('?' * len(chunk))})",
                    (self.source, measure_id, *chunk))
                for fid, mid, key, content_hash, active, member_state, fetch_id, last_run in rows:
                    found[(mid, key)] = [fid, content_hash, bool(active), member_state, fetch_id, last_run]
        return found

    def _add_batch(self, batch: list[FoundItem]) -> None:
        existing = self._existing_for(batch)
        batch_mode = self._existing is None
        seen = self._seen if not batch_mode else set()
        value = self.db.value
        now = value(self.now)
        run_id = self.run_id
        inserts: list[tuple] = []
        changes: list[tuple] = []
        touches: list[tuple] = []
        for item in batch:
            ident = (item.measure_id, item.key)
            if ident in seen:
                continue
            row = existing.get(ident)
            if batch_mode and row is not None and row[5] == run_id:
                continue  # written earlier in this run: the first occurrence wins
            seen.add(ident)
            self.findings += 1
            digest, data = hash_and_data(item)
            fid = self.fetch_id(item.fetch)
            if row is None:
                inserts.append((
                    self.source, item.key, item.kind, item.measure_id, item.celex, item.member_state, value(item.date),
                    item.title, item.reference, item.url, item.stage, data, digest, fid, value(True), run_id, run_id,
                    now, now,
                ))
                self.new += 1
                continue
            fetch_id = fid if fid is not None else row[4]
            if row[1] != digest or not row[2]:
                changes.append((
                    item.kind, item.celex, item.member_state, value(item.date), item.title, item.reference, item.url,
                    item.stage, data, digest, value(True), None, fetch_id, run_id, now, row[0],
                ))
                row[1], row[2] = digest, True
                self.changed += 1
            else:
                touches.append((fetch_id, run_id, now, row[0]))
            row[4] = fetch_id
        self.db.insert_many("finding", FINDING_INSERT, inserts)
        self.db.update_many("finding", FINDING_CHANGE, changes)
        self._touch(touches)

    def _touch(self, touches: list[tuple]) -> None:
        """Mark unchanged findings as seen in this run: one UPDATE per fetch and 500 ids (a NIM
        page's findings share their fetch), rather than one row of executemany each."""
        by_fetch: dict[Any, list[int]] = {}
        for fetch_id, _run, _now, row_id in touches:
            by_fetch.setdefault(fetch_id, []).append(row_id)
        if not touches:
            return
        run_id, now = touches[0][1], touches[0][2]
        mark = self.db.mark
        for fetch_id, ids in by_fetch.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                self.conn.exec_driver_sql(
                    f"UPDATE finding SET fetch_id = {mark}, last_seen_run = {mark}, last_seen_at = {mark} "
                    f"WHERE id IN ({', '.join([mark] * len(chunk))})",
                    (fetch_id, run_id, now, *chunk),
                )

    def withdraw(self, coverage: Iterable[CoverageItem]) -> None:
        """Only where the source searched successfully may an unlisted finding be "gone"."""
        if self._existing is None:
            raise RuntimeError("withdrawal needs lookup='all'")
        searched = {(c.measure_id, c.member_state) for c in coverage if c.status == "ok"}
        gone = []
        for (measure_id, key), row in self._existing.items():
            if (measure_id, key) in self._seen or not row[2]:
                continue
            if (measure_id, "*") in searched or (measure_id, row[3]) in searched:
                row[2] = False
                gone.append((self.db.value(False), self.db.value(self.now), row[0]))
        self.db.update_many("finding", ("active", "withdrawn_at"), gone)
        self.gone += len(gone)

    # coverage and metadata ------------------------------------------------------------------------

    def add_coverage(self, coverage: Iterable[CoverageItem]) -> None:
        value = self.db.value
        rows = [
            (self.run_id, self.source, c.measure_id, c.member_state, c.status, c.reason, value(self.now),
             self.fetch_id(c.fetch))
            for c in coverage
        ]
        self.db.insert_many("coverage", ("run_id", "source", "measure_id", "member_state", "status", "reason",
                                         "checked_at", "fetch_id"), rows)

    def add_metadata(self, metadata: Iterable[MetadataItem]) -> None:
        value = self.db.value
        rows = [
            (self.source, m.measure_id, m.celex, json.dumps(m.data, sort_keys=True, default=str),
             self.fetch_id(m.fetch), value(self.now))
            for m in metadata
        ]
        self.db.insert_many("act_metadata", ("source", "measure_id", "celex", "data", "fetch_id", "retrieved_at"),
                            rows)


def _utc(value: datetime) -> datetime:
    from .clock import to_db

    return to_db(value)
