"""The store against a real PostgreSQL: schema, a full refresh and a check.

Runs when COMPLIANCE_TEST_PG_URL names a database (`.ci/run` starts one with
.ci/postgres.sh); skipped otherwise, with the reason. The database's public schema is wiped
before each test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from compliance.catalogue.load import load
from compliance.clock import utcnow
from compliance.config.settings import load_settings
from compliance.refresh.run import run_refresh
from compliance.store import tables
from compliance.store.engine import HEAD_REVISION, Store

from .test_refresh import fake  # noqa: F401 - the fake source fixture

PG_URL = os.environ.get("COMPLIANCE_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="COMPLIANCE_TEST_PG_URL not set (no PostgreSQL to test against)")


@pytest.fixture
def pg(monkeypatch):
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    monkeypatch.setenv("COMPLIANCE_DB_URL", PG_URL)
    return PG_URL


def test_schema_is_created_and_matches_the_models(pg):
    store = Store.open(pg)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        insp = inspect(conn)
        for table in tables.SQLModel.metadata.sorted_tables:
            assert {c["name"] for c in insp.get_columns(table.name)} == {c.name for c in table.columns}
    Store.open(pg)  # reopening an up-to-date store is a no-op


def test_full_refresh_and_check_on_postgres(pg, fake, run_cli):  # noqa: F811
    settings = load_settings()
    assert settings.db_url == pg
    summary = run_refresh(settings, load(), Store.open(pg))
    assert summary.status == "ok" and summary.sources[0].new == 1
    again = run_refresh(settings, load(), Store.open(pg))
    assert again.sources[0].new == 0 and again.sources[0].changed == 0
    code, out, err = run_cli("check", "-m", "SE", "--measure", "thb-directive-2024-1712", "--format", "json",
                             "--as-of", utcnow().date().isoformat())
    assert code == 0, err
    (a,) = json.loads(out)[0]["assessments"]
    assert a["status"] == "met" and a["evidence"][0]["sha256"] and a["evidence"][0]["retrieved_at"]
    code, out, _ = run_cli("sources", "--format", "json")
    assert json.loads(out)["sources"][0]["last_status"] == "ok"


# --- a real source, faults, the lock and crashes on PostgreSQL ----------------------------------


def _pg_findings(url: str) -> set[tuple[str, str]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT key, content_hash FROM finding WHERE source = 'eurlex' AND active")).all()
    engine.dispose()
    return {tuple(r) for r in rows}


@pytest.fixture
def eurlex_replay(monkeypatch):
    """The CONSTRUCTED eurlex fixtures served by the reliability harness's local server."""
    from .reliability.harness import setup_for, write_config
    from .reliability.server import FaultServer

    with FaultServer() as server:
        setup = setup_for("eurlex")
        setup.good(server)
        monkeypatch.setenv("COMPLIANCE_ENDPOINT_EURLEX_SPARQL", server.url("/eurlex/eurlex_sparql"))
        write_config(Path("compliance.toml"), timeout=10, max_retries=0)
        yield server


def test_eurlex_refresh_and_check_on_postgres(pg, eurlex_replay, run_cli):
    code, out, err = run_cli("refresh", "--source", "eurlex", "--measure", "thb-directive-2011-36", "--format", "json")
    assert code == 0, err
    (summary,) = json.loads(out)["sources"]
    assert summary["status"] == "ok" and summary["new"] >= 5
    findings = _pg_findings(pg)
    code, out, err = run_cli("check", "-m", "DE", "-m", "SE", "--measure", "thb-directive-2011-36", "--format", "json",
                             "--as-of", utcnow().date().isoformat())
    assert code == 1, err  # SE: searched, nothing notified, long overdue
    # (as of today: a past --as-of would judge the evidence as it stood then, before this refresh)
    de, se = json.loads(out)
    assert de["assessments"][0]["status"] == "met-late" and de["assessments"][0]["evidence"][0]["sha256"]
    assert se["assessments"][0]["status"] == "overdue"

    # A failing CELLAR keeps every finding and makes nothing overdue or met that was not.
    eurlex_replay.routes.clear()
    eurlex_replay.default = "http-502"
    code, out, _ = run_cli("refresh", "--source", "eurlex", "--measure", "thb-directive-2011-36")
    assert code == 4 and "eurlex: failed: " in out
    assert _pg_findings(pg) == findings


def test_refresh_lock_on_postgres(pg, fake, run_cli, isolated_state):  # noqa: F811
    from compliance.refresh.run import refresh_lock

    with refresh_lock(isolated_state):
        code, _, err = run_cli("refresh")
    assert code == 5 and "another refresh is running" in err
    assert run_cli("refresh")[0] == 0


def test_sigkill_mid_refresh_on_postgres(pg, eurlex_replay, run_cli, isolated_state, tmp_path):
    import random
    import signal
    import subprocess
    import sys
    import time

    from .reliability.harness import fixture
    from .reliability.server import Good

    assert run_cli("refresh", "--source", "eurlex", "--measure", "thb-directive-2011-36")[0] == 0
    old = _pg_findings(pg)
    # The killed runs are served a corrected title: each leaves the old set or the new one, never a mix.
    nim = fixture("eurlex", "nim_32011L0036_constructed.json")
    new_nim = nim.replace("Strafrechtsänderungsgesetz 2013".encode(), "Strafrechtsänderungsgesetz 2013 (b)".encode())
    assert new_nim != nim
    eurlex_replay.route(r"measure_national_implementing", Good(new_nim, "application/sparql-results+json"))
    eurlex_replay.routes.insert(0, eurlex_replay.routes.pop())
    env = {k: v for k, v in os.environ.items()}
    cmd = [sys.executable, "-m", "compliance.cli", "refresh", "--source", "eurlex", "--measure",
           "thb-directive-2011-36"]
    eurlex_replay.delay = 0.2
    rng = random.Random(977)
    seen = []
    for _ in range(3):
        proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        seen.append(_pg_findings(pg))
    eurlex_replay.delay = 0
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    final = _pg_findings(pg)
    assert final != old and len(final) == len(old)
    assert all(s in (old, final) for s in seen), "a killed run left a mix of the old and the new findings"
    code, out, _ = run_cli("check", "-m", "AT", "--measure", "thb-directive-2011-36", "--format", "json")
    assert "(b)" in out  # the completed refresh stored the new title
