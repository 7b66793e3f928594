"""store/writer.py: the batched writer keeps the store's semantics; the content hash is the
reference one; HashedFinding carries it (and its data) unchanged."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from compliance.config.settings import load_settings
from compliance.http import FetchResult
from compliance.refresh.run import _content_hash, _finish_run, _start_run, write_source_result
from compliance.sources import finding_hash
from compliance.sources.base import CoverageItem, FoundItem, SourceResult
from compliance.sources.finding_hash import HashedFinding, content_hash_and_data
from compliance.store import tables
from compliance.store import writer as findings_writer
from compliance.store.engine import Store
from compliance.store.plausibility import Rules
from compliance.store.writer import BATCH as BATCH_DEFAULT
from compliance.store.writer import FindingsWriter

from . import fake_source

_text = st.none() | st.text(max_size=20)
_data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.dates(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)
_items = st.builds(
    FoundItem, key=st.text(min_size=1, max_size=10), kind=st.sampled_from(["national-measure", "infringement"]),
    measure_id=st.just("m"), member_state=_text, celex=_text, date=st.none() | st.dates(), title=_text,
    reference=_text, url=_text, stage=_text, data=st.dictionaries(st.text(max_size=6), _data, max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(_items)
def test_content_hash_is_the_reference_one(item):
    digest, data = content_hash_and_data(item)
    assert digest == _content_hash(item)
    hashed = HashedFinding.from_item(item)
    assert hashed.content_hash == digest and hashed.data_json == data
    assert hashed.data == item.data and hashed.key == item.key and hashed.date == item.date


def test_hashed_finding_decodes_its_data_only_when_read():
    item = FoundItem(key="k", kind="national-measure", measure_id="m", member_state="SE", data={"b": [1], "a": "ü"})
    digest, data_json = content_hash_and_data(item)
    restored = HashedFinding(content_hash=digest, data_json=data_json, key="k", kind="national-measure",
                             measure_id="m", member_state="SE")
    assert "_data" not in restored.__dict__ or restored.__dict__["_data"] is None
    assert restored.data == {"a": "ü", "b": [1]}
    assert content_hash_and_data(restored)[0] == digest


@pytest.fixture
def store(isolated_state):
    return Store.open(load_settings().db_url)


def _item(key: str, ms: str = "SE", title: str = "t") -> FoundItem:
    return FoundItem(key=key, kind="national-measure", measure_id="thb-directive-2011-36", member_state=ms,
                     title=title, date=date(2020, 1, 2), data={"key": key}, fetch=None)


def _rows(store: Store) -> dict[str, tables.Finding]:
    with store.session() as session:
        return {r.key: r for r in session.execute(select(tables.Finding)).scalars()}


def test_batch_lookup_keeps_the_first_occurrence_and_updates_what_exists(store, monkeypatch):
    monkeypatch.setattr(findings_writer, "BATCH", 2)  # duplicates land in other batches
    now = datetime(2026, 11, 22, tzinfo=UTC)
    run1 = _start_run(store, "import")
    with store.engine.begin() as conn:
        writer = FindingsWriter(conn, "fake", run1, now, lookup="batch")
        writer.add([_item("a"), _item("b"), _item("a", title="second a"), _item("c"), _item("b", ms="DK")])
    assert (writer.new, writer.changed, writer.findings) == (3, 0, 3)
    rows = _rows(store)
    assert rows["a"].title == "t" and rows["b"].member_state == "SE"  # the first occurrence wins
    _finish_run(store, run1, "ok", {})

    run2 = _start_run(store, "import")
    fetch = fake_source.fetch(b"second file")
    with store.engine.begin() as conn:
        writer = FindingsWriter(conn, "fake", run2, now, lookup="batch")
        changed = _item("a", title="new title")
        changed.fetch = fetch
        writer.add([changed, _item("b"), _item("d"), _item("b", title="ignored")])
    assert (writer.new, writer.changed, writer.findings) == (1, 1, 3)
    rows = _rows(store)
    assert rows["a"].title == "new title" and rows["a"].last_seen_run == run2 and rows["a"].fetch_id is not None
    assert rows["b"].title == "t" and rows["b"].last_seen_run == run2 and rows["b"].first_seen_run == run1
    assert rows["c"].last_seen_run == run1 and rows["c"].active  # import never withdraws
    assert rows["d"].first_seen_run == run2


def test_carried_hashes_are_used(store, monkeypatch):
    items = [HashedFinding.from_item(_item(k)) for k in "xyz"]
    monkeypatch.setattr(finding_hash, "content_hash_and_data",
                        lambda _item: (_ for _ in ()).throw(AssertionError("hashed again")))
    run = _start_run(store, "refresh")
    with store.engine.begin() as conn:
        writer = FindingsWriter(conn, "fake", run, datetime.now(UTC))
        writer.add(items)
    assert writer.new == 3
    assert {r.content_hash for r in _rows(store).values()} == {i.content_hash for i in items}


# -- refresh (lookup="all"): unchanged findings are only marked as seen ---------------------------------------------

THB11 = "thb-directive-2011-36"


def _page(n: int, when: datetime, *, not_modified: bool = False) -> FetchResult:
    """The n-th response of a run: same request and body in every run, a new retrieval."""
    fr = fake_source.fetch(f'{{"page": {n}}}'.encode())
    return dataclasses.replace(fr, url=f"https://example.org/api?page={n}", final_url=f"https://example.org/api?page={n}",
                               request_key=f"{n:064d}", retrieved_at=when, not_modified=not_modified,
                               status_code=304 if not_modified else 200)


def _result(when: datetime, *, not_modified: bool = False, drop: tuple[str, ...] = (),
            retitle: dict[str, str] | None = None, extra: tuple[str, ...] = ()) -> SourceResult:
    """60 findings of SE, FI and DK over 4 pages: pages 0-1 in blocks (their ids come in runs), pages 2-3
    interleaved (single ids); SE and FI searched successfully, DK's search failed."""
    pages = [_page(n, when, not_modified=not_modified) for n in range(4)]
    items = []
    for i in range(60):
        key = f"NIM{i:03d}"
        if key in drop:
            continue
        page = pages[i // 20] if i < 40 else pages[2 + i % 2]
        items.append(FoundItem(key=key, kind="national-measure", measure_id=THB11,
                               member_state=("SE", "FI", "DK")[i % 3], celex=f"72011L0036{i:03d}",
                               date=date(2013, 1, 1 + i % 28),
                               title=(retitle or {}).get(key, f"Act {i}"), url=f"https://example.org/nim/{i}",
                               data={"i": i, "when": date(2013, 1, 1)}, fetch=page))
    items += [FoundItem(key=key, kind="national-measure", measure_id=THB11, member_state="SE", title=key,
                        fetch=pages[0]) for key in extra]
    coverage = [CoverageItem(THB11, "ok", member_state="SE", fetch=pages[0]),
                CoverageItem(THB11, "ok", member_state="FI", fetch=pages[0]),
                CoverageItem(THB11, "failed", member_state="DK", reason="HTTP 503")]
    return SourceResult(findings=items, coverage=coverage, fetches=pages)


def _finding_rows(store: Store) -> dict[str, dict]:
    with store.engine.connect() as conn:
        result = conn.exec_driver_sql("SELECT * FROM finding ORDER BY id")
        return {row["key"]: dict(row) for row in result.mappings()}


def _fetch_urls(store: Store) -> dict[int, tuple[int, str]]:
    with store.engine.connect() as conn:
        return {i: (run, url) for i, run, url in conn.exec_driver_sql('SELECT id, run_id, url FROM "fetch"')}


AT_ONCE = Rules(confirmations=1, min_days=0)  # an absence from one healthy search withdraws


def _refresh(store: Store, result: SourceResult, rules: Rules | None = None):  # noqa: ANN202
    run = _start_run(store, "refresh")
    summary = write_source_result(store, run, "fake", result, started_at=datetime.now(UTC), rules=rules)
    _finish_run(store, run, "ok", {})
    return run, summary


@pytest.mark.parametrize("batch", [7, BATCH_DEFAULT])
def test_unchanged_second_refresh_stores_what_it_stored(store, monkeypatch, batch):
    monkeypatch.setattr(findings_writer, "BATCH", batch)
    run1, first = _refresh(store, _result(datetime(2026, 11, 20, tzinfo=UTC)))
    assert (first.new, first.changed, first.gone, first.findings) == (60, 0, 0, 60)
    before = _finding_rows(store)
    run2, second = _refresh(store, _result(datetime(2026, 11, 21, tzinfo=UTC), not_modified=True))
    assert (second.new, second.changed, second.gone, second.findings) == (0, 0, 0, 60)
    after = _finding_rows(store)
    urls = _fetch_urls(store)
    assert after.keys() == before.keys()
    (seen_at,) = {row["last_seen_at"] for row in after.values()}
    assert seen_at > before["NIM000"]["last_seen_at"]
    for key, row in after.items():
        old = before[key]
        # Every column as it was, but: seen in run 2, resting on run 2's response to the same request.
        assert {c: v for c, v in row.items() if c not in ("last_seen_run", "last_seen_at", "fetch_id")} == \
               {c: v for c, v in old.items() if c not in ("last_seen_run", "last_seen_at", "fetch_id")}
        assert row["last_seen_run"] == run2 and old["last_seen_run"] == run1
        assert urls[row["fetch_id"]] == (run2, urls[old["fetch_id"]][1])
    # A third unchanged run changes nothing but the same three columns again.
    run3, third = _refresh(store, _result(datetime(2026, 11, 22, tzinfo=UTC), not_modified=True))
    assert (third.new, third.changed, third.gone) == (0, 0, 0)
    assert {row["last_seen_run"] for row in _finding_rows(store).values()} == {run3}


def test_a_change_in_one_finding_is_picked_up(store, monkeypatch):
    monkeypatch.setattr(findings_writer, "BATCH", 7)
    run1, _ = _refresh(store, _result(datetime(2026, 11, 20, tzinfo=UTC)))
    before = _finding_rows(store)
    # NIM004 retitled; NIM003 (SE, searched: withdrawn, the rules allowing it at once) and NIM005 (DK, search
    # failed: kept) no longer listed; NEW1 appears.
    run2, summary = _refresh(store, _result(datetime(2026, 11, 21, tzinfo=UTC), not_modified=True,
                                            drop=("NIM003", "NIM005"), retitle={"NIM004": "Act 4, amended"},
                                            extra=("NEW1",)), rules=AT_ONCE)
    assert (summary.new, summary.changed, summary.gone, summary.findings) == (1, 1, 1, 59)
    after = _finding_rows(store)
    changed = after["NIM004"]
    expected = _result(datetime(2026, 11, 21, tzinfo=UTC), retitle={"NIM004": "Act 4, amended"}).findings[4]
    assert changed["title"] == "Act 4, amended" and changed["content_hash"] == content_hash_and_data(expected)[0]
    assert changed["content_hash"] != before["NIM004"]["content_hash"]
    assert (changed["id"], changed["first_seen_run"], changed["last_seen_run"]) == (before["NIM004"]["id"], run1, run2)
    gone, kept = after["NIM003"], after["NIM005"]
    assert not gone["active"] and gone["withdrawn_at"] is not None and gone["last_seen_run"] == run1
    assert gone["withdrawal"].startswith("not listed by fake in 1 healthy search(es)")
    assert kept == before["NIM005"]  # DK was not searched successfully: nothing withdrawn there
    assert after["NEW1"]["first_seen_run"] == run2 and after["NEW1"]["active"]
    for key in set(before) - {"NIM003", "NIM004", "NIM005"}:
        assert after[key]["content_hash"] == before[key]["content_hash"] and after[key]["last_seen_run"] == run2
    # Listed again: active again, as a change.
    _, back = _refresh(store, _result(datetime(2026, 11, 22, tzinfo=UTC), not_modified=True), rules=AT_ONCE)
    assert (back.new, back.changed, back.gone) == (0, 2, 1)  # NIM003 back, NIM004 retitled back; NEW1 gone
    rows = _finding_rows(store)
    assert rows["NIM003"]["active"] and rows["NIM003"]["withdrawn_at"] is None
    assert rows["NIM003"]["withdrawal"] is None and rows["NIM003"]["missing_runs"] == 0
    # Under the default rules an absence is first pending: the row stays active, only its absence is noted.
    _, later = _refresh(store, _result(datetime(2026, 11, 23, tzinfo=UTC), not_modified=True, drop=("NIM003",)))
    assert (later.gone, later.pending) == (0, 1)
    pending = _finding_rows(store)["NIM003"]
    assert pending["active"] and pending["missing_since"] is not None and pending["missing_runs"] == 1
    assert rows["NIM004"]["content_hash"] == before["NIM004"]["content_hash"]


def test_fetch_rows_are_stored_as_sqlalchemy_stores_them(store):
    """The writer's plain INSERT gives the bytes the ORM's table insert gave (values and storage types)."""
    fr = _page(1, datetime(2026, 11, 21, 9, 30, 1, 5, tzinfo=UTC), not_modified=True)
    run = _start_run(store, "refresh")
    with store.engine.begin() as conn:
        writer = FindingsWriter(conn, "fake", run, datetime.now(UTC))
        ours = writer.fetch_id(fr)
        assert writer.fetch_id(fr) == ours  # one row per response
        reference = conn.execute(tables.Fetch.__table__.insert().values(
            run_id=run, source=fr.source, method=fr.method, url=fr.url, final_url=fr.final_url,
            request=json.dumps(fr.request, sort_keys=True, default=str), request_key=fr.request_key,
            status_code=fr.status_code, retrieved_at=fr.retrieved_at, sha256=fr.sha256, size=fr.size,
            content_type=fr.content_type, etag=fr.etag, last_modified=fr.last_modified,
            archive_path=fr.archive_path, not_modified=fr.not_modified,
        )).inserted_primary_key[0]
        columns = [c.name for c in tables.Fetch.__table__.columns if c.name != "id"]
        sql = f"SELECT {', '.join(columns)}, {', '.join(f'typeof({c})' for c in columns)} FROM fetch WHERE id = ?"
        assert conn.exec_driver_sql(sql, (ours,)).one() == conn.exec_driver_sql(sql, (reference,)).one()


@settings(max_examples=200, deadline=None)
@given(st.sets(st.integers(min_value=1, max_value=3000), max_size=1500), st.sampled_from([2, 3, 7, 500]))
def test_id_conditions_select_exactly_the_ids(ids, limit):
    import sqlite3

    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(3001)])
    found: list[int] = []
    for where, params in findings_writer._id_conditions(sorted(ids), "?", limit):
        assert len(params) <= limit and where.count("?") == len(params)
        found += [i for (i,) in con.execute(f"SELECT id FROM t WHERE {where}", params)]
    assert sorted(found) == sorted(ids)  # each id once
