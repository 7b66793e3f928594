"""Renderers: hostile titles from scraped pages stay inert in every format."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

from bs4 import BeautifulSoup

from compliance.checks import evaluate
from compliance.checks.base import Context
from compliance.model import Evidence
from compliance.render import Format, render
from compliance.report.assembly import Report, enrich

from .checks.helpers import coverage, measure

HOSTILE = '<script>alert("x")</script> =HYPERLINK("http://evil") | **bold** [link](javascript:alert(1))'


def _report():
    m = measure()
    m = m.__class__(**{**m.__dict__, "title": HOSTILE})
    ev = Evidence(source="eurlex", kind="national-measure", title=HOSTILE, url="javascript:alert(1)",
                  reference="=cmd|' /C calc'!A0", date=date(2024, 11, 1), retrieved_at=datetime(2026, 1, 1, tzinfo=UTC),
                  sha256="ab" * 32, member_state="SE", measure_id=m.id)
    ctx = Context(as_of=date(2026, 11, 22), now=datetime(2026, 11, 22, tzinfo=UTC), horizon_days=90,
                  evidence=[ev], coverage=[coverage()])
    assessments = evaluate([m], "SE", ctx)
    return Report("SE", "Sweden", date(2026, 11, 22), datetime(2026, 11, 22, tzinfo=UTC), 90, "test", assessments)


def test_html_escapes_titles_and_drops_unsafe_links():
    html = render([_report()], Format.HTML)
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all("script")
    assert "&lt;script&gt;" in html
    assert not [a for a in soup.find_all("a") if a["href"].startswith("javascript:")]


def test_markdown_escapes_titles():
    md = render([_report()], Format.MARKDOWN)
    assert "<script>" not in md
    assert "](javascript:" not in md and "(<javascript:" not in md
    assert "\\<script\\>" in md


def test_csv_defuses_formulas():
    rows = list(csv.DictReader(io.StringIO(render([_report()], Format.CSV))))
    assert rows[0]["title"].startswith("<script>")
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@")), value


def test_json_and_text_carry_titles_verbatim():
    (data,) = json.loads(render([_report()], Format.JSON))
    assert data["assessments"][0]["title"] == HOSTILE
    assert "SE: 1 assessments" in render([_report()], Format.TEXT)


def test_watched_act_is_filled_from_official_metadata(tmp_path):
    from compliance.catalogue.load import load

    path = tmp_path / "w.yaml"
    path.write_text("measures:\n  - id: watch-psd2\n    celex: 32015L2366\n    sources: [user]\n")
    watched = load([path]).measures["watch-psd2"]
    filled = enrich(watched, {"title": "Directive (EU) 2015/2366 on payment services",
                              "transposition": ["2018-01-13"], "_source": "eurlex"})
    assert filled.title.startswith("Directive (EU) 2015/2366")
    assert filled.obligations[0].date == date(2018, 1, 13) and filled.obligations[0].verified
    builtin = load().measures["prum-ii"]
    assert enrich(builtin, {"title": "other"}) is builtin
