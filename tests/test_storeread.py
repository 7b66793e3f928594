"""The sqlite3 reader of the `check` path (store/reader.py) gives what Store gives, and `check`
stays light: no SQLAlchemy, SQLModel, pydantic, rich, jinja2 or alembic for a JSON report."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from compliance.catalogue.load import load
from compliance.config.settings import load_settings
from compliance.refresh.run import write_source_result
from compliance.sources.base import CoverageItem, FoundItem, MetadataItem, SourceResult
from compliance.store.engine import Store
from compliance.store.plausibility import Rules
from compliance.store.reader import HEAD_REVISION, SqliteReader, open_reader

from . import fake_source


def _result(n: int, ms_cycle: tuple[str, ...] = ("SE", "DK", "DE", "EL")) -> SourceResult:
    fetch_a, fetch_b = fake_source.fetch(b"page a"), fake_source.fetch(b"page b")
    items = [
        FoundItem(key=f"72011L0036X_{i:05d}", kind="national-measure", measure_id="thb-directive-2011-36",
                  member_state=ms_cycle[i % len(ms_cycle)], celex=f"72011L0036X_{i:05d}",
                  date=date(2013, 1, 1) + timedelta(days=i) if i % 5 else None, title=f"Act {i} «ü»",
                  reference=f"MNE(2013){i:05d}" if i % 3 else None, url=None if i % 4 == 0 else f"https://x/{i}",
                  data={"i": i}, fetch=fetch_a if i % 2 else fetch_b)
        for i in range(n)
    ]
    return SourceResult(
        findings=items, fetches=[fetch_a, fetch_b],
        coverage=[CoverageItem("thb-directive-2011-36", "ok", "*", "searched", fetch_a),
                  CoverageItem("thb-directive-2024-1712", "failed", "SE", "HTTP 500", None)],
        metadata=[MetadataItem("thb-directive-2011-36", "32011L0036", {"transposition": ["2013-04-06"]}, fetch_b)],
    )


@pytest.fixture
def populated(isolated_state):
    settings = load_settings()
    store = Store.open(settings.db_url)
    run_id = 1
    from compliance.refresh.run import _finish_run, _start_run

    run_id = _start_run(store, "refresh")
    write_source_result(store, run_id, "fake", _result(60), started_at=datetime.now(UTC))
    _finish_run(store, run_id, "ok", {})
    # a second run that withdraws some findings at once (rules allowing it) and lists others with new content
    run_id = _start_run(store, "refresh")
    later = _result(40)
    for item in later.findings[:5]:
        item.title = "changed"
    write_source_result(store, run_id, "fake", later, started_at=datetime.now(UTC),
                        rules=Rules(max_share_lost=1, confirmations=1, min_days=0))
    _finish_run(store, run_id, "ok", {})
    # a third that no longer lists five more: pending withdrawal under the default rules
    run_id = _start_run(store, "refresh")
    last = _result(35)
    for item in last.findings[:5]:
        item.title = "changed"
    summary = write_source_result(store, run_id, "fake", last, started_at=datetime.now(UTC))
    assert (summary.status, summary.pending, summary.gone) == ("ok", 5, 0)
    _finish_run(store, run_id, "ok", {})
    return settings, store


def test_reader_gives_what_the_store_gives(populated):
    settings, store = populated
    reader = open_reader(settings.db_url)
    assert isinstance(reader, SqliteReader)
    for states in (None, ["SE"], ["SE", "DE", "EL"], []):
        assert reader.evidence(states) == store.evidence(states)
    assert len(store.evidence()) == 40
    assert sum(e.not_listed_since is not None for e in store.evidence()) == 5
    for when in (datetime.now(UTC), datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)):
        assert reader.evidence_as_of(["SE", "DK"], when) == store.evidence_as_of(["SE", "DK"], when)
        assert reader.coverage(until=when) == store.coverage(until=when)
    assert reader.coverage() == store.coverage()
    assert reader.act_metadata() == store.act_metadata()
    assert {e.url for e in reader.evidence()} >= {"https://example.org/api?q=1"}  # the fetch URL when none


def test_reports_are_the_same_through_either(populated):
    from compliance.render import Format, render
    from compliance.report.assembly import build_reports

    settings, store = populated
    reader = open_reader(settings.db_url)
    now = datetime(2026, 11, 22, 10, tzinfo=UTC)
    for as_of in (date(2026, 11, 22), date(2020, 1, 1)):
        targets = ["SE", "DE", "DK", "EU"]
        a = build_reports(load(), store, targets, as_of=as_of, horizon_days=90, now=now)
        b = build_reports(load(), reader, targets, as_of=as_of, horizon_days=90, now=now)
        assert render(a, Format.JSON) == render(b, Format.JSON)


def test_no_reader_for_what_the_store_must_handle(tmp_path):
    assert open_reader(f"sqlite:///{tmp_path / 'absent.db'}") is None  # created by Store.open
    assert open_reader("postgresql+psycopg://u@h/db") is None
    assert open_reader(f"sqlite:///{tmp_path}") is None  # a directory
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    assert open_reader(f"sqlite:///{garbage}") is None  # Store.open reports it
    old = tmp_path / "old.db"
    import sqlite3

    con = sqlite3.connect(old)
    con.execute("CREATE TABLE alembic_version (version_num TEXT)")
    con.execute("INSERT INTO alembic_version VALUES ('0001')")
    con.commit()
    con.close()
    assert open_reader(f"sqlite:///{old}") is None  # Store.open migrates it (with a backup)
    assert HEAD_REVISION != "0001"


def test_check_reports_an_unreadable_store_as_before(run_cli, isolated_state):
    isolated_state.mkdir(parents=True, exist_ok=True)
    (isolated_state / "compliance.db").write_bytes(b"garbage" * 1000)
    code, _, err = run_cli("check", "-m", "SE", "--format", "json")
    assert code == 3 and "cannot read the database" in err
    assert (isolated_state / "compliance.db").read_bytes() == b"garbage" * 1000


def test_check_json_imports_nothing_heavy(populated, tmp_path):
    settings, _ = populated
    code = (
        "import sys\n"
        "sys.argv = ['compliance', 'check', '-m', 'all', '--format', 'json']\n"
        "from compliance.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('sqlalchemy', 'sqlmodel', 'pydantic', 'alembic', 'jinja2', 'rich', 'httpx', 'yaml')"
        " if m in sys.modules)\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy))\n"
    )
    env = {"COMPLIANCE_STATE_DIR": str(settings.state_dir), "PATH": "/usr/bin:/bin"}
    for _ in range(2):  # the first run writes the catalogue cache; the second reads it
        proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                              check=False)
    assert json.loads(proc.stdout) and len(json.loads(proc.stdout)) == 27
    assert proc.stderr.strip().endswith("HEAVY="), proc.stderr[-500:]
