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
