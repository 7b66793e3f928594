"""`compliance schedule run|show|crontab`: the built-in scheduler, its jobs, or the same
schedule for system cron and systemd timers."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import click

from .. import verbosity
from ..cli import _settings, _write, common_options, output_option


@click.group()
def schedule() -> None:
    """Refresh and send digests on the cron expressions of [schedule] in the config."""


LOG_LEVELS = {"debug": verbosity.DEBUG, "info": verbosity.VERBOSE, "warning": verbosity.NORMAL,
              "error": verbosity.QUIET}


@schedule.command("run")
@click.option("--log-level", type=click.Choice(list(LOG_LEVELS)), default=None,
              help="Log level (default info: one line per job run; debug adds every HTTP request; "
              "-q is error, -v info, -vv debug).")
@common_options
def run(log_level, config_file, catalogues) -> None:  # noqa: ANN001
    """Keep running: refresh and send digests when [schedule] says. SIGTERM or Ctrl-C stops it
    cleanly (a running job is let finish). Logs go to stderr, one line per job run."""
    from ..scheduler import run_forever

    chosen = LOG_LEVELS[log_level] if log_level else (
        verbosity.level() if verbosity.level() != verbosity.NORMAL else verbosity.VERBOSE)
    verbosity.set_level(chosen, timestamps=True)
    settings = _settings(config_file, catalogues)
    sys.exit(run_forever(settings))


def _stored_next_runs(settings) -> dict[str, str | None]:  # noqa: ANN001
    """next_run_time of each job in the job store, read without unpickling the jobs."""
    from datetime import UTC, datetime

    from sqlalchemy import inspect, text

    from ..scheduler import JOBSTORE_TABLE
    from ..store import Store

    store = Store.open(settings.db_url)
    with store.engine.connect() as conn:
        if JOBSTORE_TABLE not in inspect(conn).get_table_names():
            return {}
        rows = conn.execute(text(f"SELECT id, next_run_time FROM {JOBSTORE_TABLE}")).all()
    return {
        job_id: datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts is not None else None
        for job_id, ts in rows
    }


@schedule.command("show")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@output_option("Write to FILE instead of stdout.")
@common_options
def show(fmt, output, config_file, catalogues) -> None:  # noqa: ANN001
    """List the configured jobs and their next run times."""
    from ..scheduler import job_specs, next_fire_times

    settings = _settings(config_file, catalogues)
    section = settings.file.schedule
    specs = job_specs(settings)
    stored = _stored_next_runs(settings)
    fires = {spec.id: next_fire_times(spec) for spec in specs}
    jobs = [
        {
            "id": spec.id, "cron": spec.cron.expression, "timezone": section.timezone,
            "next_runs": [f.at.isoformat() for f in fires[spec.id]],
            "dst_notes": [f.note for f in fires[spec.id] if f.note],
            "stored_next_run": stored.get(spec.id),
        }
        for spec in specs
    ]
    orphans = sorted(set(stored) - {s.id for s in specs})
    if fmt == "json":
        _write(json.dumps({"jobs": jobs, "stored_only": orphans, "misfire_grace_time": section.misfire_grace_time},
                          indent=2) + "\n", output)
        return
    lines = [] if jobs else ["no jobs: set [schedule] refresh and/or digest to a cron expression"]
    for job in jobs:
        lines.append(f"{job['id']}: {job['cron']} ({job['timezone']})")
        lines.append("  next runs: " + ", ".join(job["next_runs"]))
        lines += [f"  note: {note}" for note in job["dst_notes"]]
        if job["stored_next_run"]:
            lines.append(f"  job store (scheduler): next run {job['stored_next_run']}")
    for orphan in orphans:
        lines.append(f"{orphan}: in the job store but not in [schedule]; `schedule run` removes it")
    if lines:
        _write("\n".join(lines) + "\n", output)


def _command() -> str:
    script = Path(sys.executable).parent / "compliance"
    return shlex.quote(str(script)) if script.exists() else f"{shlex.quote(sys.executable)} -m compliance.cli"


@schedule.command("crontab")
@output_option("Write to FILE instead of stdout.")
@common_options
def crontab(output, config_file, catalogues) -> None:  # noqa: ANN001
    """Print the crontab lines, and a systemd service + timer pair per job, equivalent to
    [schedule], for people who prefer system cron."""
    from ..scheduler import job_specs, on_calendar

    settings = _settings(config_file, catalogues)
    section = settings.file.schedule
    specs = job_specs(settings)
    if not specs:
        _write("# no jobs: set [schedule] refresh and/or digest to a cron expression\n", output)
        return
    cwd = shlex.quote(str(Path.cwd()))
    config = f" --config {shlex.quote(str(settings.config_path.resolve()))}" if settings.config_path else ""
    commands = {"refresh": f"{_command()} refresh{config}", "digest": f"{_command()} digest --send{config}"}
    out = [
        f"# crontab (crontab -e). Times are in {section.timezone}: cronie honours CRON_TZ; other crons use",
        "# the system time zone. The SMTP password must be in the environment (COMPLIANCE_SMTP_PASSWORD).",
        f"CRON_TZ={section.timezone}",
    ]
    # "%" ends a crontab command line: escape it.
    out += [f"{spec.cron.expression} cd {cwd} && {commands[spec.id]}".replace("%", "\\%") for spec in specs]
    for spec in specs:
        out += [
            "",
            f"# --- /etc/systemd/system/compliance-{spec.id}.service",
            "[Unit]",
            f"Description=compliance {spec.id}",
            "Wants=network-online.target",
            "After=network-online.target",
            "",
            "[Service]",
            "Type=oneshot",
            f"WorkingDirectory={Path.cwd()}",
            "# COMPLIANCE_SMTP_PASSWORD=... in a file only the service user can read:",
            "EnvironmentFile=-/etc/compliance/env",
            f"ExecStart={commands[spec.id]}",
            "",
            f"# --- /etc/systemd/system/compliance-{spec.id}.timer",
            "[Unit]",
            f"Description=compliance {spec.id} ({spec.cron.expression})",
            "",
            "[Timer]",
            f"OnCalendar={on_calendar(spec.cron, section.timezone)}",
            "Persistent=true",
            "",
            "[Install]",
            "WantedBy=timers.target",
        ]
    out += ["", "# then: systemctl daemon-reload && systemctl enable --now "
            + " ".join(f"compliance-{s.id}.timer" for s in specs)]
    _write("\n".join(out) + "\n", output)
