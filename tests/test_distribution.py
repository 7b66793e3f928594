"""The distribution has a name of its own (an unrelated `compliance` exists on the public index),
and every install hint, in the code's messages and in the docs, installs THIS project."""

from __future__ import annotations

import importlib.metadata
import json
import re
import shlex
import sys
import tomllib
from pathlib import Path

import pytest

from compliance.distribution import DISTRIBUTION, checkout, install_command

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
STALE = ("this venv still holds the old distribution 'compliance': pip uninstall -y compliance, "
         "then pip install -e '.[test,pdf]'")


def test_pyproject_names_the_distribution_and_keeps_the_command():
    project = PYPROJECT["project"]
    assert project["name"] == DISTRIBUTION != "compliance"
    assert project["scripts"] == {"compliance": "compliance.cli:main"}
    assert {"pdf", "postgres", "test"} <= set(project["optional-dependencies"])


def test_the_installed_package_comes_from_this_distribution():
    # What `pip install -e .` (README, .ci/run) made of this checkout: the import package
    # `compliance` belongs to eu-crime-compliance, and nothing else claims it.
    claimed = set(importlib.metadata.packages_distributions()["compliance"])
    if "compliance" in claimed:
        # A worktree's venv made before the rename (CI always makes a new one, from this
        # pyproject.toml, which test_pyproject_names_the_distribution... checks).
        pytest.skip(STALE)
    assert claimed == {DISTRIBUTION}
    installed = [d for d in importlib.metadata.distributions(name=DISTRIBUTION) if d.read_text("direct_url.json")]
    assert installed, "no install record (direct_url.json) for this checkout"
    for dist in installed:  # the install record pip wrote: this checkout, editable
        (script,) = [e for e in dist.entry_points if e.group == "console_scripts"]
        assert (script.name, script.value) == ("compliance", "compliance.cli:main")
        direct = json.loads(dist.read_text("direct_url.json"))
        assert direct.get("dir_info", {}).get("editable") is True
        assert Path(direct["url"].removeprefix("file://")).resolve() == ROOT


def _pip_target(command: str) -> tuple[list[str], str]:
    """(the words before `install`, the requirement or path it installs) of a pip command."""
    words = shlex.split(command)
    at = words.index("install")
    return words[:at], next(w for w in words[at + 1:] if not w.startswith("-"))


def test_the_hint_from_a_checkout_installs_that_checkout():
    assert checkout() == ROOT
    for extra in ("pdf", "postgres"):
        launcher, target = _pip_target(install_command(extra))
        assert launcher == [sys.executable, "-m", "pip"]  # into the interpreter that runs the tool
        assert "-e" in shlex.split(install_command(extra))
        path, wanted = re.fullmatch(r"(.+)\[(\w+)\]", target).groups()
        assert wanted == extra and extra in PYPROJECT["project"]["optional-dependencies"]
        assert tomllib.loads((Path(path) / "pyproject.toml").read_text("utf-8"))["project"]["name"] == DISTRIBUTION


def test_the_hint_from_an_installed_copy_names_the_distribution(monkeypatch):
    import compliance.distribution as distribution

    monkeypatch.setattr(distribution, "checkout", lambda: None)
    assert _pip_target(distribution.install_command("pdf"))[1] == f"{DISTRIBUTION}[pdf]"


def test_postgres_without_its_driver_says_how_to_install_it(run_cli, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_psycopg(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if name.split(".")[0] == "psycopg":
            raise ImportError("No module named 'psycopg'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    for name in [m for m in sys.modules if m.split(".")[0] == "psycopg"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setenv("COMPLIANCE_DB_URL", "postgresql+psycopg://auditor:s3cret@db.invalid/compliance")
    code, _, err = run_cli("check", "-m", "DK", "--no-cache")
    assert code == 3 and len(err.strip().splitlines()) == 1, err
    assert install_command("postgres") in err and "s3cret" not in err


# Every `pip install` written anywhere a person reads it: the docs, the CI script, the code.
_HINT_FILES = ["README.md", ".ci/run", *map(str, Path(ROOT).glob("docs/*.md")),
               *map(str, Path(ROOT).glob("benchmarks/*")), *map(str, Path(ROOT).glob("compliance/**/*.py"))]
_PIP = re.compile(r"pip install\s+((?:-[-\w]+\s+)*)('[^']+'|\"[^\"]+\"|[^\s`)\"';]+)")
# Third-party packages a command may name on their own (pip itself; tzdata, a dependency of this project).
_THIRD_PARTY = {"pip", "tzdata"}


def test_every_install_hint_names_this_project():
    hints = []
    for name in _HINT_FILES:
        path = ROOT / name
        if not path.is_file():
            continue
        for match in _PIP.finditer(path.read_text("utf-8", errors="replace")):
            options, target = match.group(1).split(), match.group(2).strip("'\"")
            hints.append((path.relative_to(ROOT).as_posix(), target))
            if target in _THIRD_PARTY:
                continue
            base = re.sub(r"\[[\w,]+\]$", "", target)
            if base == ".":  # this checkout, as the README and .ci/run say (editable)
                assert "-e" in options, (name, match.group(0))
            else:
                assert base == DISTRIBUTION, f"{name}: {match.group(0)!r} does not install {DISTRIBUTION}"
    files = {f for f, _ in hints}
    assert {"README.md", ".ci/run"} <= files, hints  # the scan found the hints it is meant to check


@pytest.mark.parametrize("text", ["pip install 'compliance[pdf]'", "pip install compliance"])
def test_the_scan_catches_a_hint_for_the_other_package(text):
    match = _PIP.search(text)
    assert re.sub(r"\[[\w,]+\]$", "", match.group(2).strip("'\"")) != DISTRIBUTION
