"""refresh/run.py: per-source transactions, provenance, withdrawal, failures, the lock, import."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from compliance.catalogue.load import load
from compliance.clock import utcnow
from compliance.config.settings import load_settings
from compliance.refresh.run import RefreshLockedError, refresh_lock, run_refresh
from compliance.sources import SOURCES, SourceInfo
from compliance.store import tables
from compliance.store.engine import Store

from . import fake_source


@pytest.fixture
def fake(monkeypatch):
    """Register the fake source as the only source, giving national-measure evidence."""
    info = SourceInfo("fake", "Fake source for tests", "tests.fake_source", frozenset({"national-measure"}), 14)
    saved = dict(SOURCES)
    SOURCES.clear()
    SOURCES["fake"] = info
    monkeypatch.setattr("compliance.sources.SOURCES", SOURCES)  # restored after the test too
    fake_source.BEHAVIOUR.clear()
    yield fake_source.BEHAVIOUR
    fake_source.BEHAVIOUR.clear()
    SOURCES.clear()
    SOURCES.update(saved)


@pytest.fixture
def env():
    settings = load_settings()
    return settings, load(), Store.open(settings.db_url)


def _count(store, table, *where):  # noqa: ANN001
    with store.session() as s:
        return s.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_refresh_stores_findings_with_provenance_and_snapshots(fake, env):
    settings, catalogue, store = env
    summary = run_refresh(settings, catalogue, store)
    assert summary.status == "ok" and not summary.failed
    (s,) = summary.sources
    assert (s.new, s.changed, s.gone, s.requests) == (1, 0, 0, 1)
    ev = [e for e in store.evidence(["SE"]) if e.measure_id == "thb-directive-2024-1712"]
    assert len(ev) == 1 and ev[0].sha256 and ev[0].retrieved_at and ev[0].url == "https://example.org/se/1"
    assert _count(store, tables.AssessmentSnapshot, tables.AssessmentSnapshot.run_id == summary.run_id) > 27
    assert "SE" in {r.member_state for r in _rows(store, tables.AssessmentSnapshot)}


def _rows(store, table):  # noqa: ANN001
    with store.session() as s:
        return list(s.execute(select(table)).scalars())


def test_second_refresh_unchanged_then_changed_then_gone(fake, env):
    settings, catalogue, store = env
    run_refresh(settings, catalogue, store)
    again = run_refresh(settings, catalogue, store).sources[0]
    assert (again.new, again.changed, again.gone) == (0, 0, 0)
    fake["items"] = [fake_source.nim(title="Lag (2026:1) om ändring")]
    changed = run_refresh(settings, catalogue, store).sources[0]
    assert (changed.new, changed.changed) == (0, 1)
    # An answer that lists nothing for a Member State the last healthy one listed is implausible:
    # suspect, nothing withdrawn, the finding still counts.
    fake["items"] = []
    lost = run_refresh(settings, catalogue, store)
    (s,) = lost.sources
    assert lost.failed and s.status == "suspect" and (s.gone, s.pending) == (0, 0)
    assert "lists none of the 1 finding" in s.reason and "nothing withdrawn" in s.reason
    assert len(store.evidence(["SE"])) == 1
    cov = [c for c in store.coverage() if c.measure_id == "thb-directive-2024-1712"]
    assert {c.status for c in cov} == {"ok", "suspect"}  # the earlier healthy search still stands


def test_absence_is_pending_then_confirmed(fake, env, monkeypatch):
    """One of two Swedish findings no longer listed: pending (still counts); withdrawn once absent from
    two healthy searches spanning seven days; a finding listed again is no longer pending."""
    from datetime import UTC, datetime, timedelta

    settings, catalogue, store = env
    now = [datetime(2026, 8, 1, 8, tzinfo=UTC)]
    monkeypatch.setattr("compliance.refresh.run.utcnow", lambda: now[0])
    second = fake_source.nim(key="72024L1712SWE_2", title="Förordning (2026:2)")
    fake["items"] = [fake_source.nim(), second]
    run_refresh(settings, catalogue, store)

    def absent(day: int):  # noqa: ANN202
        now[0] = datetime(2026, 8, day, 8, tzinfo=UTC)
        fake["items"] = [fake_source.nim()]
        return run_refresh(settings, catalogue, store).sources[0]

    first = absent(2)
    assert (first.status, first.pending, first.gone) == ("ok", 1, 0)
    pending = {e.key: e.not_listed_since for e in store.evidence(["SE"])}
    assert pending == {"72024L1712SWE_1": None, "72024L1712SWE_2": datetime(2026, 8, 2, 8, tzinfo=UTC)}
    again = absent(5)  # two healthy searches, three days: not yet
    assert (again.pending, again.gone) == (1, 0)
    confirmed = absent(9)  # three searches, seven days since the first
    assert (confirmed.pending, confirmed.gone) == (0, 1)
    assert [e.key for e in store.evidence(["SE"])] == ["72024L1712SWE_1"]
    row = _rows(store, tables.Finding)[1]
    assert not row.active and row.withdrawal == "not listed by fake in 3 healthy search(es) since 2026-08-02"
    assert row.withdrawn_at.replace(tzinfo=UTC) == now[0]
    # Listed again: active, nothing pending; absent once more: pending afresh, from the new date.
    now[0] += timedelta(days=1)
    fake["items"] = [fake_source.nim(), second]
    back = run_refresh(settings, catalogue, store).sources[0]
    assert (back.changed, back.pending) == (1, 0)
    relisted = absent(20)
    assert relisted.pending == 1
    assert {e.key: e.not_listed_since for e in store.evidence(["SE"])}["72024L1712SWE_2"].day == 20
    # Listed again while pending: cleared without a change of content.
    now[0] += timedelta(days=1)
    fake["items"] = [fake_source.nim(), second]
    cleared = run_refresh(settings, catalogue, store).sources[0]
    assert (cleared.changed, cleared.pending) == (0, 0)
    assert all(e.not_listed_since is None for e in store.evidence(["SE"]))


def _table(store, name: str, order: str = "id") -> list[dict]:  # noqa: ANN001
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY {order}').mappings()]


def _without(rows: list[dict], *columns: str) -> list[dict]:
    return [{c: v for c, v in r.items() if c not in columns} for r in rows]


def test_unchanged_second_refresh_stores_what_the_first_stored(fake, env):
    """Nothing changed at the source: every row of the second run is the first run's, but for what
    says which run and when (ids, run, times) and the finding's link to the run's own response."""
    settings, catalogue, store = env
    fake["items"] = [fake_source.nim(), fake_source.nim(ms="FI", key="72024L1712FIN_2", title="Laki"),
                     fake_source.nim(ms="DE", key="72024L1712DEU_3", title="Gesetz")]
    run1 = run_refresh(settings, catalogue, store).run_id
    findings1 = _table(store, "finding")
    fake["items"] = [fake_source.nim(), fake_source.nim(ms="FI", key="72024L1712FIN_2", title="Laki"),
                     fake_source.nim(ms="DE", key="72024L1712DEU_3", title="Gesetz")]
    second = run_refresh(settings, catalogue, store)
    run2 = second.run_id
    assert (second.sources[0].new, second.sources[0].changed, second.sources[0].gone) == (0, 0, 0)
    findings2 = _table(store, "finding")
    moving = ("last_seen_run", "last_seen_at", "fetch_id")
    assert _without(findings2, *moving) == _without(findings1, *moving)
    fetches = {r["id"]: r for r in _table(store, "fetch")}
    for old, new in zip(findings1, findings2, strict=True):
        assert new["last_seen_run"] == run2 and new["last_seen_at"] > old["last_seen_at"]
        assert fetches[new["fetch_id"]]["run_id"] == run2
        same_request = _without([fetches[new["fetch_id"]], fetches[old["fetch_id"]]], "id", "run_id")
        assert same_request[0] == same_request[1]
    per_run = ("id", "run_id", "checked_at", "fetch_id", "created_at")
    for table, order in (("coverage", "id"), ("assessment_snapshot", "member_state, measure_id, obligation_id")):
        rows = _table(store, table, order)
        assert _without([r for r in rows if r["run_id"] == run2], *per_run) == \
               _without([r for r in rows if r["run_id"] == run1], *per_run)
    # A change in one finding is picked up, and only there.
    fake["items"] = [fake_source.nim(), fake_source.nim(ms="FI", key="72024L1712FIN_2", title="Laki 2"),
                     fake_source.nim(ms="DE", key="72024L1712DEU_3", title="Gesetz")]
    third = run_refresh(settings, catalogue, store).sources[0]
    assert (third.new, third.changed, third.gone) == (0, 1, 0)
    findings3 = {r["key"]: r for r in _table(store, "finding")}
    assert findings3["72024L1712FIN_2"]["title"] == "Laki 2"
    assert findings3["72024L1712FIN_2"]["content_hash"] != findings2[1]["content_hash"]
    assert [findings3[r["key"]]["content_hash"] for r in (findings2[0], findings2[2])] == \
           [findings2[0]["content_hash"], findings2[2]["content_hash"]]


def test_suspect_or_failed_coverage_withdraws_nothing(fake, env):
    settings, catalogue, store = env
    run_refresh(settings, catalogue, store)
    fake["items"], fake["coverage"] = [], "suspect"
    summary = run_refresh(settings, catalogue, store)
    assert summary.failed and summary.sources[0].gone == 0
    assert len(store.evidence(["SE"])) == 1


def test_failed_source_keeps_earlier_findings_and_records_failure(fake, env):
    settings, catalogue, store = env
    run_refresh(settings, catalogue, store)
    fake["mode"] = "fail"
    summary = run_refresh(settings, catalogue, store)
    assert summary.status == "failed" and summary.sources[0].status == "failed"
    assert "HTTP 503" in summary.sources[0].reason
    assert len(store.evidence(["SE"])) == 1
    runs = store.source_runs()
    assert [r.status for r in runs] == ["ok", "failed"]


def test_a_crashing_source_is_a_failure_not_a_traceback(fake, env):
    settings, catalogue, store = env
    fake["mode"] = "crash"
    summary = run_refresh(settings, catalogue, store)
    assert summary.sources[0].status == "failed" and "RuntimeError" in summary.sources[0].reason


def test_write_failing_half_way_loses_nothing_stored_before(fake, env, monkeypatch):
    settings, catalogue, store = env
    run_refresh(settings, catalogue, store)
    before = {(r.key, r.title, r.active) for r in _rows(store, tables.Finding)}
    fake["items"] = [fake_source.nim(title="changed"), fake_source.nim(ms="FI", key="72024L1712FIN_2")]
    from sqlalchemy.exc import OperationalError

    import compliance.refresh.run as refresh_mod

    real = refresh_mod.tables.ActMetadata
    monkeypatch.setattr(refresh_mod, "_source_run", lambda *a, **k: (_ for _ in ()).throw(
        OperationalError("INSERT", {}, Exception("disk I/O error"))))
    from compliance.errors import StoreError

    with pytest.raises(StoreError, match="nothing of it was kept"):
        run_refresh(settings, catalogue, store)
    assert {(r.key, r.title, r.active) for r in _rows(store, tables.Finding)} == before
    assert real is tables.ActMetadata
    interrupted = [r for r in _rows(store, tables.RefreshRun) if r.status == "interrupted"]
    assert len(interrupted) == 1


def test_check_uses_the_refreshed_evidence(fake, env, run_cli):
    settings, catalogue, store = env
    run_refresh(settings, catalogue, store)
    code, out, err = run_cli("check", "-m", "SE", "-m", "FI", "--measure", "thb-directive-2024-1712",
                             "--format", "json", "--as-of", utcnow().date().isoformat())
    assert code == 1, err  # FI: searched, nothing found, deadline passed -> overdue
    se, fi = json.loads(out)
    (a,) = se["assessments"]
    assert a["status"] == "met" and a["evidence"][0]["sha256"] and a["evidence"][0]["retrieved_at"]
    assert a["evidence"][0]["url"] == "https://example.org/se/1"
    (b,) = fi["assessments"]
    assert b["status"] == "overdue" and b["evidence"][0]["kind"] == "search"


def test_two_refreshes_never_run_at_once(fake, env):
    settings, catalogue, store = env
    with refresh_lock(settings.state_dir), pytest.raises(RefreshLockedError, match="another refresh is running"):
        run_refresh(settings, catalogue, store)


def test_cli_refresh_exit_codes_and_summary(fake, run_cli):
    code, out, _ = run_cli("refresh", "--format", "json")
    assert code == 0 and json.loads(out)["sources"][0]["new"] == 1
    fake["mode"] = "fail"
    code, out, _ = run_cli("refresh")
    assert code == 4 and "fake: failed: HTTP 503" in out
    code, _, err = run_cli("refresh", "--source", "nope")
    assert code == 2 and "unknown source 'nope'" in err
    code, out, _ = run_cli("sources", "--format", "json")
    row = json.loads(out)["sources"][0]
    assert row["last_status"] == "failed" and row["last_success_at"] and row["last_error"]["reason"]


def test_cli_refresh_refused_while_locked(fake, run_cli, isolated_state):
    with refresh_lock(isolated_state):
        code, _, err = run_cli("refresh")
    assert code == 5 and "another refresh is running" in err  # its own exit code (README)


def test_import_dry_run_and_store(fake, run_cli, tmp_path, env):
    payload = tmp_path / "saved.json"
    payload.write_text('{"saved": true}')
    code, out, _ = run_cli("import", "--source", "fake", str(payload), "--dry-run", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["stored"] is False and data["findings"][0]["member_state"] == "FI"
    _, _, store = env
    assert store.evidence(["FI"]) == []
    code, out, _ = run_cli("import", "--source", "fake", str(payload))
    assert code == 0 and "stored: 1 new" in out
    (ev,) = store.evidence(["FI"])
    import hashlib

    assert ev.sha256 == hashlib.sha256(b'{"saved": true}').hexdigest()
    fetch = _rows(store, tables.Fetch)[0]
    assert fetch.imported_from == "saved.json" and fetch.method == "IMPORT"
    bad = tmp_path / "bad.json"
    bad.write_text("<html>")
    code, _, err = run_cli("import", "--source", "fake", str(bad))
    assert code == 2 and "bad.json: not JSON" in err
    assert date.today()  # the import does not depend on the date


def test_withdraw_command_takes_what_a_suspect_answer_could_not(fake, env, run_cli):
    settings, catalogue, store = env
    run_refresh(settings, catalogue, store)
    fake["items"] = []
    assert run_refresh(settings, catalogue, store).sources[0].status == "suspect"
    code, out, err = run_cli("withdraw", "--source", "fake", "-m", "SE", "--reason", "taken back", "--dry-run")
    assert code == 0 and "would withdraw 1 finding(s) of fake" in out and "72024L1712SWE_1" in out
    assert len(store.evidence(["SE"])) == 1
    code, out, err = run_cli("withdraw", "--source", "fake", "--reason", "x")
    assert code == 2 and "name what to withdraw" in err
    code, out, err = run_cli("withdraw", "--source", "fake", "-m", "SE", "--reason", "notification taken back",
                             "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [w["key"] for w in data["withdrawn"]] == ["72024L1712SWE_1"] and data["run_id"]
    assert store.evidence(["SE"]) == []
    (row,) = _rows(store, tables.Finding)
    assert row.withdrawal == "withdrawn by compliance withdraw: notification taken back"
    code, out, _ = run_cli("diff", "--since", "1d", "-m", "SE", "--format", "json")
    (gone,) = json.loads(out)["evidence"]["withdrawn"]
    assert gone["note"] == row.withdrawal
