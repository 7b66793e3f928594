"""The command line as a script sees it (issue 15): one name for the output everywhere
(`--output`, the old `--out` a hidden alias), `--quiet` and `--verbose` on every command, usage
errors in one line, the documented exit codes, `--measure` by id, CELEX or number, and
`verify --expect-sha256`."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest

import compliance
from compliance.cli import LAZY_COMMANDS, LazyGroup, cli

# Commands whose result is not a report or a file: verify checks a bundle, schedule run logs.
NO_OUTPUT = {"verify", "schedule run"}
OLD_OUT = {"export", "map"}  # had --out until 0.2.0: kept as a hidden alias there only


def _leaves(group: click.Group, ctx: click.Context, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            out += _leaves(command, ctx, f"{prefix}{name} ")
        else:
            out.append((f"{prefix}{name}", command))
    return out


def _commands() -> list[tuple[str, click.Command]]:
    with click.Context(cli) as ctx:
        return _leaves(cli, ctx)


def test_every_command_takes_quiet_verbose_and_output() -> None:
    commands = dict(_commands())
    assert isinstance(cli, LazyGroup) and set(LAZY_COMMANDS) <= {n.split()[0] for n in commands}
    for name, command in commands.items():
        opts = {o: p for p in command.params for o in p.opts}
        assert {"--quiet", "-q", "--verbose", "-v"} <= set(opts), name
        if name in NO_OUTPUT:
            continue
        assert {"--output", "-o"} <= set(opts) and not opts["--output"].hidden, name
        assert ("--out" in opts) == (name in OLD_OUT), name
        assert name not in OLD_OUT or opts["--out"].hidden, name


def test_out_is_a_hidden_alias_of_output(run_cli, tmp_path) -> None:
    code, out, _ = run_cli("map", "--help")
    assert code == 0 and "--output" in out and "--out " not in out and "--out," not in out
    code, _, err = run_cli("map", "--out", str(tmp_path / "old.svg"))
    assert code == 0, err
    assert (tmp_path / "old.svg").read_text().startswith("<svg")
    code, _, err = run_cli("map", "--output", str(tmp_path / "new.svg"))
    assert code == 0 and (tmp_path / "new.svg").read_bytes() == (tmp_path / "old.svg").read_bytes()
    code, _, err = run_cli("map", "--out", "a.svg", "--output", "b.svg")
    assert code == 2 and err.count("\n") == 1 and "--out is the old name of --output" in err
    code, _, err = run_cli("export", "-m", "DK", "--format", "csv")
    assert code == 2 and err == "error: compliance export: missing option --output (see compliance export --help)\n"
    code, out, err = run_cli("export", "-m", "DK", "--format", "csv", "--out", str(tmp_path / "bundle"))
    assert code == 0 and (tmp_path / "bundle" / "manifest.json").is_file(), err


@pytest.mark.parametrize("args", [
    ("check", "--bogus"),
    ("check", "--format", "yaml"),
    ("check", "--as-of", "tomorrow"),
    ("frobnicate",),
    ("schedule", "frobnicate"),
    ("export", "-m", "DK"),
    ("digest", "--since"),
    ("refs", "--format"),
    ("verify", "--expect-sha256", "abc", "."),
    ("check", "--quiet", "--verbose"),
    ("check", "--ou", "x"),
], ids=lambda a: " ".join(a))
def test_usage_errors_are_one_line(run_cli, args) -> None:
    code, out, err = run_cli(*args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: compliance"), err
    assert "Usage:" not in err and "Try " not in err and "Traceback" not in err
    assert "--out'" not in err and "'--out'" not in err  # a hidden alias is never suggested


@pytest.mark.parametrize("command", [
    ("check",), ("export", "--output", "b"), ("calendar",), ("diff",), ("measures",), ("refresh",), ("digest",),
    ("map",),
], ids=lambda c: c[0])
def test_an_empty_member_state_is_an_error(run_cli, command) -> None:
    if command == ("map",):
        pytest.skip("map has no --member-state")
    for empty in ("", " ", ","):
        code, out, err = run_cli(*command, "-m", empty)
        assert code == 2 and err.count("\n") == 1 and "error: " in err, (empty, err)
        assert "empty" in err or "unknown Member State" in err


def test_measure_by_id_celex_or_number(run_cli) -> None:
    def measures(*refs: str) -> list[str]:
        args = [a for r in refs for a in ("--measure", r)]
        code, out, err = run_cli("check", "-m", "DK", *args, "--format", "json", "--fail-on", "never", "--no-cache")
        assert code == 0, err
        return sorted({a["measure"] for a in json.loads(out)[0]["assessments"]})

    expected = ["thb-directive-2024-1712"]
    assert measures("thb-directive-2024-1712") == expected
    assert measures("32024L1712") == expected
    assert measures("32024l1712") == expected
    assert measures("2024/1712") == expected
    assert measures("Directive (EU) 2024/1712") == expected
    assert measures("2024/1712", "32024L1712") == expected  # named twice, listed once
    assert measures("2011/36") == ["thb-directive-2011-36"]
    code, _, err = run_cli("check", "--measure", "2099/1")
    assert code == 2 and err.count("\n") == 1 and "give an id, a CELEX (32024L1712) or a number" in err
    code, out, err = run_cli("calendar", "-m", "SE", "--measure", "2024/1712")
    assert code == 0 and "thb-directive-2024-1712" in out, err


def test_a_broken_built_in_catalogue_exits_3(tmp_path) -> None:
    """A copy of the installed package whose own measures.yaml is broken: the installation is
    broken, not the user's input (exit 3, not 2), in one line."""
    package = Path(compliance.__file__).resolve().parent
    copy = tmp_path / "site" / "compliance"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "catalogue" / "data" / "measures.yaml").write_text("version: 1\nmeasures:\n  - id: Not A Slug\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env.update(PYTHONPATH=str(copy.parent), COMPLIANCE_STATE_DIR=str(tmp_path / "state"))
    for args in (("check", "-m", "DK"), ("measures",)):
        proc = subprocess.run([sys.executable, "-m", "compliance.cli", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 3, proc.stderr
        assert proc.stderr.startswith("error: the built-in catalogue is broken (reinstall the tool): measures.yaml")
        assert proc.stderr.count("\n") == 1
    # A user's broken file stays a usage error (2).
    (tmp_path / "mine.yaml").write_text("measures:\n  - id: Not A Slug\n", "utf-8")
    code, _, err = _run_cli_in_process(["measures", "--catalogue", str(tmp_path / "mine.yaml")])
    assert code == 2 and "mine.yaml" in err


def _run_cli_in_process(args: list[str]) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "compliance.cli", *args], capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def test_quiet_and_verbose_decide_what_stderr_says(run_cli) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{probe.getsockname()[1]}/sparql"
    os.environ["COMPLIANCE_ENDPOINT_EURLEX_SPARQL"] = base
    try:
        code, out, err = run_cli("refresh", "--source", "eurlex", "--measure", "2024/1712", "-vv")
        assert code == 4
        assert "INFO compliance.refresh: eurlex: " in err  # each step (-v)
        assert f"DEBUG compliance.http: eurlex: GET {base}?query=" in err  # every request (-vv)
        code, out, err = run_cli("refresh", "--source", "eurlex", "--measure", "2024/1712", "-v")
        assert code == 4 and "INFO compliance.refresh" in err and "DEBUG" not in err
        assert f"  GET {base}?query=" in out  # the failed requests in full, under the summary
        code, out, err = run_cli("refresh", "--source", "eurlex", "--measure", "2024/1712", "--quiet")
        assert code == 4 and err == "" and "eurlex: failed: " in out and base not in out
    finally:
        del os.environ["COMPLIANCE_ENDPOINT_EURLEX_SPARQL"]


def test_verify_prints_the_manifest_sha256_and_checks_the_expected_one(run_cli, tmp_path) -> None:
    bundle = tmp_path / "bundle"
    code, out, err = run_cli("export", "-m", "DK", "--format", "csv", "--output", str(bundle))
    assert code == 0, err
    printed = next(line for line in out.splitlines() if line.startswith("manifest.json sha256 ")).split()[2]
    import hashlib

    actual = hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest()
    assert printed == actual
    code, out, _ = run_cli("verify", str(bundle))
    assert code == 0 and f"manifest.json sha256 {actual} (compare it with" in out
    code, out, _ = run_cli("verify", str(bundle), "--expect-sha256", actual.upper())
    assert code == 0 and f"manifest.json sha256 {actual} (as expected)" in out
    # A manifest rewritten to match changed files passes every other check: only the hash finds it.
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["as_of"] = "1999-01-01"
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    code, out, err = run_cli("verify", str(bundle))
    assert code == 0
    code, out, err = run_cli("verify", str(bundle), "--expect-sha256", actual)
    assert code == 1 and out.splitlines()[0].startswith("changed: manifest.json: sha256 ") and actual in out
    assert "NOT intact: 1 problem(s)" in err
