"""Fixtures of the reliability tests: one fault server for the session, fast retries."""

from __future__ import annotations

import pytest

from .server import FaultServer


@pytest.fixture(scope="session")
def fault_server():
    with FaultServer(timeout_sleep=3.0) as server:
        yield server


@pytest.fixture
def server(fault_server):
    """The session's fault server, reset: no routes, HTTP 500 by default, no delay."""
    fault_server.routes.clear()
    fault_server.hits.clear()
    fault_server.default = "http-500"
    fault_server.delay = 0.0
    yield fault_server
    fault_server.routes.clear()


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001, ARG001
    """Print how many attacks and faults the reliability suite tried and how many held."""
    from .hostile import LEDGER

    if not LEDGER.tried:
        return
    tried, held = sum(LEDGER.tried.values()), sum(LEDGER.held.values())
    terminalreporter.section("hostile input and faults")
    terminalreporter.write_line(f"{tried} attacks tried, {held} held"
                                + ("" if held == tried else f", {tried - held} NOT held"))
    for kind in sorted(LEDGER.tried):
        terminalreporter.write_line(f"  {kind:<14} {LEDGER.held[kind]:>6} / {LEDGER.tried[kind]:<6} held")
