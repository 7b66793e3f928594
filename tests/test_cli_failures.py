"""Failures as a person reads them, through the command line (issue 15): a refresh with no
network ends within seconds and says "no network"; every reason a person reads is one short line
naming the host, never the whole request; the full request is in `sources --format json` and in
`refresh --verbose`; the digest has one short line per source, "partial" for a source that
partly failed.

The refreshes run as subprocesses of the installed package with every endpoint pointed at a
port nothing listens on, or at a name that cannot resolve (RFC 6761 `.invalid`), and, where the
machine allows it, in a network namespace of their own with no network at all (`unshare --net`).
Nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest

from compliance.sources import SOURCES

from .series import fake_fixture  # noqa: F401 - the fake source, as `fake`
from .test_charts import CHROMIUM, chromium_dom

NO_NETWORK_LIMIT_S = 10.0  # the bound for a refresh with no network


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(state, endpoints: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
    env.update(COMPLIANCE_STATE_DIR=str(state), COLUMNS="100", **(endpoints or {}))
    env.pop("COMPLIANCE_TEST_PG_URL", None)
    return env


def _every_endpoint(base: str) -> dict[str, str]:
    """COMPLIANCE_ENDPOINT_<NAME> of every registered source, all pointed at `base`."""
    names = {e for info in SOURCES.values() for e in info.endpoint_names}
    assert len(names) > 10  # the real registry, not a fake one
    return {f"COMPLIANCE_ENDPOINT_{name}": f"{base}/{name.lower()}" for name in names}


def _compliance(*args: str, env: dict[str, str], cwd, prefix: tuple[str, ...] = ()) -> tuple[int, str, str, float]:
    started = time.monotonic()
    proc = subprocess.run([*prefix, sys.executable, "-m", "compliance.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started


def _unwrapped(text: str) -> list[str]:
    """The lines of a text report with each wrapped paragraph joined again (its continuation
    lines are indented by four)."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("    ") and lines and not line.startswith("     "):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return lines


def _assert_short(text: str, limit: int = 260) -> None:
    for line in text.splitlines():
        assert len(line) <= limit, line
        assert "?" not in line.split("://", 1)[-1] or "://" not in line, line  # no query string shown


@pytest.mark.parametrize("where", ["refused", "unresolvable"])
def test_refresh_with_nothing_reachable_ends_at_once_and_says_no_network(tmp_path, where) -> None:
    base = f"http://127.0.0.1:{_closed_port()}" if where == "refused" else "http://compliance-test.invalid"
    env = _env(tmp_path / "state", _every_endpoint(base))
    code, out, err, took = _compliance("refresh", env=env, cwd=tmp_path)
    assert code == 4, err
    assert took < NO_NETWORK_LIMIT_S, f"{took:.1f} s"
    assert "no network: no host could be reached (" in out
    failed = [line for line in _unwrapped(out) if ": failed: " in line]
    assert len(failed) >= 8
    word = "connection refused by 127.0.0.1" if where == "refused" else "cannot resolve compliance-test.invalid"
    assert all(word in line for line in failed), failed
    _assert_short(out)
    assert all(len(line) <= 100 for line in out.splitlines())  # COLUMNS=100, piped
    assert base not in out  # hosts are named, URLs are not

    # The full requests are kept: --format json of `sources`, and every request went where we said.
    code, out, _, _ = _compliance("sources", "--format", "json", env=env, cwd=tmp_path)
    rows = json.loads(out)["sources"]
    requests = [f for r in rows if r["last_error"] for f in r["last_error"].get("failed_requests", [])]
    assert requests and all(f["request"].split(" ", 1)[1].startswith(base) for f in requests)
    assert all(f["reason"] and f["at"] for f in requests)
    assert {urlsplit(f["request"].split(" ", 1)[1]).hostname for f in requests} == {urlsplit(base).hostname}

    # ... and the text of `sources` and of `check` stays short.
    code, out, _, _ = _compliance("sources", env=env, cwd=tmp_path)
    assert code == 0 and base not in out and "compliance sources --format json" in out
    _assert_short(out)
    code, out, _, _ = _compliance("check", "-m", "DK", "--format", "json", env=env, cwd=tmp_path)
    reasons = [a["reason"] for r in json.loads(out) for a in r["assessments"] if a["underlying_status"] or
               a["status"] == "unknown"]
    assert any(word in r for r in reasons)
    assert all(len(r) < 400 and base not in r for r in reasons), max(reasons, key=len)


