"""The scheduler: cron expressions read as cron reads them, jobs firing (fast interval trigger),
the job store in the same database, overlapping refreshes refused, SIGTERM/SIGINT shutdown,
`schedule show` and `schedule crontab`."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from compliance.config.settings import load_settings
from compliance.delivery.schedule import (
    build_scheduler,
    digest_job,
    job_specs,
    next_fire_times,
    on_calendar,
    parse_cron,
    refresh_job,
    sync_jobs,
    timezone,
    trigger,
)
from compliance.errors import ConfigError
from compliance.refresh.run import refresh_lock
from compliance.store import tables
from compliance.store.engine import Store

from .mailserver import free_port, start_smtp
from .series import fake_fixture  # noqa: F401 - fixture

SUNDAY = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # a Sunday


def _write_config(tmp_path: Path, schedule: str, extra: str = "") -> Path:
    path = tmp_path / "compliance.toml"
    path.write_text(f"[schedule]\n{schedule}\n{extra}")
    return path


def test_configured_cron_triggers_compute_the_expected_fire_times(tmp_path):
    path = _write_config(tmp_path, 'refresh = "0 6 * * *"\ndigest = "0 7 * * 1"\ntimezone = "Europe/Brussels"',
                         '[smtp]\nhost = "127.0.0.1"\nfrom = "a@example.org"\nto = ["b@example.org"]\n')
    refresh, digest = job_specs(load_settings(path))
    assert [t.at.isoformat() for t in next_fire_times(refresh, 3, SUNDAY)] == [
        "2026-11-23T06:00:00+01:00", "2026-11-24T06:00:00+01:00", "2026-11-25T06:00:00+01:00"]
    # Day of week 1 is Monday, as in cron (APScheduler 3's own from_crontab would say Tuesday).
    fires = [f.at for f in next_fire_times(digest, 2, SUNDAY)]
    assert [t.isoformat() for t in fires] == ["2026-11-23T07:00:00+01:00", "2026-11-30T07:00:00+01:00"]
    assert {t.strftime("%A") for t in fires} == {"Monday"}
    assert refresh.args == (str(path.resolve()),)


@pytest.mark.parametrize(("expression", "weekdays"), [
    ("0 7 * * 0", {"Sunday"}),
    ("0 7 * * 7", {"Sunday"}),
    ("0 7 * * 1-5", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}),
    ("0 7 * * sat,sun", {"Saturday", "Sunday"}),
    ("0 7 * * 5-7", {"Friday", "Saturday", "Sunday"}),
    ("0 7 * * */3", {"Sunday", "Wednesday", "Saturday"}),
])
def test_day_of_week_is_read_as_cron_reads_it(expression, weekdays):
    t = trigger(parse_cron(expression), timezone("UTC"))
    fires, previous, now = [], None, SUNDAY
    for _ in range(14):
        previous = now = t.get_next_fire_time(previous, now)
        fires.append(now)
    assert {f.strftime("%A") for f in fires} == weekdays


def test_daylight_saving_time_is_followed():
    t = trigger(parse_cron("0 6 * * *"), timezone("Europe/Brussels"))
    fire = t.get_next_fire_time(None, datetime(2027, 3, 27, 12, tzinfo=UTC))
    assert fire.isoformat() == "2027-03-28T06:00:00+02:00"


@pytest.mark.parametrize(("expression", "message"), [
    ("0 6 * *", "five fields"),
    ("0 6 1 * 1", "not both"),
    ("0 6 * * 8", "not a day of the week"),
    ("0 25 * * *", "higher than the maximum value"),
    ("0 6 * * 5-2", "runs backwards"),
])
def test_bad_cron_expressions(expression, message):
    with pytest.raises(ConfigError, match=message):
        trigger(parse_cron(expression), timezone("UTC"))


def test_schedule_config_errors_are_one_line(run_cli, tmp_path):
    _write_config(tmp_path, 'refresh = "0 6 * *"')
    code, _, err = run_cli("schedule", "show")
    assert code == 2 and "five fields" in err and "Traceback" not in err
    _write_config(tmp_path, 'refresh = "0 6 * * *"\ntimezone = "Mars/Olympus"')
    code, _, err = run_cli("schedule", "show")
    assert code == 2 and "not a known time zone" in err
    _write_config(tmp_path, 'refresh = "0 6 * * *"\nevery = "day"')
    code, _, err = run_cli("schedule", "show")
    assert code == 2 and "schedule.every" in err
    _write_config(tmp_path, 'digest = "0 7 * * 1"')
    code, _, err = run_cli("schedule", "run")
    assert code == 2 and "nowhere to send" in err
    _write_config(tmp_path, "")
    code, _, err = run_cli("schedule", "run")
    assert code == 2 and "set refresh and/or digest" in err


# -- firing ---------------------------------------------------------------------------------------------


def _wait_for(predicate, timeout: float = 15.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _runs(store: Store) -> list[tables.RefreshRun]:
    with store.session() as s:
        return list(s.execute(select(tables.RefreshRun)).scalars())


def test_scheduler_fires_the_refresh_job_with_a_fast_clock(fake):
    from apscheduler.triggers.interval import IntervalTrigger

    settings = load_settings()
    store = Store.open(settings.db_url)
    scheduler = build_scheduler(settings)
    scheduler.start()
    try:
        scheduler.add_job("compliance.scheduler:refresh_job", IntervalTrigger(seconds=0.3), args=(None,),
                          id="refresh", replace_existing=True)
        assert _wait_for(lambda: len([r for r in _runs(store) if r.status == "ok"]) >= 2)
        job = scheduler.get_job("refresh")
        assert (job.coalesce, job.max_instances) == (True, 1)
    finally:
        scheduler.shutdown(wait=True)
    assert store.evidence(["SE"])[0].url == "https://example.org/se/1"
    with store.engine.connect() as conn:  # the job store lives in the same database
        assert "apscheduler_jobs" in inspect(conn).get_table_names()


def test_overlapping_refresh_is_refused_and_logged(fake, caplog, isolated_state):
    with caplog.at_level(logging.WARNING, logger="compliance.scheduler"), refresh_lock(isolated_state):
        assert refresh_job(None) == "refused"
    assert "scheduled refresh refused: another refresh is running" in caplog.text
    assert refresh_job(None) == "ok"  # once the lock is free


def test_a_refresh_still_running_is_not_started_twice(fake, isolated_state):
    """max_instances=1: while one refresh runs, the scheduler skips the next firing; the lock
    refuses a refresh started outside the scheduler."""
    import threading

    from apscheduler.events import EVENT_JOB_MAX_INSTANCES
    from apscheduler.triggers.interval import IntervalTrigger

    import tests.fake_source as fake_source

    started = []
    release = threading.Event()
    original = fake_source.refresh

    def slow(ctx):  # noqa: ANN001
        started.append(time.monotonic())
        release.wait(timeout=20)
        return original(ctx)

    fake_source.refresh = slow
    skipped = []
    settings = load_settings()
    scheduler = build_scheduler(settings)
    scheduler.add_listener(lambda event: skipped.append(event), EVENT_JOB_MAX_INSTANCES)
    scheduler.start()
    try:
        scheduler.add_job("compliance.scheduler:refresh_job", IntervalTrigger(seconds=0.2), args=(None,),
                          id="refresh", max_instances=1, coalesce=True, replace_existing=True)
        assert _wait_for(lambda: len(skipped) >= 2)
        from compliance.refresh.run import RefreshLockedError

        with pytest.raises(RefreshLockedError), refresh_lock(isolated_state):  # a person's refresh meanwhile
            pass
        assert len(started) == 1  # the firings while it ran were skipped, not queued
    finally:
        release.set()
        scheduler.shutdown(wait=True)
        fake_source.refresh = original


def test_digest_job_sends_once(tmp_path):
    port = free_port()
    sink, controller = start_smtp(port)
    path = _write_config(tmp_path, 'digest = "0 7 * * 1"', f'[digest]\nmember_states = ["SE"]\n[smtp]\nhost = '
                         f'"127.0.0.1"\nport = {port}\nstarttls = false\nfrom = "a@example.org"\n'
                         'to = ["b@example.org"]\n')
    try:
        assert digest_job(str(path)) == "ok"
        assert digest_job(str(path)) == "ok"
    finally:
        controller.stop()
    assert len(sink.messages) == 1


def test_stored_jobs_follow_the_config(tmp_path):
    path = _write_config(tmp_path, 'refresh = "0 6 * * *"\ntimezone = "Europe/Brussels"\nmisfire_grace_time = 600')
    settings = load_settings(path)
    scheduler = build_scheduler(settings)
    scheduler.start(paused=True)
    sync_jobs(scheduler, job_specs(settings), 600)
    job = scheduler.get_job("refresh")
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 600)
    scheduler.shutdown(wait=False)
    # As if the scheduler had been down when the job was due: its stored next run is past.
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    missed = datetime(2026, 1, 1, 5, tzinfo=UTC)
    jobstore = SQLAlchemyJobStore(engine=Store.open(settings.db_url).engine, tablename="apscheduler_jobs")
    jobstore.start(BackgroundScheduler(), "default")
    stored = jobstore.lookup_job("refresh")
    stored._modify(next_run_time=missed)
    jobstore.update_job(stored)

    # Restarted with the same config: the stored job is kept, so the missed run still happens.
    scheduler = build_scheduler(settings)
    scheduler.start(paused=True)
    sync_jobs(scheduler, job_specs(settings), 600)
    assert scheduler.get_job("refresh").next_run_time == missed
    scheduler.shutdown(wait=False)

    # A changed schedule replaces it; a job no longer configured is removed.
    path = _write_config(tmp_path, 'digest = "30 7 * * 1"\nrefresh = "0 5 * * *"\ntimezone = "Europe/Brussels"',
                         '[smtp]\nhost = "127.0.0.1"\nfrom = "a@example.org"\nto = ["b@example.org"]\n')
    settings = load_settings(path)
    scheduler = build_scheduler(settings)
    scheduler.start(paused=True)
    sync_jobs(scheduler, job_specs(settings), 600)
    refresh = scheduler.get_job("refresh")
    assert refresh.next_run_time > datetime.now(UTC) and refresh.next_run_time.hour == 5
    assert {j.id for j in scheduler.get_jobs()} == {"refresh", "digest"}
    path = _write_config(tmp_path, 'digest = "30 7 * * 1"', '[smtp]\nhost = "127.0.0.1"\nfrom = "a@example.org"\n'
                         'to = ["b@example.org"]\n')
    sync_jobs(scheduler, job_specs(load_settings(path)), 600)
    assert [j.id for j in scheduler.get_jobs()] == ["digest"]
    scheduler.shutdown(wait=False)


# -- the long-running process ----------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_schedule_run_stops_cleanly_on_a_signal(tmp_path, isolated_state, sig):
    path = _write_config(tmp_path, 'refresh = "0 6 * * *"\ntimezone = "Europe/Brussels"')
    env = {**os.environ, "COMPLIANCE_STATE_DIR": str(isolated_state), "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "scheduler.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "compliance.cli", "schedule", "run", "--config", str(path)],
                                stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=tmp_path)
        try:
            assert _wait_for(lambda: "scheduler running" in log.read_text(), timeout=30), log.read_text()
            started = time.monotonic()
            proc.send_signal(sig)
            assert proc.wait(timeout=10) == 0, log.read_text()
            assert time.monotonic() - started < 5
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = log.read_text()
    assert f"received {sig.name}" in text and "scheduler stopped" in text and "Traceback" not in text
    store = Store.open(f"sqlite:///{isolated_state / 'compliance.db'}")
    with store.engine.connect() as conn:
        from sqlalchemy import text as sql

        assert conn.execute(sql("SELECT id FROM apscheduler_jobs")).scalars().all() == ["refresh"]
    with store.session() as s:
        assert s.execute(select(func.count()).select_from(tables.RefreshRun)).scalar() == 0


def test_schedule_show_and_crontab(run_cli, tmp_path):
    _write_config(tmp_path, 'refresh = "0 6 * * *"\ndigest = "0 7 * * 1"\ntimezone = "Europe/Brussels"',
                  '[smtp]\nhost = "127.0.0.1"\nfrom = "a@example.org"\nto = ["b@example.org"]\n')
    code, out, err = run_cli("schedule", "show")
    assert code == 0, err
    assert "refresh: 0 6 * * * (Europe/Brussels)" in out and "digest: 0 7 * * 1 (Europe/Brussels)" in out
    code, out, _ = run_cli("schedule", "show", "--format", "json")
    import json

    jobs = {j["id"]: j for j in json.loads(out)["jobs"]}
    monday = datetime.fromisoformat(jobs["digest"]["next_runs"][0])
    assert monday.strftime("%A %H:%M") == "Monday 07:00" and len(jobs["refresh"]["next_runs"]) == 3
    code, out, _ = run_cli("schedule", "crontab")
    assert code == 0
    assert "CRON_TZ=Europe/Brussels" in out
    state = tmp_path / "state"
    assert f" refresh --config {tmp_path / 'compliance.toml'} --state-dir {state}" in out
    assert "0 7 * * 1 " in out and f" digest --send --config {tmp_path / 'compliance.toml'} --state-dir {state}" in out
    assert " cd " not in out and "WorkingDirectory" not in out  # the jobs do not depend on a directory
    assert "OnCalendar=*-*-* 6:0:00 Europe/Brussels" in out and "OnCalendar=Mon *-*-* 7:0:00 Europe/Brussels" in out
    assert out.count("[Timer]") == 2 and out.count("Type=oneshot") == 2 and "Persistent=true" in out


@pytest.mark.parametrize("expression", ["0 6 * * *", "0 7 * * 1", "*/15 8-18 * * mon-fri", "30 2 1,15 * *",
                                        "0 0 * jan-mar 5-7", "5 4 */2 * *"])
def test_on_calendar_matches_cron(expression):
    """The OnCalendar= form fires at the same moments as the cron trigger (checked with
    systemd-analyze when it is installed)."""
    value = on_calendar(parse_cron(expression), "UTC")
    assert value.endswith(" UTC")
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed: only the form was checked")
    result = subprocess.run(["systemd-analyze", "calendar", "--iterations=5", value], capture_output=True,
                            text=True, env={**os.environ, "TZ": "UTC", "SYSTEMD_COLORS": "0"})
    assert result.returncode == 0, result.stderr
    elapses = [line.split(":", 1)[1].strip() for line in result.stdout.splitlines()
               if line.strip().startswith(("Next elapse:", "Iter. #"))]
    t = trigger(parse_cron(expression), timezone("UTC"))
    expected, previous, now = [], None, datetime.now(UTC)
    for _ in range(5):
        previous = now = t.get_next_fire_time(previous, now)
        expected.append(now.strftime("%a %Y-%m-%d %H:%M:%S UTC"))
    assert elapses == expected


# -- crontab and systemd units carry the store and the settings (issue 15) -------------------------


def _cron_commands(crontab: str) -> dict[str, str]:
    """The command of each crontab line, by the job it runs, as cron hands it to /bin/sh."""
    commands = {}
    for line in crontab.splitlines():
        fields = line.split(" ", 5)
        if len(fields) == 6 and not line.startswith("#"):
            job = "refresh" if " refresh " in fields[5] else "digest" if " digest --send " in fields[5] else None
            if job:
                commands[job] = fields[5].replace("\\%", "%")
    return commands


def test_cron_lines_run_under_env_i_with_the_store_and_settings_in_force(tmp_path, isolated_state, webhook_receiver):
    """The printed crontab lines run with an empty environment (as cron gives, `env -i`) from
    another directory: they read and write the store in force where `crontab` was printed, take
    the plain settings from the line and the secrets from the environment file, never inline."""
    import os
    import subprocess
    import sys

    from compliance.sources import SOURCES

    url, received = webhook_receiver
    config = _write_config(tmp_path, 'refresh = "0 6 * * *"\ndigest = "0 7 * * 1"\ntimezone = "UTC"',
                           '[digest]\nmember_states = ["SE"]\n')
    secret = f"{url}/hooks/S3CRET-token"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env.update(COMPLIANCE_STATE_DIR=str(isolated_state), COMPLIANCE_DIGEST_WEBHOOK=secret,
               COMPLIANCE_CONTACT="ops@example.org",
               **{f"COMPLIANCE_ENDPOINT_{e}": "http://127.0.0.1:9/closed"
                  for info in SOURCES.values() for e in info.endpoint_names})
    env_file = tmp_path / "secrets.env"
    printed = subprocess.run([sys.executable, "-m", "compliance.cli", "schedule", "crontab", "--config", str(config),
                              "--env-file", str(env_file)], env=env, cwd=tmp_path, capture_output=True, text=True,
                             timeout=60)
    assert printed.returncode == 0, printed.stderr
    out = printed.stdout
    assert "S3CRET" not in out and "COMPLIANCE_DIGEST_WEBHOOK" in out  # named, never written
    assert f"# The jobs read the store sqlite:///{isolated_state / 'compliance.db'} (COMPLIANCE_STATE_DIR)" in out
    assert out.count(f"EnvironmentFile={env_file}") == 2 and "EnvironmentFile=-" not in out
    assert out.count(f"User={os.environ.get('USER') or __import__('getpass').getuser()}") == 2
    assert out.count('Environment="COMPLIANCE_CONTACT=ops@example.org"') == 2
    assert out.count(f"--state-dir {isolated_state}") == 4  # each cron line and each ExecStart
    commands = _cron_commands(out)
    assert set(commands) == {"refresh", "digest"}
    env_file.write_text(f"COMPLIANCE_DIGEST_WEBHOOK={secret}\n", "utf-8")
    elsewhere = tmp_path / "cron-cwd"
    elsewhere.mkdir()

    def cron(job: str) -> subprocess.CompletedProcess:
        return subprocess.run(["env", "-i", "/bin/sh", "-c", commands[job]], cwd=elsewhere, capture_output=True,
                              text=True, timeout=120)

    refresh = cron("refresh")
    assert refresh.returncode == 4, refresh.stderr  # every source unreachable: failed, said so, stored
    assert "no network" in refresh.stdout
    digest = cron("digest")
    assert digest.returncode == 0, digest.stderr
    ((path, payload),) = received
    assert path == "/hooks/S3CRET-token" and payload["digest"]["member_states"] == ["SE"]
    assert payload["digest"]["store"] == f"sqlite:///{isolated_state / 'compliance.db'}"
    assert any(s["source"] == "eurlex" and s["status"] == "failed" for s in payload["digest"]["sources"])
    assert not (elsewhere / "state").exists() and list(elsewhere.iterdir()) == []


@pytest.fixture
def webhook_receiver():
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[tuple[str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook name
            received.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):  # noqa: ANN002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()
