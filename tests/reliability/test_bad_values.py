"""Values at the edge of the calendar through the CLI: --as-of and --horizon beyond what date
arithmetic can hold are usage errors (exit 2, one error line) on every command that takes them,
from the flag or from the config; and `schedule show` prints the time a job really runs across a
DST change."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest

from . import hostile


def _commands_with(option: str) -> list[str]:
    from compliance.cli import cli

    ctx = click.Context(cli)
    found = []
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        if any(option in getattr(p, "opts", ()) for p in command.params):
            found.append(name)
    return found


def _args(command: str, tmp_path: Path) -> list[str]:
    """What the command needs besides the option under test."""
    if command == "export":
        return ["--out", str(tmp_path / "bundle"), "-m", "DK", "--format", "json"]
    if command in ("check", "calendar"):
        return ["-m", "DK"]
    return []


def test_every_command_with_the_options_is_covered():
    assert set(_commands_with("--as-of")) >= {"check", "calendar", "export", "map"}
    # `scoreboard` takes --as-of but no --horizon: it counts only obligations already due, so a
    # horizon (which splits the not-yet-due into due-soon and pending) would change none of its figures.
    assert set(_commands_with("--horizon")) == set(_commands_with("--as-of")) - {"scoreboard"}


def _assert_usage_error(code: int, out: str, err: str, where: str) -> None:
    problems = []
    if code != 2:
        problems.append(f"exit {code}, expected 2")
    if "internal error" in err or "Traceback" in err or "OverflowError" in err:
        problems.append(f"not a usage error: {err[:200]!r}")
    if not any(line.startswith(("Error: ", "error: ")) for line in err.splitlines()):
        problems.append(f"no error line: {err[:200]!r}")
    if out:
        problems.append("output written")
    hostile.record("bad-values", where, 1, problems)
    assert problems == []


@pytest.mark.parametrize("command", _commands_with("--as-of"))
@pytest.mark.parametrize("value", ["9999-12-31", "9999-12-30", "3000-01-01", "0001-01-01", "1899-12-31"])
def test_as_of_out_of_range_is_a_usage_error(command, value, run_cli, tmp_path):
    code, out, err = run_cli(command, "--as-of", value, *_args(command, tmp_path))
    _assert_usage_error(code, out, err, f"{command} --as-of {value}")


@pytest.mark.parametrize("command", _commands_with("--horizon"))
@pytest.mark.parametrize("value", ["99999999", "36501", "-1", "1e9"])
def test_horizon_out_of_range_is_a_usage_error(command, value, run_cli, tmp_path):
    code, out, err = run_cli(command, "--horizon", value, *_args(command, tmp_path))
    _assert_usage_error(code, out, err, f"{command} --horizon {value}")


@pytest.mark.parametrize("command", [*_commands_with("--horizon"), "digest", "scoreboard", "feed"])
@pytest.mark.parametrize("setting", ["[check]\nhorizon = 99999999", "[sources.eurlex]\nmax_age_days = 1e300"])
def test_config_out_of_range_is_a_usage_error(command, setting, run_cli, tmp_path):
    Path("compliance.toml").write_text(setting + "\n", "utf-8")
    code, out, err = run_cli(command, *_args(command, tmp_path))
    _assert_usage_error(code, out, err, f"{command} with {setting.splitlines()[-1]}")


@pytest.mark.parametrize("command", _commands_with("--horizon"))
def test_the_limits_themselves_work(command, run_cli, tmp_path):
    code, _, err = run_cli(command, "--as-of", "2999-12-31", "--horizon", "36500", *_args(command, tmp_path))
    assert code in (0, 1), err
    code, _, err = run_cli(command, "--as-of", "1900-01-01", "--horizon", "0", *_args(command, tmp_path / "b"))
    assert code in (0, 1), err


# --- DST ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("now", "shown", "never", "note"), [
    # Spring forward: 02:30 does not exist on 2027-03-28; the job runs at 03:30 CEST (01:30 UTC).
    (datetime(2027, 3, 26, 12, tzinfo=UTC), "2027-03-28T03:30:00+02:00", "2027-03-28T02:30:00+01:00",
     "02:30 does not exist on 2027-03-28 in Europe/Brussels (clocks go forward): runs at 03:30+02:00"),
    # Fall back: 02:30 happens twice on 2027-10-31; both runs are shown with their offsets.
    (datetime(2027, 10, 29, 12, tzinfo=UTC), "2027-10-31T02:30:00+01:00", None,
     "02:30 happens twice on 2027-10-31 in Europe/Brussels (clocks go back)"),
])
def test_schedule_show_prints_the_time_the_job_really_runs(now, shown, never, note, run_cli, monkeypatch):
    import compliance.clock as clock

    monkeypatch.setattr(clock, "utcnow", lambda: now)
    Path("compliance.toml").write_text('[schedule]\nrefresh = "30 2 * * *"\ntimezone = "Europe/Brussels"\n', "utf-8")
    code, text, err = run_cli("schedule", "show")
    assert code == 0, err
    code, raw, err = run_cli("schedule", "show", "--format", "json")
    assert code == 0, err
    job = json.loads(raw)["jobs"][0]
    problems = [f"{shown} not shown" for out in (text, raw) if shown not in out]
    problems += [f"{never} shown" for out in (text, raw) if never and never in out]
    problems += [] if any(note in n for n in job["dst_notes"]) and note in text else [f"no note {note!r}"]
    for t in job["next_runs"]:  # every time shown is a real wall-clock time of the zone
        moment = datetime.fromisoformat(t)
        if moment.astimezone(ZoneInfo("Europe/Brussels")).utcoffset() != moment.utcoffset():
            problems.append(f"{t} is not a time a clock in the zone shows")
    hostile.record("dst", f"schedule show at {now.date()}", 1, problems)
    assert problems == []
