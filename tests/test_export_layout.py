"""The export as an auditor sees it: the HTML laid out by headless Chromium and the PDF read back
as positioned text and as PNG pages. Nothing spills out of its table cell or over another text,
nothing runs off the page, ids, statuses and dates are never broken across lines, and the EU
overview shows all 27 Member States.

The store is CONSTRUCTED through the real refresh path (tests/fake_source.py): a late national
measure for every Member State under Directive 2011/36/EU (so that the widest label, LATE, fills a
whole row of the overview), and measures with long URLs and references under the AML Directive
(EU) 2024/1640, whose id the PDF annex used to split ("aml-directive-2024-164 / 0").
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

import pytest

from compliance.catalogue.memberstates import codes

from . import fake_source
from .export_helpers import AS_OF, seed
from .test_charts import ARTIFACTS, CHROMIUM, chromium_dom
from .test_export import _has_weasyprint

STATES = ("DK", "SE", "IE")  # DK and IE: the opt-outs; SE: the 27th column of the overview
# A title with long tokens: an address, and a file name with no place to break at all.
LONG_TITLE_URL = ("https://www.riksdagen.se/sv/dokument-och-lagar/dokument/svensk-forfattningssamling/"
                  "lag-20251234-om-andring-i-lagen-2017630-om_sfs-2025-1234/ "
                  "SFS_2025_1234_andringslag_om_atgarder_mot_penningtvatt_och_finansiering_av_terrorism.pdf")
LONG_URL = "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:72024L1640SWE_202512345&qid=1765432198765"


def _items() -> list:
    items = [fake_source.nim(ms=cc, key=f"72011L0036{cc}_1", when=date(2014, 1, 15), title=f"Act of {cc}")
             for cc in codes()]
    for item in items:
        item.measure_id = "thb-directive-2011-36"
    for cc in ("SE", "IE", "DK"):
        aml = fake_source.nim(ms=cc, key=f"72024L1640{cc}_202512345", when=date(2025, 6, 30),
                              title="Lag (2025:1234) om ändring i lagen (2017:630) om åtgärder mot penningtvätt, "
                              f"{LONG_TITLE_URL}")
        aml.measure_id, aml.url, aml.reference = "aml-directive-2024-1640", LONG_URL, f"MNE(2025)0{cc}123456789"
        items.append(aml)
    return items


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """One export (html and pdf, with the archive) shared by the tests of this module."""
    if not _has_weasyprint():
        pytest.skip("the [pdf] extra (WeasyPrint + Pango) is not installed")
    from click.testing import CliRunner

    from compliance.cli import cli

    root = tmp_path_factory.mktemp("layout")
    mp = pytest.MonkeyPatch()  # as conftest.isolated_state does, for the whole module
    for var in [v for v in os.environ if v.startswith("COMPLIANCE_") and v != "COMPLIANCE_REQUIRE_SAMPLES"]:
        mp.delenv(var)
    mp.setenv("COMPLIANCE_STATE_DIR", str(root / "state"))
    mp.chdir(root)
    try:
        seeding = seed(_items())
        next(seeding)
        args = ["export", "--out", str(root / "bundle"), "--as-of", AS_OF, "--format", "html,pdf,json",
                "--with-archive"]
        for cc in STATES:
            args += ["-m", cc]
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        next(seeding, None)
    finally:
        mp.undo()
    return root / "bundle"


# -- PDF: positioned text and pages as pictures --------------------------------------------------


def _chars(pdf: Path):  # noqa: ANN202
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        for number, page in enumerate(doc.pages, 1):
            yield number, page.width, page.height, [c for c in page.chars if c["text"].strip()], \
                page.extract_words(keep_blank_chars=False)


def _overprinted(chars: list[dict]) -> list[str]:
    """Pairs of glyphs drawn over each other (each covering a third of the smaller one's box),
    except neighbours in the text stream (a kerned pair such as "Tr" overlaps by design)."""
    found = []
    ordered = sorted(enumerate(chars), key=lambda c: c[1]["x0"])
    for i, (ia, a) in enumerate(ordered):
        for ib, b in ordered[i + 1:]:
            if b["x0"] >= a["x1"]:
                break
            if abs(ia - ib) == 1:
                continue
            wx = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            wy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            small_w = min(a["x1"] - a["x0"], b["x1"] - b["x0"])
            small_h = min(a["bottom"] - a["top"], b["bottom"] - b["top"])
            if wx > small_w / 3 and wy > small_h / 3:
                found.append(f"{a['text']!r}@({a['x0']:.0f},{a['top']:.0f}) over {b['text']!r}")
    return found


def _pdfs(bundle: Path) -> list[Path]:
    return [bundle / "index.pdf", *(bundle / cc / "report.pdf" for cc in STATES)]


def test_pdf_text_stays_on_the_page_and_never_overprints(bundle):
    for pdf in _pdfs(bundle):
        for number, width, height, chars, _ in _chars(pdf):
            where = f"{pdf.relative_to(bundle)} page {number}"
            outside = [c["text"] for c in chars if c["x0"] < 0 or c["x1"] > width or c["top"] < 0
                       or c["bottom"] > height]
            assert not outside, f"{where}: text off the page: {''.join(outside)[:80]}"
            overprinted = _overprinted(chars)
            assert not overprinted, f"{where}: {overprinted[:5]}"


def test_pdf_overview_shows_all_27_member_states(bundle):
    pages = list(_chars(bundle / "index.pdf"))
    number, width, _, _, words = next(p for p in pages if any(w["text"] == "measure" for w in p[4])
                                      and sum(w["text"] in codes() for w in p[4]) >= 27)
    heads = {}
    for w in words:  # the matrix's header row: one line holding every state code
        if w["text"] in codes():
            heads.setdefault(round(w["top"]), {})[w["text"]] = w
    row = max(heads.values(), key=len)
    assert set(row) == set(codes()), f"index.pdf page {number}: header row lacks {set(codes()) - set(row)}"
    assert max(w["x1"] for w in row.values()) <= width - 20  # inside the page margin
    # The picture agrees: on the page as PNG, the last column's cells are painted in status colours.
    import pypdfium2

    from compliance.render.svgmap import COLOURS

    scale = 2
    image = pypdfium2.PdfDocument(bundle / "index.pdf")[number - 1].render(scale=scale).to_pil().convert("RGB")
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "export-index-matrix.png")
    last = max(row.values(), key=lambda w: w["x0"])
    strip = image.crop((int(last["x0"] * scale), int(last["bottom"] * scale),
                        int(last["x1"] * scale), image.height))
    seen = {colour for _, colour in strip.getcolors(maxcolors=1 << 20)}
    wanted = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in COLOURS.values()}
    assert seen & wanted, f"no status colour under {last['text']}, the last column of the matrix"


def test_pdf_ids_dates_and_statuses_are_whole_words(bundle):
    for cc in STATES:
        report = json.loads((bundle / cc / "report.json").read_text("utf-8"))
        words = {w["text"].strip("(),") for *_, page_words in _chars(bundle / cc / "report.pdf") for w in page_words}
        wanted = {a["measure"] for a in report["assessments"]} | {a["status"] for a in report["assessments"]}
        wanted |= {a["deadline"] for a in report["assessments"] if a["deadline"]}
        wanted |= {s["obligation"] for e in report["evidence_annex"] for s in e["supports"] if s["obligation"]}
        missing = sorted(wanted - words)
        assert not missing, f"{cc}/report.pdf: split across lines: {missing}"
        assert "aml-directive-2024-1640" in words


# -- HTML in headless Chromium ---------------------------------------------------------------------

# Laid out by Chromium, then measured: every table cell's content inside the cell, every .nb
# (no-break) element on one line, and which state codes of the overview lie inside the window.
_MEASURE = """<script>
(() => {
  const tol = 1, problems = [], width = document.documentElement.clientWidth;
  for (const cell of document.querySelectorAll("td, th")) {
    const box = cell.getBoundingClientRect(), range = document.createRange();
    range.selectNodeContents(cell);
    for (const r of range.getClientRects()) {
      if (r.width && (r.left < box.left - tol || r.right > box.right + tol
                      || r.top < box.top - tol || r.bottom > box.bottom + tol)) {
        problems.push("spills out of its cell: " + cell.textContent.trim().slice(0, 60));
        break;
      }
    }
  }
  for (const el of document.querySelectorAll(".nb")) {
    if (Array.from(el.getClientRects()).filter(r => r.width).length > 1) problems.push("broken: " + el.textContent);
  }
  const heads = Array.from(document.querySelectorAll("table.matrix thead th")).slice(1);
  const inside = el => { const r = el.getBoundingClientRect(); return r.left >= 0 && r.right <= width + tol; };
  const inView = heads.filter(inside);
  const text = list => list.map(th => th.textContent.trim());
  const sideways = document.documentElement.scrollWidth > width + tol
    ? Array.from(document.body.children).filter(el => !inside(el)).map(el => el.tagName + "." + el.className) : null;
  const out = document.createElement("pre");
  out.id = "layout";
  out.textContent = JSON.stringify({problems, codes: text(heads), in_view: text(inView), sideways});
  document.body.appendChild(out);
})();
</script>"""


def _measured(page: Path, tmp_path: Path, size: str) -> dict:
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(page.read_text("utf-8").replace("</body>", _MEASURE + "</body>"), "utf-8")
    try:
        dom = chromium_dom(probe, tmp_path / "profile", size)
    finally:
        probe.unlink()
    found = re.search(r'<pre id="layout">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
                      .replace("&amp;", "&"))


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: apt-get install -y chromium")
@pytest.mark.parametrize("size", ["1280,1600", "1024,1400"])
def test_html_cells_hold_their_text_in_chromium(bundle, tmp_path, size):
    for page in [bundle / "index.html", *(bundle / cc / "report.html" for cc in STATES)]:
        result = _measured(page, tmp_path, size)
        where = f"{page.relative_to(bundle)} at {size}"
        assert not result["problems"], f"{where}: {result['problems'][:5]}"
        assert not result["sideways"], f"{where}: wider than the window: {result['sideways']}"
        if page.name == "index.html":
            assert sorted(result["codes"]) == sorted(codes()), where
            if size == "1280,1600":  # narrower, the matrix scrolls in its own box
                assert result["in_view"] == result["codes"], f"{where}: only {result['in_view']} in view"
