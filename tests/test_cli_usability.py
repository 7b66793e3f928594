"""Points of issue 15 a person meets at the command line: the README's "watch another directive"
example works as printed, a catalogue file without `measures:` says so, a watched act with no
obligations says why, a measure no source tracks never asks for a refresh, a failed send is
printed once, `schedule run` logs one line per job, shell completion works as documented, and
`refs` is in the README."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .mailserver import free_port
from .series import fake_fixture  # noqa: F401 - the fake source, as `fake`

README = Path(__file__).resolve().parents[1] / "README.md"


def _watch_example() -> tuple[str, list[list[str]]]:
    """The YAML and the commands of the README's "Watch another directive" paragraph."""
    text = README.read_text("utf-8")
    section = text.split("**Watch another directive.**", 1)[1]
    yaml = re.search(r"```yaml\n(.*?)```", section, re.S)
    commands = re.search(r"```sh\n(.*?)```", section, re.S)
    assert yaml and commands, "the README lost its example"
    name = re.search(r"say `([^`]+\.yaml)`", section)
    assert name and name.group(1) == "whistleblowers.yaml"
    return yaml.group(1), [line.split() for line in commands.group(1).splitlines() if line.strip()]


def test_the_readme_watch_example_works_as_printed(run_cli, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the reason on one line of the table
    yaml, commands = _watch_example()
    (tmp_path / "whistleblowers.yaml").write_text(yaml, "utf-8")
    check, refresh = commands
    assert check[0] == refresh[0] == "compliance"
    code, out, err = run_cli(*check[1:])
    assert code == 0, err
    assert "whistleblower-directive" in out and "unknown" in out
    assert "no deadlines known until its metadata is fetched: compliance refresh --source eurlex" in out
    assert "0 assessments" not in out
    # The refresh command is valid as printed (its catalogue, source and measure are known): with
    # the endpoint pointed at a closed port it fails as a source, not as a usage error.
    os.environ["COMPLIANCE_ENDPOINT_EURLEX_SPARQL"] = f"http://127.0.0.1:{free_port()}/sparql"
    try:
        code, out, err = run_cli(*refresh[1:])
    finally:
        del os.environ["COMPLIANCE_ENDPOINT_EURLEX_SPARQL"]
    assert code == 4 and "eurlex: failed: " in out, err


def test_a_catalogue_file_without_measures_key_says_so(run_cli, tmp_path) -> None:
    (tmp_path / "bare.yaml").write_text("- id: my-act\n  celex: 32019L1937\n  sources: [mine]\n", "utf-8")
    code, out, err = run_cli("check", "-m", "DK", "--catalogue", str(tmp_path / "bare.yaml"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{tmp_path / 'bare.yaml'}: no top-level `measures:` key (found a list of entries)" in err
    (tmp_path / "other.yaml").write_text("version: '1'\nmesures: []\n", "utf-8")
    code, _, err = run_cli("measures", "--catalogue", str(tmp_path / "other.yaml"))
    assert code == 2 and "no top-level `measures:` key (found the keys version, mesures)" in err


def test_a_watched_act_without_obligations_says_why_in_every_format(run_cli, tmp_path) -> None:
    (tmp_path / "regs.yaml").write_text(
        "measures:\n  - id: watched-regulation\n    celex: 32024R1689\n    sources: [mine]\n", "utf-8")
    code, out, err = run_cli("check", "-m", "SE", "--catalogue", str(tmp_path / "regs.yaml"),
                             "--measure", "watched-regulation", "--format", "json", "--fail-on", "unknown")
    assert code == 1, err  # unknown is asked to fail: it is not a silent pass
    ((only,),) = [r["assessments"] for r in __import__("json").loads(out)]
    assert only["status"] == "unknown" and only["rule"] == "META-003"
    assert "only a directive's deadlines come from its metadata: add them (docs/catalogue.md)" in only["reason"]


def test_a_measure_no_source_tracks_never_asks_for_a_refresh(run_cli, fake) -> None:
    """Once the sources have run, a built-in measure none of them searched is "no source
    tracks"; before any refresh, "run compliance refresh" is the right advice."""
    code, out, _ = run_cli("check", "-m", "SE", "--format", "json", "--fail-on", "never")
    before = {a["measure"]: a["reason"] for r in __import__("json").loads(out) for a in r["assessments"]}
    assert "no evidence collected yet: run compliance refresh" in before["thb-directive-2024-1712"]
    assert run_cli("refresh")[0] == 0  # the fake source searches thb-directive-2024-1712 only
    code, out, _ = run_cli("check", "-m", "SE", "--format", "json", "--fail-on", "never")
    after = [a for r in __import__("json").loads(out) for a in r["assessments"] if a["status"] == "unknown"]
    assert after and not any("run compliance refresh" in a["reason"] for a in after), after
    assert any("no source tracks this measure (fake ran without searching it)" in a["reason"] for a in after)


def test_a_failed_send_is_printed_once(run_cli, tmp_path) -> None:
    port = free_port()  # nothing listens: the send fails
    (tmp_path / "compliance.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\nfrom = "a@example.org"\n'
        'to = ["b@example.org"]\ntimeout = 5\n', "utf-8")
    code, out, err = run_cli("digest", "--send", "-m", "SE")
    assert code == 4
    said = (out + err).splitlines()
    failures = [line for line in said if "failed: smtp digest" in line]
    assert len(failures) == 1, said
    assert "(attempt 1)" in failures[0] and err == ""


def test_schedule_run_logs_one_line_per_job(fake, tmp_path, capsys, monkeypatch) -> None:
    """The jobs `schedule run` starts, at its default level (info): one line each; the sources'
    reasons and every HTTP request only at debug."""
    from compliance import verbosity
    from compliance.delivery.schedule import digest_job, refresh_job

    (tmp_path / "compliance.toml").write_text(
        '[schedule]\nrefresh = "0 6 * * *"\n[feed]\nmember_states = ["SE"]\n', "utf-8")
    fake.update(partly_failed="cannot resolve example.org (ConnectError, 1 attempt)")
    verbosity.set_level(verbosity.VERBOSE, timestamps=True)
    try:
        capsys.readouterr()
        assert refresh_job(str(tmp_path / "compliance.toml")) == "ok"
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1, lines
        assert re.search(r"INFO compliance.scheduler: refresh run \d+ finished: ok, 1 source\(s\); not ok: "
                         r"fake partial; 2 feed\(s\) written$", lines[0]), lines
        monkeypatch.setenv("COMPLIANCE_DIGEST_WEBHOOK", f"http://127.0.0.1:{free_port()}/hook")
        assert digest_job(str(tmp_path / "compliance.toml")) == "failed"
        (line,) = capsys.readouterr().err.splitlines()
        assert "WARNING compliance.scheduler: digest " in line and "failed: webhook digest" in line
        verbosity.set_level(verbosity.DEBUG)
        refresh_job(str(tmp_path / "compliance.toml"))
        debug = capsys.readouterr().err.splitlines()
        assert any("DEBUG compliance.scheduler: refresh run" in x and "fake ok: 1 of 2 searches failed" in x
                   for x in debug), debug
    finally:
        verbosity.reset()
        logging.getLogger("compliance").setLevel(logging.NOTSET)


def _complete(words: str, tmp_path: Path) -> list[str]:
    env = {**os.environ, "_COMPLIANCE_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    proc = subprocess.run([str(Path(sys.executable).parent / "compliance")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines()]


@pytest.mark.skipif(not (Path(sys.executable).parent / "compliance").exists(), reason="no console script")
def test_shell_completion_works_as_the_readme_says(tmp_path) -> None:
    text = README.read_text("utf-8")
    assert 'eval "$(_COMPLIANCE_COMPLETE=bash_source compliance)"' in text
    script = subprocess.run([str(Path(sys.executable).parent / "compliance")], capture_output=True, text=True,
                            env={**os.environ, "_COMPLIANCE_COMPLETE": "bash_source"}, timeout=60)
    assert script.returncode == 0 and "complete -o nosort -F _compliance_completion compliance" in script.stdout
    commands = _complete("compliance ", tmp_path)
    assert {"check", "refresh", "export", "scoreboard", "feed", "refs", "schedule"} <= set(commands)
    assert _complete("compliance check --fo", tmp_path) == ["--format"]
    assert set(_complete("compliance check --format ", tmp_path)) == {"text", "json", "csv", "markdown", "html"}
    assert "--out" not in _complete("compliance map --ou", tmp_path)  # the hidden alias is not offered


def test_refs_is_in_the_readme_and_works_as_shown(run_cli) -> None:
    text = README.read_text("utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `compliance refs"))
    shown = re.search(r'`echo "([^"]+)" \\\| compliance refs` prints `([^`]+)`', row)
    assert shown, row
    from click.testing import CliRunner

    from compliance.cli import cli

    result = CliRunner().invoke(cli, ["refs"], input=shown.group(1) + "\n")
    assert result.exit_code == 0 and result.output.strip() == shown.group(2)
