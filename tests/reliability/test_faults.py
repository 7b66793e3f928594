"""Every source × every fault, through `compliance refresh --source NAME` in-process.

Each case starts from a store holding the source's earlier findings: a first GOOD refresh served
from the CONSTRUCTED fixtures where the source's payloads are in tests/fixtures/ (eurlex,
coe-treaties, oeil, council, gazette-dk), else an earlier run seeded with write_source_result. Then
every request of the source meets one fault (tests/reliability/server.py), and:

* the refresh exits 4, prints no traceback, and names the source with a not-ok status and the
  reason on one line;
* the earlier findings stay (same rows, still active);
* no assessment of `compliance check` moves anywhere but towards `unknown` (never into overdue or
  met because of the fault);
* nothing of an XXE target file reaches the store.

The store of the first refresh is built once per source and copied for each fault.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from . import harness
from .server import FAULTS, XXE_TARGET

SOURCES = harness.available_sources()
# What the first line of the XXE target looks like; it must appear nowhere in the state directory.
XXE_MARKER = Path(XXE_TARGET).read_text("utf-8").splitlines()[0].encode() if Path(XXE_TARGET).exists() else None

_TEMPLATES: dict[str, tuple[Path, dict, set]] = {}
# Read at import: the autouse fixture clears COMPLIANCE_* variables before each test.
REPORT = os.environ.get("COMPLIANCE_RELIABILITY_REPORT")


def _template(name: str, setup: harness.SourceSetup, server, run_cli, monkeypatch, tmp_path_factory, state: Path):  # noqa: ANN001
    """(state dir, statuses, active findings) after the first good refresh (or seeding) of `name`."""
    if name in _TEMPLATES:
        return _TEMPLATES[name]
    template = tmp_path_factory.mktemp(f"template-{name}") / "state"
    monkeypatch.setenv("COMPLIANCE_STATE_DIR", str(template))
    harness.write_config(Path("compliance.toml"), timeout=10, max_retries=0)
    if setup.good is not None:
        server.routes.clear()
        setup.good(server)
        code, out, err = run_cli(*setup.refresh_args(), "--format", "json")
        summary = json.loads(out)["sources"][0]
        assert code == 0 and summary["status"] == "ok", (out, err)
        assert summary["findings"] > 0, f"the good refresh of {name} stored no findings: {summary}"
        server.routes.clear()
    else:
        harness.seed(setup)
    before = harness.statuses(run_cli, setup.measure)
    findings = harness.active_findings(name)
    assert findings, f"no findings of {name} before the fault"
    monkeypatch.setenv("COMPLIANCE_STATE_DIR", str(state))
    _TEMPLATES[name] = (template, before, findings)
    return _TEMPLATES[name]


def _report(name: str, fault: str, code: int, summary: dict) -> None:
    """With COMPLIANCE_RELIABILITY_REPORT=FILE, append what happened (docs/reliability.md is made from it)."""
    if REPORT:
        with open(REPORT, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"source": name, "fault": fault, "exit": code, "status": summary["status"],
                                 "reason": summary["reason"]}) + "\n")


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("name", SOURCES)
def test_fault_keeps_findings_and_never_lies(name, fault, server, run_cli, monkeypatch, tmp_path_factory,
                                             isolated_state):
    setup = harness.setup_for(name)
    harness.prepare(setup, server, monkeypatch)
    harness.fast_backoff(monkeypatch)
    template, before, findings = _template(name, setup, server, run_cli, monkeypatch, tmp_path_factory,
                                           isolated_state)
    shutil.copytree(template, isolated_state)

    # Timeouts without retries keep the run short; every other fault gets one retry.
    harness.write_config(Path("compliance.toml"), timeout=0.5, max_retries=0 if fault == "timeout" else 1,
                         max_bytes=256 * 1024)
    server.default = fault
    if setup.always is not None:
        setup.always(server)
    code, out, err = run_cli(*setup.refresh_args())
    assert server.hits, "the source made no request"

    assert code == 4, (out, err)
    assert "Traceback" not in out + err
    lines = [line for line in out.splitlines() if line.startswith(f"{name}: ")]
    assert len(lines) == 1, out
    status = lines[0].split(": ", 2)[1]
    assert status in harness.NOT_OK, lines[0]

    assert harness.active_findings(name) == findings
    after = harness.statuses(run_cli, setup.measure)
    assert harness.moved_wrongly(before, after) == []

    last = harness.last_source_run(name)
    assert last.status == status and last.reason and "\n" not in last.reason
    assert " ".join(last.reason.split())[:60] in " ".join(out.split())  # the reason is printed
    _report(name, fault, code, {"status": status, "reason": last.reason})

    if fault == "xxe" and XXE_MARKER:
        for path in isolated_state.rglob("*"):
            if path.is_file():
                assert XXE_MARKER not in path.read_bytes(), path


def test_every_source_is_exercised():
    """The matrix covers every source whose module exists (the registry, not a hand-kept list)."""
    assert {"eurlex", "infringements", "coe-treaties", "oeil", "council", "gazette-dk", "gazette-at", "gazette-ee",
            "gazette-pl"} <= set(SOURCES)
    assert all(re.fullmatch(r"[a-z-]+", n) for n in SOURCES)


def test_failure_is_reported_on_one_line(server, run_cli, monkeypatch):
    setup = harness.setup_for("gazette-dk")
    harness.prepare(setup, server, monkeypatch)
    harness.write_config(Path("compliance.toml"), timeout=0.5, max_retries=0)
    server.default = "bot-challenge"
    code, out, _ = run_cli(*setup.refresh_args())
    assert code == 4
    (line,) = [line for line in out.splitlines() if line.startswith("gazette-dk: ")]
    assert line.endswith(harness.last_source_run("gazette-dk").reason)


@pytest.mark.parametrize("body", ["malformed-xml", "billion-laughs", "xxe"])
def test_eurlex_xml_where_json_was_expected_is_a_failure_not_a_block(body):
    """An XML document (not a page) is a failed read; only an HTML page or a challenge is "blocked"."""
    from compliance.errors import BlockedError, ParseError
    from compliance.sources import eurlex

    from .server import BILLION_LAUGHS, MALFORMED_XML, XXE

    payload = {"malformed-xml": MALFORMED_XML, "billion-laughs": BILLION_LAUGHS, "xxe": XXE}[body]
    with pytest.raises(ParseError, match="an XML document") as err:
        eurlex.parse_nim_results(payload)
    assert not isinstance(err.value, BlockedError)
