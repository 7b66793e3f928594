"""Shared fixtures: an isolated state directory per test, the CLI runner, the samples path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# ../shared/samples beside the project (the CI layout); tests that need it skip when it is absent
# on a fresh clone, and .ci/run makes them mandatory (COMPLIANCE_REQUIRE_SAMPLES=1).
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


def pytest_collection_modifyitems(config, items):  # noqa: ANN001
    if os.environ.get("COMPLIANCE_REQUIRE_SAMPLES") and not SAMPLES.exists():
        raise pytest.UsageError(f"COMPLIANCE_REQUIRE_SAMPLES is set but {SAMPLES} is missing")


@pytest.fixture(autouse=True)
def isolated_state(tmp_path, monkeypatch):
    """Every test gets its own state directory and no user config from the environment."""
    state = tmp_path / "state"
    monkeypatch.setenv("COMPLIANCE_STATE_DIR", str(state))
    # The default store and the user's config file are under these: never the real home's.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for var in list(os.environ):
        if var.startswith("COMPLIANCE_") and var not in ("COMPLIANCE_STATE_DIR", "COMPLIANCE_REQUIRE_SAMPLES"):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return state


@pytest.fixture
def run_cli():
    """Run `compliance ...` in-process through main(), returning (exit code, stdout, stderr)."""
    from click.testing import CliRunner

    from compliance.cli import cli, main

    def run(*args: str):
        runner = CliRunner()
        # main() adds the error handling; invoke it the way the console script does.
        import sys

        old_argv = sys.argv
        sys.argv = ["compliance", *args]
        try:
            result = runner.invoke(_Main(main), [], catch_exceptions=False)
        finally:
            sys.argv = old_argv
        return result.exit_code, result.stdout, result.stderr

    assert cli is not None
    return run


class _Main:
    """Adapter so CliRunner can invoke the real entry point `main` (sys.argv based)."""

    def __init__(self, main):  # noqa: ANN001
        self._main = main
        self.name = "compliance"

    def main(self, args=None, prog_name=None, **extra):  # noqa: ANN001, ARG002
        self._main()
