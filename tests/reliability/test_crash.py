"""Crashes and a broken store: SIGKILL mid-refresh, two refreshes at once, corrupt or unreadable
databases, and an older schema migrated without losing rows.

The refreshes here are real processes (`python -m compliance.cli refresh`) against the local
server serving the CONSTRUCTED eurlex fixtures slowly, so that a kill can land anywhere: while
fetching, while writing the source's transaction, while snapshotting assessments.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import harness
from .server import FaultServer, Good

MEASURE = "thb-directive-2011-36"
SEED = 20261122
KILLS = 8
OLD_TITLE = "Strafrechtsänderungsgesetz 2013".encode()
NEW_TITLE = "Strafrechtsänderungsgesetz 2013 (berichtigt)".encode()


def _eurlex_routes(server: FaultServer, nim: bytes) -> None:
    from urllib.parse import parse_qs

    def answer(req) -> Good:  # noqa: ANN001
        query = parse_qs(req.query).get("query", [""])[0]
        if "measure_national_implementing" in query:
            return Good(nim, "application/sparql-results+json")
        name = ("amends_32011L0036_constructed.json" if "resource_legal_amends_resource_legal" in query
                else "acts_32011L0036_constructed.json")
        return Good(harness.fixture("eurlex", name), "application/sparql-results+json")

    server.routes.clear()
    server.route(r"^GET /sparql", answer)


@pytest.fixture
def slow_server(tmp_path):
    with FaultServer() as server:
        _eurlex_routes(server, harness.fixture("eurlex", "nim_32011L0036_constructed.json"))
        yield server


def _env(state: Path, server: FaultServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env.update({"COMPLIANCE_STATE_DIR": str(state), "COMPLIANCE_ENDPOINT_EURLEX_SPARQL": server.url("/sparql")})
    if os.environ.get("COMPLIANCE_DB_URL"):
        env["COMPLIANCE_DB_URL"] = os.environ["COMPLIANCE_DB_URL"]
    return env


def _refresh_cmd() -> list[str]:
    return [sys.executable, "-m", "compliance.cli", "refresh", "--source", "eurlex", "--measure", MEASURE]


def _eurlex_findings(db: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT key, content_hash FROM finding WHERE source = 'eurlex' AND active = 1").fetchall()
    return set(rows)


def _integrity(db: Path) -> str:
    # Read-write, as the next run opens it: a killed writer may leave a hot rollback journal,
    # which SQLite rolls back on that open (a read-only connection cannot, and refuses).
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_sigkill_at_random_points_leaves_a_consistent_store(slow_server, tmp_path, isolated_state):
    harness.write_config(tmp_path / "compliance.toml", timeout=10, max_retries=0)
    env = _env(isolated_state, slow_server)
    done = subprocess.run(_refresh_cmd(), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    db = isolated_state / "compliance.db"
    old = _eurlex_findings(db)
    assert len(old) >= 5

    # From now on the service lists a corrected title: a complete refresh gives the "new" set.
    new_nim = harness.fixture("eurlex", "nim_32011L0036_constructed.json").replace(OLD_TITLE, NEW_TITLE)
    assert new_nim != harness.fixture("eurlex", "nim_32011L0036_constructed.json")
    _eurlex_routes(slow_server, new_nim)
    slow_server.delay = 0.15
    started = time.monotonic()
    probe = subprocess.run(_refresh_cmd(), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    span = time.monotonic() - started
    assert probe.returncode == 0, probe.stderr
    new = _eurlex_findings(db)
    assert new != old and len(new) == len(old)

    # Back to the old answer, then kill refreshes that would write the new one at random moments.
    _eurlex_routes(slow_server, harness.fixture("eurlex", "nim_32011L0036_constructed.json"))
    done = subprocess.run(_refresh_cmd(), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and _eurlex_findings(db) == old
    _eurlex_routes(slow_server, new_nim)
    rng = random.Random(SEED)
    outcomes = []
    for _ in range(KILLS):
        proc = subprocess.Popen(_refresh_cmd(), env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, span * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert _integrity(db) == "ok"
        now = _eurlex_findings(db)
        assert now in (old, new), "a source's findings are either the old or the new set, never a mix"
        outcomes.append("new" if now == new else "old")
        if now == new:  # start the next kill from the old set again
            _eurlex_routes(slow_server, harness.fixture("eurlex", "nim_32011L0036_constructed.json"))
            slow_server.delay = 0
            assert subprocess.run(_refresh_cmd(), env=env, cwd=tmp_path, capture_output=True,
                                  timeout=120).returncode == 0
            slow_server.delay = 0.15
            _eurlex_routes(slow_server, new_nim)

    # The lock died with the process: the next refresh runs and completes.
    slow_server.delay = 0
    done = subprocess.run(_refresh_cmd(), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _eurlex_findings(db) == new and _integrity(db) == "ok"
    print("killed runs left:", outcomes)  # for the record (-s)
    assert len(outcomes) == KILLS


def test_second_refresh_is_refused_while_the_first_runs(slow_server, tmp_path, isolated_state):
    harness.write_config(tmp_path / "compliance.toml", timeout=10, max_retries=0)
    env = _env(isolated_state, slow_server)
    slow_server.delay = 0.8
    first = subprocess.Popen(_refresh_cmd(), env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        lock = isolated_state / "refresh.lock"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if lock.exists() and lock.read_text().strip() == str(first.pid):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the first refresh never took the lock")
        second = subprocess.run(_refresh_cmd(), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert second.returncode == 5  # refused by the lock (README: exit codes)
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "another refresh is running" in lines[0] and str(first.pid) in lines[0]
        assert "Traceback" not in second.stderr
    finally:
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err


# --- a corrupt or unreadable database --------------------------------------------------------------


def _good_db(run_cli) -> bytes:  # noqa: ANN001
    """A real store with a run in it (seeded eurlex findings), as bytes."""
    from compliance.config.settings import load_settings

    harness.seed(harness.setup_for("eurlex"))
    path = Path(load_settings().db_url.removeprefix("sqlite:///"))
    return path.read_bytes()


def _assert_refused(run_cli, target: Path) -> None:  # noqa: ANN001
    before = target.read_bytes() if target.is_file() else None
    for args in (("check", "-m", "DK"), ("refresh", "--source", "eurlex", "--measure", MEASURE), ("sources",),
                 ("diff", "--since", "7d"), ("export", "-m", "DK", "--out", "bundle")):
        code, out, err = run_cli(*args)
        assert code == 3, (args, out, err)
        assert "Traceback" not in out + err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, err)
        if before is not None:
            assert target.read_bytes() == before, f"{args}: the database was written to"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zeroed-header"])
def test_corrupt_database_is_refused_and_never_overwritten(damage, run_cli, isolated_state, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_EURLEX_SPARQL", "http://127.0.0.1:9/sparql")
    good = _good_db(run_cli)
    db = isolated_state / "compliance.db"
    if damage == "garbage":
        db.write_bytes(random.Random(SEED).randbytes(len(good)))
    elif damage == "truncated":
        db.write_bytes(good[: len(good) // 3])
    else:
        db.write_bytes(b"\0" * 100 + good[100:])
    _assert_refused(run_cli, db)


def test_database_path_that_is_a_directory(run_cli, isolated_state):
    (isolated_state / "compliance.db").mkdir(parents=True)
    _assert_refused(run_cli, isolated_state / "compliance.db")
    assert (isolated_state / "compliance.db").is_dir()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="running as root: permission 000 does not stop root from reading the file")
def test_unreadable_database(run_cli, isolated_state):
    good = _good_db(run_cli)
    db = isolated_state / "compliance.db"
    db.chmod(0)
    try:
        _assert_refused(run_cli, db)
    finally:
        db.chmod(0o600)
    assert db.read_bytes() == good


# --- an older schema ----------------------------------------------------------------------------


def test_store_at_revision_0001_is_migrated_without_losing_rows(tmp_path, run_cli, isolated_state):
    from importlib import resources

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from compliance.store.engine import HEAD_REVISION, Store

    db = isolated_state / "compliance.db"
    db.parent.mkdir(parents=True)
    url = f"sqlite:///{db}"
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("compliance") / "store" / "migrations"))
    engine = create_engine(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    # Rows as release 0001 wrote them: a run, a fetch, a finding and its coverage.
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'digest_delivery'").fetchone() is None
        conn.execute("INSERT INTO refresh_run (id, kind, started_at, finished_at, status, summary) "
                     "VALUES (1, 'refresh', '2026-11-01 08:00:00', '2026-11-01 08:05:00', 'ok', '{}')")
        conn.execute("INSERT INTO fetch (id, run_id, source, method, url, final_url, request, request_key, "
                     "status_code, retrieved_at, sha256, size, content_type, archive_path, not_modified) VALUES "
                     "(1, 1, 'eurlex', 'GET', 'https://example.org/q', 'https://example.org/q', '{}', 'k', 200, "
                     "'2026-11-01 08:01:00', :sha, 2, 'application/json', 'ab/cd/x', 0)", {"sha": "a" * 64})
        conn.execute("INSERT INTO finding (id, source, key, kind, measure_id, celex, member_state, date, title, "
                     "reference, url, stage, data, content_hash, fetch_id, active, first_seen_run, last_seen_run, "
                     "first_seen_at, last_seen_at) VALUES (1, 'eurlex', '72011L0036SWE_1', 'national-measure', "
                     "'thb-directive-2011-36', '72011L0036SWE_1', 'SE', '2013-04-01', 'Lag (2013:1)', NULL, "
                     "'https://example.org/se', NULL, '{}', 'h', 1, 1, 1, 1, '2026-11-01 08:02:00', "
                     "'2026-11-01 08:02:00')")
        conn.execute("INSERT INTO coverage (run_id, source, measure_id, member_state, status, reason, checked_at, "
                     "fetch_id) VALUES (1, 'eurlex', 'thb-directive-2011-36', '*', 'ok', 'r', "
                     "'2026-11-01 08:03:00', 1)")
    old_bytes = db.read_bytes()
    counts = {}
    with sqlite3.connect(db) as conn:
        for table in ("refresh_run", "fetch", "finding", "coverage"):
            counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608

    store = Store.open(url)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        for table, n in counts.items():
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == n, table  # noqa: S608
        # 0003: the finding is not pending, nothing says why it would have been withdrawn, the fetch has no warning.
        assert conn.execute(text("SELECT active, missing_since, missing_runs, withdrawal FROM finding")).one() == \
            (1, None, 0, None)
        assert conn.execute(text("SELECT warning FROM fetch")).scalar() is None
    store.engine.dispose()
    backups = list(db.parent.glob("compliance.db.pre-0001-*.bak"))
    assert len(backups) == 1 and backups[0].read_bytes() == old_bytes
    (ev,) = [e for e in Store.open(url).evidence(["SE"]) if e.measure_id == "thb-directive-2011-36"]
    assert ev.title == "Lag (2013:1)" and ev.sha256 == "a" * 64
    code, out, err = run_cli("check", "-m", "SE", "--measure", "thb-directive-2011-36", "--format", "json",
                             "--as-of", "2026-11-22")
    assert code in (0, 1), err
    assert '"Lag (2013:1)"' in out
