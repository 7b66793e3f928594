"""Croatia (Narodne novine): ELI metadata on REAL recorded answers (the Copyright Act 2021 with its
eli:transposes links, the GDPR implementing act without any, an issue sitemap) and CONSTRUCTED ones
in the same shape, the sitemap walk of a refresh against respx, import, and fuzzing. No test uses
the network."""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.catalogue import load as catalogue
from compliance.config.settings import load_settings
from compliance.errors import BlockedError, ComplianceError, ParseError, SourceError
from compliance.sources import SOURCES
from compliance.sources.base import SourceContext
from compliance.sources.gazettes import _runs, _support, hr

from .conftest import fixture_bytes

BASE = "https://hr.test"
COPYRIGHT_ACT = "act_2021-111-1941_legalize-pipeline_recorded.json"


def fx(name: str) -> bytes:
    return fixture_bytes("gazette-hr", name)


def test_module_and_urls(make_ctx):
    assert hr.INFO is SOURCES["gazette-hr"] and hr.INFO.endpoint_names == ("GAZETTE_HR",)
    assert hr.INFO.member_states == ("HR",) and hr.INFO.available()
    assert hr.endpoint(make_ctx()) == "https://narodne-novine.nn.hr"
    assert hr.index_url(BASE) == f"{BASE}/sitemap.xml"
    assert hr.issue_sitemap_url(BASE, 2018, 42) == f"{BASE}/sitemap_1_2018_42.xml"
    assert hr.metadata_url(BASE, 2018, 42, 805) == f"{BASE}/eli/sluzbeni/2018/42/805/json-ld"


def test_real_act_with_eli_transposes():
    act = hr.parse_metadata(fx(COPYRIGHT_ACT))
    assert act.key == act.eli == "https://narodne-novine.nn.hr/eli/sluzbeni/2021/111/1941"
    assert act.national_id == "NN 111/2021 (1941)" and act.type == "ZAKON"
    assert act.title == "Zakon o autorskom pravu i srodnim pravima"
    assert (act.adopted, act.published) == (date(2021, 10, 1), date(2021, 10, 14))
    assert act.link_for("31993L0083") == (_support.IMPLEMENTS, hr.TRANSPOSES_BASIS)
    assert act.link_for("32017L1564") == (_support.IMPLEMENTS, hr.TRANSPOSES_BASIS)
    assert len([r for r in act.references if r.where == "eli:transposes"]) == 15
    # The publisher's inverted relation: a citation with a note, never a national measure.
    assert act.link_for("32001L0084") == (_support.CITES, None)
    assert act.notes and "inverted" in act.notes[0]


def test_real_act_without_eu_links_and_the_expected_node():
    act = hr.parse_metadata(fx("act_2018-42-805_hr-eli-mcp_recorded.json"), expected=(2018, 42, 805))
    assert act.title == "Zakon o provedbi Opće uredbe o zaštiti podataka" and act.references == []
    assert act.published == date(2018, 5, 9)
    with pytest.raises(ParseError, match="NN 42/2018 \\(806\\)"):
        hr.parse_metadata(fx("act_2018-42-805_hr-eli-mcp_recorded.json"), expected=(2018, 42, 806))


def test_real_issue_sitemap_and_constructed_index():
    docs = hr.parse_issue_sitemap(fx("sitemap_1_2018_42_hr-eli-mcp_recorded.xml"), 2018, 42)
    assert docs == list(range(805, 827))  # the blank line before the XML declaration is no obstacle
    assert hr.parse_issue_sitemap(fx("sitemap_1_2018_42_hr-eli-mcp_recorded.xml"), 2018, 43) == []
    # Part 2 (international treaties) is not read.
    assert hr.parse_index(fx("sitemap-index_constructed.xml")) == {2018: [42], 2024: [9903], 2025: [9901, 9902]}


