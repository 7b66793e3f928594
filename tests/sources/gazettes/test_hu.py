"""Hungary (NJT through its ELI URIs): document pages on constructed payloads (the landmarks of
hu-eli-mcp's DISCOVERY and WWL's parser), the jogharmonizációs záradék, the walk of a year's
numbers against respx, import, and fuzzing. No test uses the network."""

from __future__ import annotations

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
from compliance.errors import ComplianceError, ParseError, SourceError
from compliance.sources import SOURCES
from compliance.sources.base import SourceContext
from compliance.sources.gazettes import _support, hu

from .conftest import fixture_bytes

BASE = "https://hu.test"
TV = "tv_2013-9901_constructed.html"
KORM = "korm_2014-9902_constructed.html"


def fx(name: str) -> bytes:
    return fixture_bytes("gazette-hu", name)


def test_module(make_ctx):
    assert hu.INFO is SOURCES["gazette-hu"] and hu.INFO.endpoint_names == ("GAZETTE_HU",)
    assert hu.endpoint(make_ctx()) == "https://njt.jog.gov.hu"
    assert [hu.eli_path(k, 2013, 5) for k, _ in hu.KINDS] == ["TV/2013/5", "R/2013/Korm/5"]
    assert hu.promulgated_on("A kihirdetés napja: 2025. december 29.") == date(2025, 12, 29)
    assert hu.promulgated_on("A kihirdetés napja: 2025. február 30.") is None


def test_act_with_the_conformity_clause():
    act = hu.parse_document(fx(TV), f"{hu.ELI_BASE}/TV/2013/9901")
    assert act.key == act.url == "https://njt.jog.gov.hu/eli/TV/2013/9901"
    assert act.national_id == "2013. évi CMXCIX. törvény" and act.type == "törvény"
    assert act.title.endswith("módosításáról (KONSTRUÁLT, TESZTELÉSHEZ)")  # the footnote mark removed
    assert act.published == date(2013, 11, 12) and act.extra["in_force_as_shown"] == "2026.03.01."
    link, basis = act.link_for("32011L0036")
    assert link == _support.IMPLEMENTS and basis.endswith("irányelvnek való megfelelést szolgálja")
    # Named in the directive's title (what it replaces), and in another section: citations.
    assert act.link_for("32002F0629") == act.link_for("32012L0029") == (_support.CITES, None)
    # Today's consolidated text: no transposition date, the promulgation kept in the data.
    assert act.date_for("32011L0036", _support.IMPLEMENTS)[0] is None


def test_decree_that_only_mentions_a_directive():
    act = hu.parse_document(fx(KORM), f"{hu.ELI_BASE}/R/2014/Korm/9902")
    assert act.type == "Korm. rendelet" and act.published is None
    assert [(r.celex, r.link) for r in act.references] == [("32011L0036", _support.CITES)]


@pytest.mark.parametrize(("body", "error", "match"), [
    (b"<html><body><div data-ng-view></div></body></html>", ParseError, "not an NJT document page"),
    (b"<html><body>The requested URL was rejected.</body></html>", SourceError, "bot check"),
    (b"text only", ParseError, "not an HTML page"),
])
def test_bad_pages(body, error, match):
    with pytest.raises(error, match=match):
        hu.parse_document(body, f"{hu.ELI_BASE}/TV/2013/1")


# --- refresh ----------------------------------------------------------------------------------------


