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
    from ..delivery.schedule import run_forever

    chosen = LOG_LEVELS[log_level] if log_level else (
        verbosity.level() if verbosity.level() != verbosity.NORMAL else verbosity.VERBOSE)
    verbosity.set_level(chosen, timestamps=True)
    settings = _settings(config_file, catalogues)
    sys.exit(run_forever(settings))


def _stored_next_runs(settings) -> dict[str, str | None]:  # noqa: ANN001
    """next_run_time of each job in the job store, read without unpickling the jobs."""
    from datetime import UTC, datetime

    from sqlalchemy import inspect, text

    from ..cli import existing_store
    from ..delivery.schedule import JOBSTORE_TABLE

    store = existing_store(settings)
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
    from ..delivery.schedule import job_specs, next_fire_times

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


# COMPLIANCE_* variables a job must not inherit as they are: the store and the config file are
# passed as flags, the rest are for tests and debugging.
_NOT_PASSED = frozenset({"COMPLIANCE_CONFIG", "COMPLIANCE_STATE_DIR", "COMPLIANCE_DB_URL", "COMPLIANCE_DEBUG",
                         "COMPLIANCE_REQUIRE_SAMPLES", "COMPLIANCE_TEST_PG_URL"})
_SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "WEBHOOK", "KEY", "CLIENT_ID")


def default_env_file() -> Path:
    from ..config.settings import user_config_file

    return user_config_file().parent / "env"


def job_environment(settings) -> tuple[list[str], dict[str, str], list[str]]:  # noqa: ANN001
    """What a job started by cron or systemd needs to run as this command would: (the flags
    naming the config file and the store, the plain COMPLIANCE_* variables in force, the names of
    the secrets it must read from the environment file). Secrets are named, never written."""
    import os

    from ..config.settings import redact_db_url

    flags = ["--config", str(settings.config_path.resolve())] if settings.config_path else []
    flags += [a for f in settings.catalogue_files[len(settings.file.catalogue):]
              for a in ("--catalogue", str(Path(f).resolve()))]
    flags += ["--state-dir", str(settings.state_dir)]
    secrets = []
    if settings.db_url != f"sqlite:///{settings.state_dir / 'compliance.db'}" and \
            not settings.store_origin.startswith("[store] url"):
        if redact_db_url(settings.db_url) == settings.db_url:
            flags += ["--db-url", settings.db_url]
        else:
            secrets.append("COMPLIANCE_DB_URL")  # it holds a password
    plain = {}
    for name, value in sorted(os.environ.items()):
        if not name.startswith("COMPLIANCE_") or name in _NOT_PASSED or not value:
            continue
        if any(word in name for word in _SECRET_WORDS):
            secrets.append(name)
        else:
            plain[name] = str(Path(value).resolve()) if name == "COMPLIANCE_WAIVERS" else value
    smtp = settings.file.smtp
    if smtp is not None and smtp.username and "COMPLIANCE_SMTP_PASSWORD" not in secrets:
        secrets.append("COMPLIANCE_SMTP_PASSWORD")
    return flags, plain, sorted(secrets)


def _systemd_quote(value: str) -> str:
    """A value for Environment= or ExecStart=: double-quoted, with its own quotes and backslashes
    escaped, % doubled (systemd expands %-specifiers)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


@schedule.command("crontab")
@click.option("--env-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The file the jobs read their secrets from (NAME=value lines, readable by the job's user "
              "only; default ~/.config/compliance/env). Only the names of the secrets are printed.")
@output_option("Write to FILE instead of stdout.")
@common_options
def crontab(env_file, output, config_file, catalogues) -> None:  # noqa: ANN001
    """Print the crontab lines, and a systemd service + timer pair per job, equivalent to
    [schedule], for people who prefer system cron. Each job names the config file and the store
    in force here, carries the other settings taken from the environment, and reads the secrets
    from an environment file (never written inline); the services run as the current user."""
    import getpass

    from ..delivery.schedule import job_specs, on_calendar

    settings = _settings(config_file, catalogues)
    section = settings.file.schedule
    specs = job_specs(settings)
    if not specs:
        _write("# no jobs: set [schedule] refresh and/or digest to a cron expression\n", output)
        return
    env_file = (env_file or default_env_file()).absolute()
    flags, plain, secrets = job_environment(settings)
    tail = " ".join(shlex.quote(f) for f in flags)
    commands = {"refresh": f"{_command()} refresh {tail}", "digest": f"{_command()} digest --send {tail}"}
    user = getpass.getuser()
    out = [
        f"# The jobs read the store {settings.store_label} ({settings.store_origin})"
        + (f" with the config file {settings.config_path.resolve()}." if settings.config_path else
           " with no config file."),
        f"# Times are in {section.timezone}: cronie honours CRON_TZ; other crons use the system time zone.",
    ]
    if secrets:
        out += [f"# Secrets, read from {env_file} (NAME=value lines; chmod 600, owned by {user}):",
                f"#   {', '.join(secrets)}"]
    out += ["# crontab (crontab -e, as the user who runs the tool):", f"CRON_TZ={section.timezone}"]
    prefix = f"set -a && . {shlex.quote(str(env_file))} && set +a && " if secrets else ""
    assignments = "".join(f"{name}={shlex.quote(value)} " for name, value in plain.items())
    # "%" ends a crontab command line: escape it.
    out += [f"{spec.cron.expression} {prefix}{assignments}{commands[spec.id]}".replace("%", "\\%") for spec in specs]
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
            f"User={user}",
            *(f"Environment={_systemd_quote(f'{name}={value}')}" for name, value in plain.items()),
            *([f"EnvironmentFile={env_file}"] if secrets else []),
            f"ExecStart={commands[spec.id].replace('%', '%%')}",
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