def test_constructed_acts():
    law = hr.parse_metadata(fx("act_2025-9901-99001_constructed.json"))
    assert law.link_for("32024L1712") == (_support.IMPLEMENTS, hr.TRANSPOSES_BASIS)
    assert law.link_for("32011L0036") == (_support.CITES, None)
    rule = hr.parse_metadata(fx("act_2025-9901-99002_constructed.json"))
    assert rule.type == "OSTALO"
    assert [(r.celex, r.link, r.where) for r in rule.references] == [("32011L0036", _support.CITES, "title")]


@pytest.mark.parametrize(("body", "error", "match"), [
    (b"<html><body>Access denied</body></html>", BlockedError, "HTML"),
    (b"{}", ParseError, "no eli:LegalResource"),
    (b'{"@graph": 3}', ParseError, "expected a JSON-LD graph"),
    (b"", ParseError, "empty body"),
    (b"\xff\xfe", ParseError, "not UTF-8"),
])
def test_bad_metadata(body, error, match):
    with pytest.raises(error, match=match):
        hr.parse_metadata(body)


@pytest.mark.parametrize("body", [b"<urlset><url><loc>x</loc></url>", b"<rss/>", b"",
                                  b'<!DOCTYPE x [<!ENTITY a "b">]><urlset/>'])
def test_bad_sitemaps(body):
    with pytest.raises(ComplianceError):
        hr.parse_index(body)


# --- refresh ----------------------------------------------------------------------------------------


class FakeNarodneNovine:
    def __init__(self) -> None:
        self.paths: list[str] = []
        self.down: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path)
        if any(path.startswith(p) for p in self.down):
            return httpx.Response(503)
        if path == "/sitemap.xml":
            return httpx.Response(200, content=fx("sitemap-index_constructed.xml"))
        if m := re.fullmatch(r"/(sitemap_1_\d{4}_\d+)\.xml", path):
            return httpx.Response(200, content=fx(f"{m.group(1)}_constructed.xml"))
        if m := re.fullmatch(r"/eli/sluzbeni/2025/9901/(9900[12])/json-ld", path):
            return httpx.Response(200, content=fx(f"act_2025-9901-{m.group(1)}_constructed.json"),
                                  headers={"Content-Type": "application/ld+json"})
        return httpx.Response(404)


@pytest.fixture
def nn(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_HR", BASE)
    monkeypatch.setattr(hr, "_today", lambda: date(2026, 6, 1))
    monkeypatch.setattr(hr, "PACER", _runs.Pacer(0.0))
    fake = FakeNarodneNovine()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="hr.test").mock(side_effect=fake)
        yield fake


def test_refresh(nn, make_ctx):
    result = hr.refresh(make_ctx(measure_ids=["thb-directive-2024-1712", "thb-directive-2011-36"]))
    assert result.status == "ok" and result.coverage == []
    found = {(f.reference, f.measure_id): f for f in result.findings}
    assert set(found) == {("NN 9901/2025 (99001)", "thb-directive-2024-1712"),
                          ("NN 9901/2025 (99001)", "thb-directive-2011-36"),
                          ("NN 9901/2025 (99002)", "thb-directive-2011-36")}
    law = found[("NN 9901/2025 (99001)", "thb-directive-2024-1712")]
    assert law.kind == "national-measure" and law.date == date(2025, 3, 14) and law.member_state == "HR"
    assert law.data["link_basis"] == hr.TRANSPOSES_BASIS and law.url.endswith("/eli/sluzbeni/2025/9901/99001")
    assert found[("NN 9901/2025 (99001)", "thb-directive-2011-36")].kind == "citation"
    assert found[("NN 9901/2025 (99002)", "thb-directive-2011-36")].kind == "citation"
    # 2011/36: 2011-2015, of which only 2015 has ELI metadata; 2024/1712: 2024-2026 (MAX_YEARS=3 of them).
    assert "years before 2015 not read (no ELI metadata): 2011, 2012, 2013, 2014" in result.reason
    assert "years not read (more than MAX_YEARS=3): 2015" in result.reason and "2 without (404)" in result.reason
    assert "/sitemap_1_2018_42.xml" not in nn.paths and "/sitemap_2_2025_9901.xml" not in nn.paths
    assert "/eli/sluzbeni/2025/9902/99010/json-ld" in nn.paths  # listed by its own issue only once
    assert nn.paths.count("/eli/sluzbeni/2025/9902/99010/json-ld") == 1
    assert "no coverage" in result.reason


