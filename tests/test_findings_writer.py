"""findings_writer.py: the batched writer keeps the store's semantics; the content hash is the
reference one; HashedFinding carries it (and its data) unchanged."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from compliance import findings_writer, tables
from compliance.config import load_settings
from compliance.findings_writer import FindingsWriter, HashedFinding, content_hash_and_data
from compliance.refresh import _content_hash, _finish_run, _start_run
from compliance.sources.base import FoundItem
from compliance.store import Store

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
    monkeypatch.setattr(findings_writer, "content_hash_and_data",
                        lambda _item: (_ for _ in ()).throw(AssertionError("hashed again")))
    run = _start_run(store, "refresh")
    with store.engine.begin() as conn:
        writer = FindingsWriter(conn, "fake", run, datetime.now(UTC))
        writer.add(items)
    assert writer.new == 3
    assert {r.content_hash for r in _rows(store).values()} == {i.content_hash for i in items}
