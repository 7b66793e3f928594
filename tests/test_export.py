"""`compliance export` and `compliance verify`: every format read back by a reader for it,
hostile titles inert, the manifest catching changes, and archived bodies that re-hash."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance import __version__
from compliance.catalogue.memberstates import codes
from compliance.distribution import install_command
from compliance.render.evidence import EVIDENCE_COLUMNS
from compliance.render.rows import CSV_COLUMNS

from .export_helpers import AS_OF, BODY, BODY_SHA, FORMULA, HOSTILE, hostile_catalogue, seeded  # noqa: F401

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")


def _export(run_cli, out: Path, *args: str) -> tuple[int, str, str]:
    return run_cli("export", "--out", str(out), "--as-of", AS_OF, *args)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _has_weasyprint() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


# -- the bundle, format by format --------------------------------------------------------------


def test_bundle_with_archive_has_every_format_readable(run_cli, seeded, tmp_path):  # noqa: F811
    out = tmp_path / "bundle"
    code, stdout, err = _export(run_cli, out, "-m", "SE", "-m", "FI", "--with-archive",
                                "--format", "html,xlsx", "--format", "csv,json,markdown")
    assert code == 0, err
    assert "exported 2 report(s)" in stdout and "1 archived bodies" in stdout
    assert "manifest.json sha256" in stdout

    # manifest: versions, as-of, sources' freshness, every file hashed
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["tool_version"] == __version__ and manifest["catalogue_version"]
    assert manifest["as_of"] == AS_OF and manifest["member_states"] == ["SE", "FI"]
    (fake,) = manifest["sources"]
    assert fake["source"] == "fake" and fake["last_status"] == "ok" and fake["stale"] is False
    assert "endpoints" not in fake
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert sorted(f["path"] for f in manifest["files"]) == [p for p in on_disk if p != "manifest.json"]
    for f in manifest["files"]:
        assert hashlib.sha256((out / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert manifest["archive"]["included"] == [BODY_SHA] and manifest["archive"]["missing"] == []
    # each archived body with the response it came from (tests/fake_source.py's fetch)
    (body,) = manifest["archive"]["bodies"]
    assert body["sha256"] == BODY_SHA and body["path"] == f"archive/{BODY_SHA}"
    (fetch,) = body["fetches"]
    assert {k: fetch[k] for k in ("source", "method", "url", "status_code", "content_type", "retrieved_at")} == {
        "source": "fake", "method": "GET", "url": "https://example.org/api?q=1", "status_code": 200,
        "content_type": "application/json", "retrieved_at": "2026-11-20T08:00:00+00:00"}
    assert fetch["sha256"] == BODY_SHA and fetch["not_modified"] is False
    assert (out / "archive" / BODY_SHA).read_bytes() == BODY

    # JSON: the evidence annex carries source, URL, reference, retrieved_at, sha256, bundle path
    se = json.loads((out / "SE/report.json").read_text("utf-8"))
    statuses = {(a["measure"], a["obligation"]): a["status"] for a in se["assessments"]}
    assert statuses[("thb-directive-2024-1712", "transposition")] == "met"
    nim = next(e for e in se["evidence_annex"] if e["kind"] == "national-measure")
    assert nim["url"] == "https://example.org/se/1" and nim["reference"] == "MNE(2026)00001"
    assert nim["sha256"] == BODY_SHA and nim["retrieved_at"].startswith("2026-11-20")
    assert nim["fetch"] == fetch  # the same record, per evidence item
    assert nim["bundle_path"] == f"archive/{BODY_SHA}" and nim["supports"][0]["rule"] == "TRN-001"
    fi = json.loads((out / "FI/report.json").read_text("utf-8"))
    fi_thb = next(a for a in fi["assessments"] if a["measure"] == "thb-directive-2024-1712")
    assert fi_thb["status"] == "overdue" and fi_thb["evidence"][0]["kind"] == "search"

    # CSV: exactly the CSV_COLUMNS, one row per assessment; evidence.csv with the annex columns
    rows = list(csv.DictReader(io.StringIO((out / "SE/assessments.csv").read_text("utf-8"))))
    assert list(rows[0]) == CSV_COLUMNS and len(rows) == len(se["assessments"])
    ev_rows = list(csv.DictReader(io.StringIO((out / "SE/evidence.csv").read_text("utf-8"))))
    assert list(ev_rows[0]) == EVIDENCE_COLUMNS
    assert {r["sha256"] for r in ev_rows} == {BODY_SHA}

    # XLSX: same columns and values as the CSV, evidence sheet, frozen header, autofilter
    from openpyxl import load_workbook

    wb = load_workbook(out / "SE/report.xlsx")
    assert wb.sheetnames == ["Assessments", "Evidence", "About"]
    ws = wb["Assessments"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:T{len(rows) + 1}"  # 20 columns
    values = [[_text(c) for c in r] for r in ws.iter_rows(values_only=True)]
    assert values[0] == CSV_COLUMNS
    assert values[1:] == [[r[c] for c in CSV_COLUMNS] for r in rows]
    ev = wb["Evidence"]
    assert ev.freeze_panes == "A2" and ev.auto_filter.ref.startswith("A1:")
    header = [c.value for c in ev[1]]
    assert header == EVIDENCE_COLUMNS
    sha_col = header.index("sha256")
    assert {r[sha_col] for r in ev.iter_rows(min_row=2, values_only=True)} == {BODY_SHA}
    url_cell = ev.cell(row=2, column=header.index("url") + 1)
    assert url_cell.hyperlink is not None and url_cell.hyperlink.target.startswith("https://")

    # Markdown: the report and its annex
    md = (out / "SE/report.md").read_text("utf-8")
    assert md.startswith("# Sweden (SE)") and "## Evidence annex" in md and BODY_SHA in md

    # HTML: self-contained, every assessment, evidence cited and listed in the annex
    page = (out / "SE/report.html").read_text("utf-8")
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.find_all(["script", "link", "img", "iframe", "object", "embed"])
    assert not soup.select("[src]")
    style = soup.find("style").get_text()
    assert "url(" not in style and "@import" not in style
    assert len(soup.select("tr.assessment")) == len(se["assessments"])
    annex_rows = soup.select("table.annex tr.evidence")
    assert len(annex_rows) == len(se["evidence_annex"])
    first = annex_rows[0]
    assert first["id"] == "E1" and BODY_SHA in first.get_text()
    assert first.select_one("td.hash a")["href"] == f"../archive/{BODY_SHA}"
    cited = {a["href"] for a in soup.select("tr.assessment a")}
    assert cited == {f"#{row['id']}" for row in annex_rows}
    assert soup.find("a", href="../index.html")

    # The overview: schematic map of the 27 and the Member State x measure matrix
    index = BeautifulSoup((out / "index.html").read_text("utf-8"), "html.parser")
    assert not index.find_all(["script", "link", "img"])
    tiles = index.select("svg g.tile")
    assert sorted(t["data-ms"] for t in tiles) == sorted(codes())
    assert "Schematic" in index.get_text()
    assert [th.get_text() for th in index.select("table.matrix thead th")][1:] == list(codes())
    assert index.find("a", href="SE/report.html")
    assert (out / "map.svg").read_text("utf-8").startswith("<svg")

    code, stdout, err = run_cli("verify", str(out))
    assert code == 0, stdout + err
    assert "intact" in stdout


def test_verify_catches_changed_missing_and_extra_files(run_cli, seeded, tmp_path):  # noqa: F811
    out = tmp_path / "bundle"
    assert _export(run_cli, out, "-m", "SE", "--with-archive", "--format", "json,csv")[0] == 0
    assert run_cli("verify", str(out))[0] == 0

    (out / "SE/report.json").write_text("{}", "utf-8")
    code, stdout, _ = run_cli("verify", str(out))
    assert code == 1 and stdout.splitlines() == [
        line for line in stdout.splitlines() if line.startswith("changed: SE/report.json")
    ] and len(stdout.splitlines()) == 1

    shutil.copy(tmp_path / "state" / "compliance.db", out / "extra.db")
    (out / "SE/assessments.csv").unlink()
    code, stdout, err = run_cli("verify", str(out))
    lines = stdout.splitlines()
    assert code == 1 and len(lines) == 3, lines
    assert "missing: SE/assessments.csv" in lines
    assert "unlisted file: extra.db" in lines
    assert "NOT intact: 3 problem(s)" in err

    (out / "evil\nname").write_text("x", "utf-8")  # a file name must not forge a second problem line
    code, stdout, _ = run_cli("verify", str(out))
    assert code == 1 and "unlisted file: evil\\x0aname" in stdout.splitlines()


def test_verify_checks_archive_bodies_against_their_names(run_cli, seeded, tmp_path):  # noqa: F811
    out = tmp_path / "bundle"
    assert _export(run_cli, out, "-m", "SE", "--with-archive", "--format", "json")[0] == 0
    body = out / "archive" / BODY_SHA
    assert hashlib.sha256(body.read_bytes()).hexdigest() == BODY_SHA
    body.write_bytes(b'{"rows": 2}')
    code, stdout, _ = run_cli("verify", str(out))
    assert code == 1
    assert f"archive body does not hash to its name: archive/{BODY_SHA}" in stdout.splitlines()
    assert any(line.startswith(f"changed: archive/{BODY_SHA}") for line in stdout.splitlines())


def test_verify_without_or_with_a_broken_manifest_exits_2(run_cli, tmp_path):
    (tmp_path / "empty").mkdir()
    code, stdout, err = run_cli("verify", str(tmp_path / "empty"))
    assert code == 2 and "no manifest.json" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "empty" / "manifest.json").write_text("{not json", "utf-8")
    code, _, err = run_cli("verify", str(tmp_path / "empty"))
    assert code == 2 and "malformed manifest" in err and "Traceback" not in err
    (tmp_path / "empty" / "manifest.json").write_text(
        json.dumps({"files": [{"path": "../outside", "sha256": "ab" * 32}]}), "utf-8")
    code, _, err = run_cli("verify", str(tmp_path / "empty"))
    assert code == 2 and "malformed manifest" in err
    code, _, err = run_cli("verify", str(tmp_path / "nowhere"))
    assert code == 2 and "not a directory" in err


def test_with_archive_names_bodies_it_could_not_copy(run_cli, seeded, tmp_path):  # noqa: F811
    shutil.rmtree(seeded / "archive")
    out = tmp_path / "bundle"
    code, stdout, err = _export(run_cli, out, "-m", "SE", "--with-archive", "--format", "json")
    assert code == 0
    assert f"warning: evidence body {BODY_SHA} not in the bundle: not in the archive" in err
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["archive"]["included"] == [] and manifest["archive"]["missing"][0]["sha256"] == BODY_SHA
    annex = json.loads((out / "SE/report.json").read_text("utf-8"))["evidence_annex"]
    assert all(e["bundle_path"] is None for e in annex)
    assert run_cli("verify", str(out))[0] == 0


# -- hostile titles ------------------------------------------------------------------------------


def test_hostile_catalogue_titles_stay_inert_in_every_format(run_cli, tmp_path):
    cat = hostile_catalogue(tmp_path)
    out = tmp_path / "bundle"
    code, _, err = _export(run_cli, out, "--catalogue", str(cat), "-m", "DK",
                           "--measure", "hostile-act", "--measure", "formula-act",
                           "--format", "html,xlsx,csv,json,markdown")
    assert code == 0, err

    for page in ("DK/report.html", "index.html"):
        html = (out / page).read_text("utf-8")
        soup = BeautifulSoup(html, "html.parser")
        assert not soup.find_all("script"), page
        titles = [t.get("title", "") for t in soup.select("[title]")]
        assert HOSTILE in soup.get_text() or any(HOSTILE in t for t in titles), page  # as text, not markup
        assert "&lt;script&gt;" in html
    svg = (out / "map.svg").read_text("utf-8")
    assert "<script" not in svg

    from openpyxl import load_workbook

    wb = load_workbook(out / "DK/report.xlsx")
    texts = []
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
                    texts.append(cell.value)
    assert HOSTILE in texts and "'" + FORMULA in texts

    rows = list(csv.DictReader(io.StringIO((out / "DK/assessments.csv").read_text("utf-8"))))
    assert {r["title"] for r in rows} == {HOSTILE, "'" + FORMULA}
    for row in rows:
        assert not any(v.startswith(("=", "+", "@", "-")) for v in row.values()), row

    md = (out / "DK/report.md").read_text("utf-8")
    assert "<script>" not in md and "\\<script\\>" in md

    data = json.loads((out / "DK/report.json").read_text("utf-8"))
    assert {a["title"] for a in data["assessments"]} == {HOSTILE, FORMULA}  # JSON keeps the text verbatim


# -- PDF -----------------------------------------------------------------------------------------


@pytest.mark.skipif(not _has_weasyprint(), reason="the [pdf] extra (WeasyPrint + Pango) is not installed")
def test_pdf_is_readable_text(run_cli, seeded, tmp_path):  # noqa: F811
    from pypdf import PdfReader

    out = tmp_path / "bundle"
    code, _, err = _export(run_cli, out, "-m", "SE", "--format", "pdf")
    assert code == 0, err
    text = " ".join(page.extract_text() for page in PdfReader(out / "SE/report.pdf").pages)
    assert "Gap report: Sweden (SE)" in text and "Evidence annex" in text
    assert "MNE(2026)00001" in re.sub(r"\s+", "", text)  # table cells wrap long references
    overview = " ".join(page.extract_text() for page in PdfReader(out / "index.pdf").pages)
    assert "Schematic" in overview and "EU overview" in overview
    assert run_cli("verify", str(out))[0] == 0


def test_pdf_without_the_extra_fails_with_one_line(run_cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # makes `import weasyprint` raise ImportError
    out = tmp_path / "bundle"
    code, stdout, err = _export(run_cli, out, "-m", "DK", "--format", "html,pdf")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert install_command("pdf") in err and "libpango" in err  # this project's extra (test_distribution.py)
    assert not out.exists()


# -- usage errors --------------------------------------------------------------------------------


def test_export_refuses_a_non_empty_directory_and_bad_formats(run_cli, tmp_path):
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "keep.txt").write_text("mine", "utf-8")
    code, _, err = _export(run_cli, out, "-m", "DK")
    assert code == 2 and "not empty" in err
    assert (out / "keep.txt").read_text("utf-8") == "mine"
    code, _, err = _export(run_cli, tmp_path / "other", "-m", "DK", "--format", "docx")
    assert code == 2 and "unknown export format 'docx'" in err
    code, _, err = _export(run_cli, tmp_path / "other", "-m", "XX")
    assert code == 2 and "unknown Member State" in err
    assert not (tmp_path / "other").exists()


# -- the page in a real browser ------------------------------------------------------------------


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.skipif(not CHROMIUM.exists(),
                    reason="/usr/bin/chromium is absent: apt-get install -y chromium (CI's .ci/run does)")
def test_html_renders_in_headless_chromium(run_cli, seeded, tmp_path):  # noqa: F811
    out = tmp_path / "bundle"
    assert _export(run_cli, out, "-m", "SE", "--format", "html", "--with-archive")[0] == 0
    ARTIFACTS.mkdir(exist_ok=True)
    shots = {"export-index.png": out / "index.html", "export-report-SE.png": out / "SE/report.html"}
    for name, page in shots.items():
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        proc = subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,1600",
             f"--screenshot={shot}", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=180, check=False,
        )
        assert shot.exists(), f"no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
        width, height = _png_size(shot)
        assert (width, height) == (1280, 1600)
        # A blank page compresses to a few KB; the map, matrix and tables make it far larger.
        assert shot.stat().st_size > 30_000, shot.stat().st_size


def test_pdf_without_pango_fails_with_one_line(run_cli, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if name == "weasyprint":  # what WeasyPrint raises when the system has no Pango
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_pango)
    code, _, err = _export(run_cli, tmp_path / "bundle", "-m", "DK", "--format", "pdf")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert install_command("pdf") in err and "cannot load library 'libpango-1.0-0'" in err
    assert not (tmp_path / "bundle").exists()


def test_new_commands_keep_start_up_light():
    code = ("import sys, compliance.commands.export, compliance.commands.calendar; "
            "heavy = {'openpyxl', 'icalendar', 'weasyprint', 'jinja2', 'sqlalchemy'} & set(sys.modules); "
            "print(', '.join(sorted(heavy))); sys.exit(1 if heavy else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"imported at start-up: {proc.stdout} {proc.stderr}"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=80),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=300),
    _json.map(lambda v: json.dumps(v).encode()),
    st.lists(st.fixed_dictionaries({"path": st.text(max_size=40), "sha256": st.text(max_size=70)}), max_size=4)
    .map(lambda files: json.dumps({"files": files}).encode()),
))
def test_verify_raises_only_input_error_on_any_manifest(tmp_path_factory, data):
    from compliance.delivery.bundle import verify_bundle
    from compliance.errors import InputError

    bundle = tmp_path_factory.mktemp("fuzz")
    (bundle / "manifest.json").write_bytes(data)
    try:
        result = verify_bundle(bundle)
    except InputError as exc:
        assert str(exc)
    else:
        assert all(isinstance(p, str) and "\n" not in p for p in result.problems)
        for entry in result.manifest["files"]:  # only paths inside the bundle get this far
            assert (bundle / entry["path"]).resolve().is_relative_to(bundle.resolve())