def test_refresh_failures(nn, make_ctx, monkeypatch):
    ctx = make_ctx(measure_ids=["thb-directive-2024-1712"])
    monkeypatch.setattr(hr, "MAX_DOCUMENTS", 1)
    result = hr.refresh(ctx)
    assert "3 of 4 acts not read (MAX_DOCUMENTS=1)" in result.reason and len(result.findings) == 1
    nn.down = {"/sitemap_1_"}
    result = hr.refresh(ctx)
    assert result.status == "failed" and "every issue sitemap failed" in result.reason
    nn.down = {"/sitemap.xml"}
    result = hr.refresh(ctx)
    assert result.status == "failed" and result.reason.startswith("sitemap index:")
    nn.down = {"/eli/"}
    result = hr.refresh(ctx)
    assert result.status == "failed" and "every ELI metadata document failed" in result.reason


def test_an_index_without_a_past_year_is_suspect(nn, make_ctx, monkeypatch):
    monkeypatch.setattr(hr, "_today", lambda: date(2027, 6, 1))  # 2026 is past, and absent
    result = hr.refresh(make_ctx(measure_ids=["thb-directive-2024-1712"]))
    assert result.status == "suspect" and "no issue of 2026" in result.reason


def test_refresh_scope(make_ctx):
    assert hr.refresh(make_ctx(member_states=["DK"])).reason == "Croatia is not among the selected Member States"
    with pytest.raises(SourceError, match="import mode"):
        hr.refresh(make_ctx(measure_ids=["thb-directive-2024-1712"], http=None))


def test_import(make_ctx):
    result = hr.parse_import(fx("act_2025-9901-99001_constructed.json"), "nn.json", make_ctx(http=None))
    assert {(f.reference, f.kind) for f in result.findings} == {("NN 9901/2025 (99001)", "national-measure"),
                                                                ("NN 9901/2025 (99001)", "citation")}
    with pytest.raises(ParseError, match="none of which is a catalogued measure"):
        hr.parse_import(fx(COPYRIGHT_ACT), "copyright.json", make_ctx(http=None))


# --- fuzzing -------------------------------------------------------------------------------------

_uri = st.one_of(st.text(max_size=30), st.just("http://data.europa.eu/eli/dir/2024/1712/oj"),
                 st.just("https:/narodne-novine.nn.hr/eli/sluzbeni/2025/1/1"))
_node = st.fixed_dictionaries({
    "@id": st.sampled_from(["https://narodne-novine.nn.hr/eli/sluzbeni/2025/1/1", "x", ""]),
    "@type": st.one_of(st.just([hr.ELI_NS + "LegalResource"]), st.text(max_size=5), st.none()),
    hr.ELI_NS + "transposes": st.one_of(st.lists(st.fixed_dictionaries({"@id": _uri}), max_size=3), _uri, st.none()),
    hr.ELI_NS + "date_publication": st.one_of(st.lists(st.fixed_dictionaries({"@value": st.text(max_size=12)})),
                                              st.integers()),
})


@cache
def import_ctx() -> SourceContext:
    return SourceContext(settings=load_settings(), catalogue=catalogue.load(), http=None)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.lists(_node, max_size=3).map(lambda g: json.dumps(g).encode())))
def test_parsers_raise_only_project_errors(body):
    for parse in (hr.parse_metadata, hr.parse_index, lambda b: hr.parse_issue_sitemap(b, 2025, 1),
                  lambda b: hr.parse_import(b, "nn.json", import_ctx())):
        try:
            parse(body)
        except ComplianceError:
            continue
