"""Where the store is (issue 15), through the command line: one resolution order (flag,
environment, config file, a default under $XDG_STATE_HOME that does not depend on the current
directory); every report names the store it read; commands that only read never create one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# Commands that only read the store, each with arguments that make it succeed on an empty one.
READERS = [
    ("check", "-m", "DK", "--fail-on", "never"),
    ("check", "-m", "DK", "--format", "json", "--fail-on", "never"),
    ("sources",),
    ("sources", "--format", "json"),
    ("measures", "-m", "DK"),
    ("diff", "--since", "7d"),
    ("digest", "--since", "7d"),
    ("calendar", "-m", "SE"),
    ("map",),
    ("scoreboard",),
    ("feed",),
    ("schedule", "show"),
    ("export", "-m", "DK", "--format", "csv,json", "--output", "bundle"),
]


@pytest.fixture
def no_store_env(monkeypatch, tmp_path) -> Path:
    """No COMPLIANCE_STATE_DIR: the default applies, under a temporary XDG_STATE_HOME."""
    monkeypatch.delenv("COMPLIANCE_STATE_DIR")
    return tmp_path / "xdg-state" / "compliance"


def _store_of(run_cli, *args: str) -> str:
    code, out, err = run_cli("sources", "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)["store"]


def test_the_default_store_does_not_depend_on_the_current_directory(run_cli, no_store_env, tmp_path,
                                                                     monkeypatch) -> None:
    expected = f"sqlite:///{no_store_env / 'compliance.db'} (missing: nothing fetched yet)"
    assert _store_of(run_cli) == expected
    elsewhere = tmp_path / "some" / "other" / "directory"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    assert _store_of(run_cli) == expected
    # A command that writes creates it there, and every later command reads it from anywhere.
    code, _, err = run_cli("withdraw", "--source", "eurlex", "--reason", "none", "--key", "x", "--dry-run")
    assert code == 0, err
    assert (no_store_env / "compliance.db").is_file()
    monkeypatch.chdir(tmp_path)
    assert _store_of(run_cli) == f"sqlite:///{no_store_env / 'compliance.db'}"
    assert not (tmp_path / "state").exists() and not (elsewhere / "state").exists()


def test_resolution_order_flag_environment_config_file_default(run_cli, no_store_env, tmp_path,
                                                                monkeypatch) -> None:
    user_config = tmp_path / "xdg-config" / "compliance" / "compliance.toml"
    user_config.parent.mkdir(parents=True)
    user_config.write_text('[store]\nstate_dir = "from-user-config"\n', "utf-8")
    home = user_config.parent
    assert _store_of(run_cli).startswith(f"sqlite:///{home / 'from-user-config' / 'compliance.db'}")
    # ./compliance.toml comes before the user's config file.
    (tmp_path / "compliance.toml").write_text('[store]\nstate_dir = "from-cwd-config"\n', "utf-8")
    assert _store_of(run_cli).startswith(f"sqlite:///{tmp_path / 'from-cwd-config' / 'compliance.db'}")
    # The environment comes before any config file, the flag before the environment.
    monkeypatch.setenv("COMPLIANCE_STATE_DIR", str(tmp_path / "from-env"))
    assert _store_of(run_cli).startswith(f"sqlite:///{tmp_path / 'from-env' / 'compliance.db'}")
    assert _store_of(run_cli, "--state-dir", str(tmp_path / "from-flag")).startswith(
        f"sqlite:///{tmp_path / 'from-flag' / 'compliance.db'}")
    # A database URL (flag or environment) names the database; the password never shows.
    monkeypatch.setenv("COMPLIANCE_DB_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert _store_of(run_cli).startswith(f"sqlite:///{tmp_path / 'env.db'}")
    assert _store_of(run_cli, "--db-url", f"sqlite:///{tmp_path / 'flag.db'}").startswith(
        f"sqlite:///{tmp_path / 'flag.db'}")
    # The flag lasts for one command only.
    assert _store_of(run_cli).startswith(f"sqlite:///{tmp_path / 'env.db'}")
    code, _, err = run_cli("sources", "--state-dir", "")
    assert code == 2 and err.count("\n") == 1 and "--state-dir" in err
    assert not any((tmp_path / d).exists() for d in ("from-user-config", "from-cwd-config", "from-env", "from-flag"))


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_commands_that_only_read_never_create_a_store(run_cli, isolated_state, args) -> None:
    code, out, err = run_cli(*args)
    assert code == 0, err
    assert not isolated_state.exists(), sorted(p.name for p in isolated_state.rglob("*"))
    assert "Traceback" not in err


def test_every_report_names_the_store_it_read(run_cli, isolated_state, tmp_path) -> None:
    missing = f"sqlite:///{isolated_state / 'compliance.db'} (missing: nothing fetched yet)"
    code, out, err = run_cli("check", "-m", "DK", "--fail-on", "never")
    assert out.rstrip().splitlines()[-1] == f"store: {missing}" and err == ""
    code, out, _ = run_cli("check", "-m", "DK", "--fail-on", "never", "--format", "json", "--quiet")
    assert [r["store"] for r in json.loads(out)] == [missing]
    code, out, _ = run_cli("sources")
    assert f"store: {missing}" in out and "never fetched" in out
    code, out, _ = run_cli("diff", "--format", "json")
    assert json.loads(out)["store"] == missing
    code, out, _ = run_cli("digest")
    assert f"; store {missing}." in out
    # Once it exists (a command that writes made it), reports name it without the mark.
    assert run_cli("withdraw", "--source", "eurlex", "--reason", "none", "--key", "x", "--dry-run")[0] == 0
    found = f"sqlite:///{isolated_state / 'compliance.db'}"
    code, out, err = run_cli("check", "-m", "DK", "--fail-on", "never", "--format", "markdown")
    from compliance.render.neutralise import md_text

    assert f"; store {md_text(found)}." in out and err == ""
    code, out, _ = run_cli("check", "-m", "DK", "--fail-on", "never", "--format", "html")
    assert f"&middot; store {found}" in out
    # The export bundle's country report (HTML, the PDF's source too) and its Markdown and JSON.
    bundle = tmp_path / "bundle"
    assert run_cli("export", "-m", "DK", "--format", "html,markdown,json", "--output", str(bundle))[0] == 0
    assert f"&middot; store {found}" in (bundle / "DK" / "report.html").read_text()
    assert f"; store {md_text(found)}." in (bundle / "DK" / "report.md").read_text()
    assert json.loads((bundle / "DK" / "report.json").read_text())["store"] == found  # one report per file


def test_a_store_left_in_the_old_default_place_is_pointed_out(run_cli, no_store_env, tmp_path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "compliance.db").write_bytes(b"")
    code, _, err = run_cli("sources")
    assert code == 0
    assert f"note: ./state holds a store (the default of earlier versions); the store is now {no_store_env}" in err
    assert f"give --state-dir {tmp_path / 'state'}" in err
    code, _, err = run_cli("sources", "--state-dir", str(tmp_path / "state"))
    assert "note: ./state" not in err


def test_the_default_follows_xdg_state_home_only_when_absolute(run_cli, no_store_env, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "relative/dir")  # ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(no_store_env.parent.parent / "home"))
    home = Path(os.environ["HOME"])
    assert _store_of(run_cli).startswith(f"sqlite:///{home / '.local' / 'state' / 'compliance' / 'compliance.db'}")
