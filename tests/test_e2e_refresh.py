"""A whole `compliance refresh` against a local HTTP server replaying SPARQL answers, then
`compliance check` showing the evidence with its URL, time and hash.

The server serves the CONSTRUCTED fixtures of tests/fixtures/eurlex/ (see the README there),
answers conditional requests with 304, and counts what it was asked.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from compliance.clock import utcnow

FIXTURES = Path(__file__).parent / "fixtures" / "eurlex"


class Replay(BaseHTTPRequestHandler):
    hits: list[str] = []
    not_modified: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        query = parse_qs(urlparse(self.path).query).get("query", [""])[0]
        if "measure_national_implementing" in query:
            name = "nim_32011L0036_constructed.json"
        elif "resource_legal_amends_resource_legal" in query:
            name = "amends_32011L0036_constructed.json"
        else:
            name = "acts_32011L0036_constructed.json"
        body = (FIXTURES / name).read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        Replay.hits.append(name)
        if self.headers.get("If-None-Match") == etag:
            Replay.not_modified.append(name)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def replay_server(monkeypatch):
    Replay.hits, Replay.not_modified = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_EURLEX_SPARQL", url)
    yield url
    server.shutdown()


def _check(run_cli, *member_states):
    args = ["check", "--measure", "thb-directive-2011-36", "--format", "json", "--as-of", utcnow().date().isoformat()]
    for ms in member_states:
        args += ["-m", ms]
    code, out, err = run_cli(*args)
    assert code in (0, 1), err
    data = json.loads(out)
    return {r["member_state"]: r["assessments"][0] for r in (data if isinstance(data, list) else [data])}


def test_refresh_then_check_shows_evidence_with_provenance(run_cli, replay_server, isolated_state):
    code, out, err = run_cli("refresh", "--source", "eurlex", "--measure", "thb-directive-2011-36",
                             "--format", "json")
    assert code == 0, err
    (summary,) = json.loads(out)["sources"]
    assert summary["status"] == "ok" and summary["new"] >= 5 and summary["requests"] == 3

    result = _check(run_cli, "DE", "SE", "DK", "AT")
    de = result["DE"]
    assert de["status"] == "met-late" and "2016-10-14" in de["reason"]
    (ev,) = de["evidence"]
    assert ev["source"] == "eurlex" and ev["retrieved_at"] and ev["reference"]
    served = (FIXTURES / "nim_32011L0036_constructed.json").read_bytes()
    assert ev["sha256"] == hashlib.sha256(served).hexdigest()
    archived = isolated_state / "archive" / ev["sha256"][:2] / ev["sha256"][2:4] / ev["sha256"]
    assert archived.read_bytes() == served
    assert result["AT"]["status"] == "met"
    # searched, nothing notified, deadline long past: a gap backed by the search itself
    assert result["SE"]["status"] == "overdue"
    assert result["SE"]["evidence"][0]["kind"] == "search" and result["SE"]["evidence"][0]["sha256"]
    assert result["DK"]["status"] == "not-applicable"

    # the official deadline agrees with the catalogue's unverified one: now confirmed
    assert any("confirmed by eurlex" in n for n in de["notes"])

    code, out, _ = run_cli("sources", "--format", "json")
    eurlex = [r for r in json.loads(out)["sources"] if r["source"] == "eurlex"][0]
    assert eurlex["coverage"]["searched"] == ["thb-directive-2011-36"] and eurlex["last_status"] == "ok"


def test_second_refresh_is_answered_with_304_and_changes_nothing(run_cli, replay_server):
    assert run_cli("refresh", "--source", "eurlex", "--measure", "thb-directive-2011-36")[0] == 0
    code, out, _ = run_cli("refresh", "--source", "eurlex", "--measure", "thb-directive-2011-36", "--format", "json")
    (summary,) = json.loads(out)["sources"]
    assert code == 0
    assert summary["not_modified"] == 3 and summary["new"] == 0 and summary["changed"] == 0 and summary["gone"] == 0
    assert len(Replay.not_modified) == 3


def test_unreachable_endpoint_is_unknown_not_overdue(run_cli, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_EURLEX_SPARQL", "http://127.0.0.1:9/sparql")
    monkeypatch.setenv("COMPLIANCE_CONFIG", "")
    Path("compliance.toml").write_text("[http]\nmax_retries = 0\ntimeout = 2\n")
    code, out, _ = run_cli("refresh", "--source", "eurlex", "--measure", "thb-directive-2011-36")
    assert code == 4 and "failed" in out
    result = _check(run_cli, "SE")
    assert result["SE"]["status"] == "unknown" and "failed" in result["SE"]["reason"]