def test_refresh_verbose_prints_every_failed_request_in_full(tmp_path) -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    env = _env(tmp_path / "state", _every_endpoint(base))
    code, out, _, _ = _compliance("refresh", "--source", "eurlex", "--verbose", env=env, cwd=tmp_path)
    assert code == 4
    full = [line.strip() for line in out.splitlines() if line.startswith("  GET ") or line.startswith("  POST ")]
    assert full and all(base in line and "connection refused by 127.0.0.1" in line for line in full)
    assert any("query=" in line for line in full)  # the SPARQL query itself, for whoever debugs it
    code, out, _, _ = _compliance("refresh", "--source", "eurlex", env=env, cwd=tmp_path)
    assert base not in out


@pytest.mark.skipif(shutil.which("unshare") is None, reason="util-linux's unshare is not installed")
def test_refresh_in_a_network_namespace_with_no_network(tmp_path) -> None:
    """The real default endpoints, on a machine with no network at all (loopback down, no route):
    every name lookup and connection fails, as on a laptop offline."""
    if subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot make a network namespace here (unshare --net needs root or user namespaces)")
    env = _env(tmp_path / "state")
    code, out, err, took = _compliance("refresh", env=env, cwd=tmp_path, prefix=("unshare", "--net"))
    assert code == 4, err
    assert took < NO_NETWORK_LIMIT_S, f"{took:.1f} s"
    assert "no network: no host could be reached" in out
    _assert_short(out)


def test_digest_has_one_short_line_per_source_and_partial_for_a_partly_failed_one(fake, run_cli) -> None:
    fake.update(partly_failed="cannot resolve example.org (ConnectError, 1 attempt)")
    code, out, err = run_cli("refresh")
    assert code == 0, err  # ok as a whole: it searched what it could
    row = next(line for line in out.splitlines() if line.lstrip().startswith("fake "))
    assert " partial " in row  # never "ok" beside a count of errors
    code, out, _ = run_cli("digest", "--since", "7d", "-m", "SE")
    sources = out.split("== Sources ==\n")[1].strip().splitlines()
    day = out.split("; generated ")[1][:10]
    assert sources == [f"- fake: partial since {day} (was not run): 1 of 2 searches failed: cannot resolve "
                       "example.org (ConnectError, 1 attempt)"]
    code, out, _ = run_cli("sources")
    assert "fake: partial: 1 of 2 searches failed" in out
    assert next(line for line in out.splitlines() if line.lstrip().startswith("fake ")).split()[2] == "partial"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (CI's .ci/run installs it)")
@pytest.mark.parametrize("width", [1024, 1280])
def test_the_html_report_after_an_offline_refresh_fits_the_window(tmp_path, width) -> None:
    """Rendered in headless Chromium: the page is no wider than the window, and the reasons are
    the short ones (no request in them)."""
    base = f"http://127.0.0.1:{_closed_port()}"
    env = _env(tmp_path / "state", _every_endpoint(base))
    code, _, err, _ = _compliance("refresh", "--source", "eurlex", "--source", "council", "--source", "oeil",
                                  env=env, cwd=tmp_path)
    assert code == 4, err
    page = tmp_path / "dk.html"
    code, _, err, _ = _compliance("check", "-m", "DK", "--format", "html", "--output", str(page), "--fail-on",
                                  "never", env=env, cwd=tmp_path)
    assert code == 0, err
    html = page.read_text("utf-8")
    assert "connection refused by 127.0.0.1" in html and base not in html
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", "<script>document.body.dataset.widths = "
                                  "document.documentElement.scrollWidth + '/' + window.innerWidth</script></body>"),
                     "utf-8")
    found = re.search(r'data-widths="(\d+)/(\d+)"', chromium_dom(probe, tmp_path / "profile", f"{width},900"))
    assert found
    scroll, window = map(int, found.groups())
    assert scroll <= window, f"the page is {scroll} px wide in a {window} px window"
