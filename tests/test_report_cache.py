"""The report cache (report/cache.py): the same question asked of the same evidence is answered
with the same bytes without recomputing, and anything that could change the answer (a write to
the store, the catalogue, waivers, settings, code, the passing of time) computes it afresh."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta

import pytest

from compliance.config.settings import load_settings
from compliance.model import Coverage
from compliance.refresh.run import _finish_run, _start_run, write_source_result
from compliance.report import assembly as report_mod
from compliance.report import cache as report_cache
from compliance.sources.base import CoverageItem, FoundItem, SourceResult
from compliance.store.engine import Store

from . import fake_source

CHECK = ("check", "-m", "DE", "--format", "json", "--fail-on", "never")


def _store_findings(titles: list[str], *, coverage_at: datetime | None = None) -> None:
    """One refresh run of a fake source: a national measure per title for DE, and a search."""
    store = Store.open(load_settings().db_url)
    fetch = fake_source.fetch(b"page")
    result = SourceResult(
        findings=[FoundItem(key=f"nim-{i}", kind="national-measure", measure_id="thb-directive-2011-36",
                            member_state="DE", celex=f"72011L0036DEU_{i}", date=date(2013, 1, 1), title=title,
                            reference=None, url=f"https://gazette.example/{i}", data={"i": i}, fetch=fetch)
                  for i, title in enumerate(titles)],
        fetches=[fetch],
        coverage=[CoverageItem("thb-directive-2011-36", "ok", "*", "searched", fetch)],
    )
    run_id = _start_run(store, "refresh")
    write_source_result(store, run_id, "eurlex", result, started_at=coverage_at or datetime.now(UTC))
    _finish_run(store, run_id, "ok", {})
    store.engine.dispose()


@pytest.fixture
def computed(monkeypatch):
    """Counts the reports computed (iter_reports calls) by `check`."""
    calls = []
    real = report_mod.iter_reports

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(report_mod, "iter_reports", counting)
    return calls


def _titles(out: str) -> list[str]:
    return [e["title"] for r in json.loads(out) for a in r["assessments"] for e in a["evidence"]]


def _entries(state) -> list:  # noqa: ANN001
    folder = state / "cache" / report_cache.DIR_NAME
    return sorted(folder.glob("*.out")) if folder.exists() else []


def test_same_question_is_answered_from_the_cache_with_the_same_bytes(run_cli, computed, isolated_state):
    _store_findings(["Act 1"])
    first = run_cli(*CHECK)
    second = run_cli(*CHECK)
    assert first == second and first[0] == 0
    assert "Act 1" in _titles(first[1])
    assert len(computed) == 1  # the second answer was not recomputed
    assert len(_entries(isolated_state)) == 1


def test_exit_code_of_every_fail_on_level_is_kept(run_cli, computed):
    _store_findings(["Act 1"])
    codes = [run_cli("check", "-m", "DK", "--format", "json", "--fail-on", level)[0]
             for level in ("never", "overdue", "unknown", "never", "unknown")]
    assert codes == [0, 1, 1, 0, 1]  # Denmark: an open infringement (curated), unknown past deadlines
    assert len(computed) == 1  # one question (fail-on is not part of it), computed once


def test_a_write_to_the_store_computes_afresh(run_cli, computed):
    _store_findings(["Act 1"])
    assert "Act 2" not in _titles(run_cli(*CHECK)[1])
    _store_findings(["Act 1", "Act 2"])
    assert "Act 2" in _titles(run_cli(*CHECK)[1])
    assert len(computed) == 2


def test_another_question_waivers_or_settings_are_other_entries(run_cli, computed, tmp_path):
    _store_findings(["Act 1"])
    run_cli(*CHECK)
    run_cli("check", "-m", "DE", "--format", "csv", "--fail-on", "never")
    run_cli(*CHECK, "--horizon", "10")
    run_cli(*CHECK, "--as-of", "2025-01-01")
    assert len(computed) == 4
    waivers = tmp_path / "waivers.toml"
    waivers.write_text('[[waiver]]\nmeasure = "thb-directive-2011-36"\nmember_state = "DE"\n'
                       'reason = "pending review"\nuntil = 2099-01-01\n')
    muted = run_cli(*CHECK, "--waivers", str(waivers))[1]
    waivers.write_text('[[waiver]]\nmeasure = "prum-ii"\nmember_state = "DE"\n'
                       'reason = "pending review"\nuntil = 2099-01-01\n')
    other = run_cli(*CHECK, "--waivers", str(waivers))[1]
    assert len(computed) == 6 and muted != other
    config = tmp_path / "compliance.toml"
    config.write_text("[sources.eurlex]\nmax_age_days = 0.5\n")
    run_cli(*CHECK)  # ./compliance.toml is read: a different max_age is a different answer
    assert len(computed) == 7


def test_the_catalogue_and_the_code_are_part_of_the_question(run_cli, computed, tmp_path, monkeypatch):
    _store_findings(["Act 1"])
    run_cli(*CHECK)
    monkeypatch.setattr(report_cache, "code_fingerprint", lambda: "another release")
    run_cli(*CHECK)
    assert len(computed) == 2
    user = tmp_path / "extra.yaml"
    user.write_text('measures:\n  - id: watched-act\n    celex: 32019L0713\n    sources: ["user"]\n')
    assert run_cli(*CHECK, "--catalogue", str(user))[0] == 0
    assert len(computed) == 3
    user.write_text('measures:\n  - id: watched-act\n    celex: 32019L0712\n    sources: ["user"]\n')
    assert run_cli(*CHECK, "--catalogue", str(user))[0] == 0
    assert len(computed) == 4


def test_no_cache_flag_and_zero_size_neither_read_nor_keep(run_cli, computed, isolated_state, tmp_path):
    _store_findings(["Act 1"])
    run_cli(*CHECK, "--no-cache")
    run_cli(*CHECK, "--no-cache")
    assert len(computed) == 2 and _entries(isolated_state) == []
    (tmp_path / "compliance.toml").write_text("[check]\nreport_cache_mb = 0\n")
    run_cli(*CHECK)
    run_cli(*CHECK)
    assert len(computed) == 4 and _entries(isolated_state) == []


def test_the_answer_expires_when_time_alone_could_change_it(run_cli, computed, monkeypatch):
    _store_findings(["Act 1"])
    run_cli(*CHECK)
    run_cli(*CHECK)
    assert len(computed) == 1
    later = datetime.now(UTC) + timedelta(days=1, hours=1)
    import compliance.clock

    monkeypatch.setattr(compliance.clock, "utcnow", lambda: later)
    run_cli(*CHECK)
    assert len(computed) == 2


def test_a_damaged_entry_is_ignored_and_replaced(run_cli, computed, isolated_state):
    _store_findings(["Act 1"])
    good = run_cli(*CHECK)
    [body] = _entries(isolated_state)
    body.write_bytes(body.read_bytes()[:100])  # cut short
    assert _same_but_generated_at(run_cli(*CHECK), good)  # computed again (maybe in another second)
    body.with_suffix(".json").write_text("{not json")
    again = run_cli(*CHECK)
    assert _same_but_generated_at(again, good)
    assert len(computed) == 3
    assert run_cli(*CHECK) == again and len(computed) == 3  # rewritten, served again


def _same_but_generated_at(a: tuple, b: tuple) -> bool:
    def strip(result: tuple) -> tuple:
        code, out, err = result
        return code, [{k: v for k, v in r.items() if k != "generated_at"} for r in json.loads(out)], err

    return strip(a) == strip(b)


def test_hit_to_an_output_file(run_cli, tmp_path):
    _store_findings(["Act 1"])
    out = tmp_path / "report.json"
    run_cli(*CHECK, "--output", str(out))
    first = out.read_bytes()
    out.unlink()
    run_cli(*CHECK, "--output", str(out))
    assert out.read_bytes() == first and b"Act 1" in first


def test_store_fingerprint_refuses_a_journal_and_follows_every_write(tmp_path):
    db = tmp_path / "x.db"
    import sqlite3

    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (v)")
    con.commit()
    before = report_cache.store_fingerprint(db)
    con.execute("INSERT INTO t VALUES (1)")
    con.commit()
    after = report_cache.store_fingerprint(db)
    assert before and after and before != after
    (tmp_path / "x.db-journal").write_bytes(b"")
    assert report_cache.store_fingerprint(db) is None
    (tmp_path / "x.db-journal").unlink()
    (tmp_path / "x.db-wal").write_bytes(b"")
    assert report_cache.store_fingerprint(db) is None
    assert report_cache.store_fingerprint(tmp_path / "missing.db") is None


def test_a_commit_in_wal_mode_with_the_same_size_and_mtime_is_seen(isolated_state):
    """WAL mode: the header's change counter does not move and the -wal file is gone once the
    writer closes, so a commit that keeps the file's size and mtime left nothing in the key that
    changed. The cache must not serve a WAL-mode store at all. `check` runs as a user runs it
    (its own process, so that its connections are closed when it ends)."""
    import sqlite3
    import subprocess
    import sys

    def check() -> list[str]:
        done = subprocess.run([sys.executable, "-m", "compliance.cli", *CHECK], capture_output=True, text=True,
                              env={**os.environ, "COLUMNS": "120"}, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return _titles(done.stdout)

    _store_findings(["Act 1"])
    db = isolated_state / "compliance.db"
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    con.close()
    assert "Act 1" in check()
    st, header = os.stat(db), db.read_bytes()[:100]
    con = sqlite3.connect(db)
    con.execute("UPDATE finding SET title = 'Act 9' WHERE title = 'Act 1'")  # same length
    con.commit()
    con.close()  # the last connection: checkpointed into the file, -wal removed
    assert not (isolated_state / "compliance.db-wal").exists()
    os.utime(db, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = os.stat(db)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (st.st_size, st.st_mtime_ns, st.st_ino)
    assert db.read_bytes()[:100] == header  # nothing in the old key would have changed
    titles = check()
    assert "Act 9" in titles and "Act 1" not in titles
    assert not _entries(isolated_state)  # a WAL-mode store is never cached
    assert report_cache.store_fingerprint(db) is None


def _row(source: str, checked_at: datetime) -> Coverage:
    return Coverage(source=source, measure_id="m", member_state="*", status="ok", reason=None,
                    checked_at=checked_at, fetch_id=None)


def test_valid_until_is_the_first_change_of_freshness_age_or_date():
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

    def max_age(source: str) -> float:
        return {"a": 14.0, "b": 0.25}[source]

    midnight = datetime(2026, 3, 11, tzinfo=UTC)
    assert report_cache.valid_until(now, [], max_age) == midnight
    # checked 1 day and 21 hours ago (8 March, 15:00): its age in days goes from 1 to 2 at 15:00 today
    assert report_cache.valid_until(now, [_row("a", now - timedelta(days=1, hours=21))], max_age) == \
        datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    # fresh for 6 hours after 10:00: stale just after 16:00
    assert report_cache.valid_until(now, [_row("b", now - timedelta(hours=2))], max_age) == \
        datetime(2026, 3, 10, 16, 0, tzinfo=UTC) + timedelta(microseconds=1)


def _kept(cache: report_cache.ReportCache, data: bytes):  # noqa: ANN202
    """An output copied as it is written (Keeper), in two pieces."""
    keeper = report_cache.Keeper(cache)
    keeper.write(data[:10])
    keeper.write(data[10:])
    return keeper.close()


def test_eviction_keeps_the_cache_within_its_size(tmp_path):
    cache = report_cache.ReportCache(tmp_path, max_bytes=250)
    now = datetime.now(UTC)
    for i in range(5):
        cache.put(f"k{i}", _kept(cache, b"x" * 100), computed_at=now, until=now + timedelta(hours=1),
                  gaps={"never": False})
        os.utime(tmp_path / "reports" / f"k{i}.json", ns=(i * 10**9, i * 10**9))
    sizes = [p.stat().st_size for p in (tmp_path / "reports").glob("*.out")]
    assert sum(sizes) <= 250
    assert cache.get("k4", now) is not None and cache.get("k0", now) is None
    assert _kept(cache, b"x" * 300) is None  # larger than the whole cache: given up while written
    assert not list((tmp_path / "reports").glob(".*"))  # and its temporary file removed
