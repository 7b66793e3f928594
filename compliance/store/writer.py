"""Writing one source's results into the store in batches (refresh/run.py's write_source_result).

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

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..sources.finding_hash import hash_and_data
from .plausibility import Rules, judge, judge_first
from .reader import db_time, parse_db_time

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from ..http import FetchResult
    from ..sources.base import CoverageItem, FoundItem, MetadataItem

BATCH = 2000
_NONE = object()

FINDING_INSERT = ("source", "key", "kind", "measure_id", "celex", "member_state", "date", "title", "reference", "url",
                  "stage", "data", "content_hash", "fetch_id", "active", "first_seen_run", "last_seen_run",
                  "first_seen_at", "last_seen_at")
FINDING_CHANGE = ("kind", "celex", "member_state", "date", "title", "reference", "url", "stage", "data",
                  "content_hash", "active", "withdrawn_at", "withdrawal", "missing_since", "missing_runs",
                  "last_seen_run", "last_seen_at")  # then fetch_id
FETCH_INSERT = ("run_id", "source", "method", "url", "final_url", "request", "request_key", "status_code",
                "retrieved_at", "sha256", "size", "content_type", "etag", "last_modified", "archive_path",
                "not_modified", "warning")


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

    `lookup="all"` (refresh) reads the identity, content hash, state, Member State and pending
    withdrawal of every stored finding of the source first (not the findings themselves), so that
    unchanged ones are told apart without reading them, an answer can be judged against the last
    healthy one (`implausible`), and the ones no longer listed can be marked absent (`absences`).
    `lookup="batch"` (import, streamed) looks up only the keys of each batch, so memory stays
    bounded; a finding already written in this run (its last_seen_run is this run) counts as
    seen, as the in-memory set does for "all".

    An unchanged finding (same key, same content hash, active) is only marked as seen in this run:
    last_seen_run, last_seen_at and its fetch (this run's response it rests on) are set with one
    UPDATE per fetch and 500 parameters, its ids given as runs (see _touch); no other column is
    written. Fetch rows are plain INSERTs too (a SQLAlchemy insert built and compiled per response
    cost more than running it).
    """

    def __init__(self, conn: Connection, source: str, run_id: int, now: datetime, *, lookup: str = "all",
                 default_fetch_id: int | None = None) -> None:
        self.db = _Driver(conn)
        self.conn = conn
        self.source = source
        self.run_id = run_id
        self.now = now
        self.lookup = lookup
        self.default_fetch_id = default_fetch_id
        self._fetch_ids: dict[int, int] = {}
        self._fetch_keep: list[FetchResult] = []  # keeps id() of the results unique while they are mapped
        self.new = self.changed = self.gone = self.findings = 0
        self._seen: set[tuple[str, str]] = set()
        self.pending = 0
        self._relisted: list[int] = []  # pending findings listed again: their absence is cleared
        # (measure_id, key) -> (id, measure_id, key, content_hash, active, member_state, missing_since,
        # missing_runs, date); in batch mode the sixth column is last_seen_run and there are no others.
        self._existing: dict[tuple[str, str], Sequence[Any]] | None = None
        if lookup == "all":
            self._existing = {
                (row[1], row[2]): row
                for row in self.db.select(
                    "SELECT id, measure_id, key, content_hash, active, member_state, missing_since, missing_runs, "
                    "date FROM finding WHERE source = ?", (source,))
            }
        mark = self.db.mark
        self._fetch_sql = (
            # "fetch" is a reserved word in PostgreSQL: quoted, as SQLAlchemy quotes it.
            f"INSERT INTO \"fetch\" ({', '.join(FETCH_INSERT)}) VALUES ({', '.join([mark] * len(FETCH_INSERT))})"
            + ("" if self.db.sqlite else " RETURNING id")
        )

    # fetch rows ---------------------------------------------------------------------------------

    def fetch_id(self, fr: FetchResult | None) -> int | None:
        if fr is None:
            return self.default_fetch_id
        known = self._fetch_ids.get(id(fr))
        if known is None:
            value = self.db.value
            row = (
                self.run_id, fr.source, fr.method, fr.url, fr.final_url,
                json.dumps(fr.request, sort_keys=True, default=str), fr.request_key, fr.status_code,
                value(_utc(fr.retrieved_at)), fr.sha256, fr.size, fr.content_type, fr.etag, fr.last_modified,
                fr.archive_path, value(fr.not_modified), fr.warning,
            )
            result = self.conn.exec_driver_sql(self._fetch_sql, row)
            known = result.lastrowid if self.db.sqlite else result.scalar_one()
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

    def _existing_for(self, batch: list[FoundItem]) -> dict[tuple[str, str], Sequence[Any]]:
        if self._existing is not None:
            return self._existing
        # By (source, measure_id, key IN ...): the unique index uq_finding_source_measure_key.
        by_measure: dict[str, set[str]] = {}
        for item in batch:
            by_measure.setdefault(item.measure_id, set()).add(item.key)
        found: dict[tuple[str, str], Sequence[Any]] = {}
        for measure_id, key_set in by_measure.items():
            keys = sorted(key_set)
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                rows = self.db.select(
                    "SELECT id, measure_id, key, content_hash, active, last_seen_run "
                    f"FROM finding WHERE source = ? AND measure_id = ? AND key IN ({', '.join('?' * len(chunk))})",
                    (self.source, measure_id, *chunk))
                for row in rows:
                    found[(row[1], row[2])] = row
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
        touches: dict[int | None, list[int]] = {}  # fetch id (None: keep the stored one) -> finding ids
        last_fetch: Any = _NONE  # the items of one response come one after another
        fid = ids = None
        for item in batch:
            ident = (item.measure_id, item.key)
            if ident in seen:
                continue
            row = existing.get(ident)
            if batch_mode and row is not None and row[5] == run_id:
                continue  # written earlier in this run: the first occurrence wins
            seen.add(ident)
            if item.fetch is not last_fetch:
                last_fetch = item.fetch
                fid = self.fetch_id(last_fetch)
                ids = touches.get(fid)
            digest, data = hash_and_data(item)
            if row is None:
                inserts.append((
                    self.source, item.key, item.kind, item.measure_id, item.celex, item.member_state, value(item.date),
                    item.title, item.reference, item.url, item.stage, data, digest, fid, value(True), run_id, run_id,
                    now, now,
                ))
            elif row[3] != digest or not row[4]:
                changes.append((
                    item.kind, item.celex, item.member_state, value(item.date), item.title, item.reference, item.url,
                    item.stage, data, digest, value(True), None, None, None, 0, run_id, now, fid, row[0],
                ))
            else:
                if ids is None:
                    ids = touches[fid] = []
                ids.append(row[0])
                if not batch_mode and row[6] is not None:
                    self._relisted.append(row[0])
        self.findings += len(inserts) + len(changes) + sum(len(ids) for ids in touches.values())
        self.new += len(inserts)
        self.changed += len(changes)
        self.db.insert_many("finding", FINDING_INSERT, inserts)
        if changes:
            # A changed finding keeps its stored fetch when the item names none and there is no default.
            mark = self.db.mark
            sets = ", ".join(f"{c} = {mark}" for c in FINDING_CHANGE)
            self.conn.exec_driver_sql(
                f"UPDATE finding SET {sets}, fetch_id = COALESCE({mark}, fetch_id) WHERE id = {mark}", changes)
        self._touch(touches, now)
        if self._relisted:
            mark = self.db.mark
            for where, params in _id_conditions(sorted(self._relisted), mark):
                self.conn.exec_driver_sql(f"UPDATE finding SET missing_since = NULL, missing_runs = 0 WHERE {where}",
                                          tuple(params))
            self._relisted = []

    def _touch(self, touches: dict[int | None, list[int]], now: Any) -> None:
        """Mark unchanged findings as seen in this run. The findings of one response (a NIM page)
        share their fetch and were mostly inserted together, so their ids come in runs: one
        UPDATE per fetch and up to 500 parameters, each run of ids as one BETWEEN."""
        mark = self.db.mark
        for fetch_id, ids in touches.items():
            sets = f"last_seen_run = {mark}, last_seen_at = {mark}"
            head: tuple = (self.run_id, now)
            if fetch_id is not None:
                sets, head = f"fetch_id = {mark}, {sets}", (fetch_id, *head)
            for where, params in _id_conditions(sorted(ids), mark):
                self.conn.exec_driver_sql(f"UPDATE finding SET {sets} WHERE {where}", (*head, *params))

    @staticmethod
    def _searched(coverage: Iterable[CoverageItem]) -> set[tuple[str, str]]:
        return {(c.measure_id, c.member_state) for c in coverage if c.status == "ok"}

    @staticmethod
    def _in(searched: set[tuple[str, str]], measure_id: str, member_state: str | None) -> bool:
        return (measure_id, "*") in searched or (measure_id, member_state) in searched

    @staticmethod
    def _dated_from(since: date | None) -> Callable[[Any], bool]:
        """Whether a stored finding's date (ISO text on SQLite, a date elsewhere) is within a partial
        answer's scope (sources.base.Partial); everything is when the answer is whole (`since` None)."""
        if since is None:
            return lambda _day: True
        bound = since.isoformat()
        return lambda day: day is not None and (day if isinstance(day, str) else day.isoformat())[:10] >= bound

    def implausible(self, items: Sequence[FoundItem], coverage: Iterable[CoverageItem], rules: Rules,
                    deadlines: dict[str, date] | None = None, *, since: date | None = None) -> dict[str, str]:
        """{measure id: reason} for the measures whose answer loses too much of what the last healthy
        search listed (store/plausibility.py); with `deadlines` (a source of every Member State's national
        measures), also first answers too thin to believe. A partial answer (findings dated from `since`
        on) is judged against the stored findings of that span only. Call before `add`; the caller keeps
        those measures out."""
        if self._existing is None:
            raise RuntimeError("judging an answer needs lookup='all'")
        searched = self._searched(coverage)
        if not searched:
            return {}
        inside, in_scope = self._in, self._dated_from(since)
        baseline = [
            (measure_id, key, member_state)
            for (_fid, measure_id, key, _digest, active, member_state, missing_since, _runs, day)
            in self._existing.values()
            if active and missing_since is None and inside(searched, measure_id, member_state) and in_scope(day)
        ]
        unseen: set[str] = set()
        if deadlines:
            known = {row[1] for row in self._existing.values() if row[4]}
            unseen = {m for m, state in searched if state == "*" and m in deadlines and m not in known}
        if not baseline and not unseen:
            return {}
        listed: dict[str, tuple[set[str], set[str]]] = {}
        for item in items:
            entry = listed.get(item.measure_id)
            if entry is None:
                entry = listed[item.measure_id] = (set(), set())
            entry[0].add(item.key)
            entry[1].add(item.member_state or "")
        verdicts = judge(baseline, listed, rules) if baseline else {}
        if unseen:
            verdicts.update(judge_first(listed, sorted(unseen), deadlines or {}, self.now.date(), rules))
        return verdicts

    def absences(self, coverage: Iterable[CoverageItem], rules: Rules, *, since: date | None = None) -> None:
        """Where the source searched successfully, an active finding it did not list is first pending
        ("not listed since"), and withdrawn once absent from `rules.confirmations` healthy searches in
        a row spanning at least `rules.min_days` days. A partial answer (findings dated from `since` on)
        says nothing of the findings outside its span: they are kept as they are. Call after `add`."""
        if self._existing is None:
            raise RuntimeError("withdrawal needs lookup='all'")
        searched = self._searched(coverage)
        in_scope = self._dated_from(since)
        pending: list[tuple] = []
        gone: list[tuple] = []
        # findings - new: the stored findings listed in this run; all of them (the usual case) leaves none absent.
        if searched and self.findings - self.new < len(self._existing):
            seen = self._seen
            value = self.db.value
            now = value(self.now)
            min_age = timedelta(days=rules.min_days)
            for ident, row in self._existing.items():
                fid, measure_id, _key, _digest, active, member_state, since_raw, runs, day = row
                if not active or ident in seen or not self._in(searched, measure_id, member_state) \
                        or not in_scope(day):
                    continue
                since = parse_db_time(since_raw) or self.now
                runs = (runs or 0) + 1 if since_raw is not None else 1
                if runs >= rules.confirmations and self.now - since >= min_age:
                    reason = (f"not listed by {self.source} in {runs} healthy search(es) since "
                              f"{since.date().isoformat()}")
                    gone.append((value(False), now, reason, runs, fid))
                else:
                    pending.append((value(since), runs, fid))
        self.db.update_many("finding", ("missing_since", "missing_runs"), pending)
        self.db.update_many("finding", ("active", "withdrawn_at", "withdrawal", "missing_runs"), gone)
        self.pending += len(pending)
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


def _id_conditions(ids: list[int], mark: str, limit: int = 500) -> Iterator[tuple[str, list[int]]]:
    """WHERE clauses selecting exactly the sorted, distinct `ids`, with at most `limit` (>= 2) parameters each:
    runs of three or more consecutive ids as `id BETWEEN first AND last`, the others as `id IN (...)`."""
    spans: list[tuple[int, int]] = []
    singles: list[int] = []
    start = 0
    for i in range(1, len(ids) + 1):
        if i == len(ids) or ids[i] != ids[i - 1] + 1:
            if i - start > 2:
                spans.append((ids[start], ids[i - 1]))
            else:
                singles += ids[start:i]
            start = i
    per = limit // 2
    for first in range(0, len(spans), per):
        chunk = spans[first:first + per]
        yield " OR ".join([f"id BETWEEN {mark} AND {mark}"] * len(chunk)), [i for span in chunk for i in span]
    for first in range(0, len(singles), limit):
        chunk = singles[first:first + limit]
        yield f"id IN ({', '.join([mark] * len(chunk))})", chunk


def _utc(value: datetime) -> datetime:
    from ..clock import to_db

    return to_db(value)