class FakeNJT:
    """Number 1 of every year and kind is an act; number 2 redirects to the search-assist page."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.page: bytes | None = None  # served for every number instead, when set

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path)
        if path == "/eli/kereses":
            return httpx.Response(200, content=fx("kereses_constructed.html"))
        if self.page is not None:
            return httpx.Response(200, content=self.page)
        m = re.fullmatch(r"/eli/(TV|R)/(\d{4})(?:/Korm)?/(\d+)", path)
        if m and m.group(3) == "1":
            return httpx.Response(302, headers={"Location": f"/jogszabaly/{m.group(1)}-{m.group(2)}-1-00-00"})
        if path.startswith("/jogszabaly/"):
            return httpx.Response(200, content=fx(TV if path.startswith("/jogszabaly/TV") else KORM))
        return httpx.Response(302, headers={"Location": "/eli/kereses"})


@pytest.fixture
def njt(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_HU", BASE)
    monkeypatch.setattr(hu, "_today", lambda: date(2026, 6, 1))
    monkeypatch.setattr(hu, "CHUNK", 1)  # one number at a time, so that the order of requests is known
    fake = FakeNJT()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="hu.test").mock(side_effect=fake)
        yield fake


def test_refresh(njt, make_ctx):
    result = hu.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "ok" and result.coverage == []
    # 2011 to 2014 (deadline 2013 + 1), most recent first; in each, Act 1 and decree 1, then the end.
    walked = [p for p in njt.paths if p.startswith("/eli/") and p != "/eli/kereses"]
    assert walked[:4] == ["/eli/TV/2014/1", "/eli/TV/2014/2", "/eli/R/2014/Korm/1", "/eli/R/2014/Korm/2"]
    assert len(walked) == 16
    kinds = {(f.key, f.kind) for f in result.findings}
    assert ("https://njt.jog.gov.hu/eli/TV/2013/1", "national-measure") in kinds
    assert ("https://njt.jog.gov.hu/eli/R/2013/Korm/1", "citation") in kinds
    law = next(f for f in result.findings if f.key.endswith("/TV/2013/1"))
    assert law.date is None and law.data["dates"]["publication"] == "2013-11-12"
    assert "no coverage" in result.reason and "no transposition dates" in result.reason


def test_a_failing_walk_stops_and_a_service_failing_everywhere_fails(njt, make_ctx):
    njt.page = b"<html><body>maintenance</body></html>"
    result = hu.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "every walk failed" in result.reason and result.findings == []
    assert len([p for p in njt.paths if p.startswith("/eli/TV/2014/")]) == 3  # three failures stop a walk


def test_a_year_without_number_1_is_suspect(njt, make_ctx, monkeypatch):
    njt.page = fx("kereses_constructed.html")
    monkeypatch.setattr(hu, "not_found", lambda fetch: True)
    result = hu.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "suspect" and "looks incomplete" in result.reason


def test_refresh_scope(make_ctx):
    assert hu.refresh(make_ctx(member_states=["DK"])).reason == "Hungary is not among the selected Member States"
    with pytest.raises(SourceError, match="import mode"):
        hu.refresh(make_ctx(measure_ids=["thb-directive-2011-36"], http=None))


def test_import(make_ctx):
    page = fx(TV).replace(b"</body>", b'<a href="/eli/TV/2013/9901">ELI</a></body>')
    result = hu.parse_import(page, "hu.html", make_ctx(http=None))
    assert [(f.key, f.kind) for f in result.findings] == [("https://njt.jog.gov.hu/eli/TV/2013/9901",
                                                           "national-measure")]
    with pytest.raises(ParseError, match="hu.html: .*not an NJT document page"):
        hu.parse_import(fx("kereses_constructed.html"), "hu.html", make_ctx(http=None))


# --- fuzzing -------------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<&"), max_size=40)
_page = st.builds(
    lambda title, text, note: (
        f'<html><body><div class="jogszabaly"><h1 class="jogszabalyMainTitle">{title}</h1>'
        f'<div class="bekezdes"><p>{text} 2011/36/EU irányelvnek való megfelelést szolgálja</p></div></div>'
        f'<div class="footnote"><p>A kihirdetés napja: {note}</p></div></body></html>').encode(),
    _text, _text, st.sampled_from(["2013. november 12.", "2013. nonember 99.", ""]),
)


@cache
def import_ctx() -> SourceContext:
    return SourceContext(settings=load_settings(), catalogue=catalogue.load(), http=None)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), _page))
def test_parsers_raise_only_project_errors(body):
    for parse in (lambda b: hu.parse_document(b, f"{hu.ELI_BASE}/TV/2013/1"),
                  lambda b: hu.parse_import(b, "f", import_ctx())):
        try:
            parse(body)
        except ComplianceError:
            continue
