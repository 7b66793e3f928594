"""Netherlands (KOOP SRU 2.0): parsers on constructed payloads (no real payload exists, sources.md
2.14), SRU diagnostics, a refresh against respx, import, and fuzzing. No test uses the network."""

from __future__ import annotations

from datetime import date
from functools import cache
from urllib.parse import parse_qs

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
from compliance.sources.gazettes import _support, nl

from .conftest import fixture_bytes

SRU = "https://sru.test/sru"
REPO = "https://repository.overheid.nl"


def fx(name: str) -> bytes:
    return fixture_bytes("gazette-nl", name)


def test_module_and_query(make_ctx, monkeypatch):
    assert nl.INFO is SOURCES["gazette-nl"] and nl.INFO.endpoint_names == ("GAZETTE_NL",)
    assert nl.endpoint(make_ctx()) == "https://repository.overheid.nl/sru"
    assert nl.number_phrase("32011L0036") == "2011/36" and nl.number_phrase("32024L1712") == "(EU) 2024/1712"
    assert nl.cql("32024L1712") == ('c.product-area==officielepublicaties AND (w.publicatienaam==Staatsblad OR '
                                    'w.publicatienaam==Staatscourant) AND cql.textAndIndexes="(EU) 2024/1712"')


def test_parse_constructed_search():
    (stb, stcrt), total = nl.parse_search(fx("sru_2011-36_constructed.xml"))
    assert total == 2
    assert stb.key == stb.national_id == "stb-2013-9901" and stb.type == "Wet"
    assert (stb.adopted, stb.published) == (date(2013, 3, 20), date(2013, 4, 2))
    assert stb.url == "https://zoek.officielebekendmakingen.nl/stb-2013-9901.html"
    assert stb.extra["publication"] == "Staatsblad" and stb.extra["publicatienummer"] == "9901"
    assert stb.link_for("32011L0036") == (_support.IMPLEMENTS, "implementatie van")
    assert stcrt.published is None and stcrt.references == []  # 30 February; title names no EU act
    assert stcrt.extra["urls"]["xml"].endswith("stcrt-2014-99002.xml")
    assert nl.parse_search(fx("sru_empty_constructed.xml")) == ([], 0)


def test_sru_errors():
    with pytest.raises(SourceError, match="SRU diagnostic: info:srw/diagnostic/1/10 Query syntax error"):
        nl.parse_search(fx("sru_diagnostic_constructed.xml"))
    with pytest.raises(ParseError, match="no numberOfRecords"):
        nl.parse_search(b'<searchRetrieveResponse xmlns="http://docs.oasis-open.org/ns/search-ws/sruResponse"/>')
    with pytest.raises(ParseError, match="not searchRetrieveResponse"):
        nl.parse_search(b"<explainResponse/>")


def test_publication_text():
    text = nl.parse_publication(fx("stb-2013-9901_constructed.xml"))
    assert "ter implementatie van richtlijn nr. 2011/36/EU" in text


# --- refresh ----------------------------------------------------------------------------------------


def page(start: int, size: int) -> bytes:
    """The constructed answer cut to records start .. start+size-1 (numberOfRecords stays 2)."""
    text = fx("sru_2011-36_constructed.xml").decode()
    head, rest = text.split("<sru:record>", 1)
    records = ["<sru:record>" + r for r in rest.split("<sru:record>")]
    tail = "</sru:records>" + records[-1].split("</sru:records>", 1)[1]
    records[-1] = records[-1].split("</sru:records>", 1)[0]
    return (head + "".join(records[start - 1:start - 1 + size]) + tail).encode()


class FakeKoop:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.sru: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "sru.test":
            if self.sru is not None:
                return self.sru
            params = parse_qs(request.url.query.decode())
            if '"2011/36"' not in params["query"][0]:
                return httpx.Response(200, content=fx("sru_empty_constructed.xml"))
            return httpx.Response(200, content=page(int(params["startRecord"][0]), int(params["maximumRecords"][0])))
        name = request.url.path.rsplit("/", 1)[-1].replace(".xml", "_constructed.xml")
        return httpx.Response(200, content=fx(name))


@pytest.fixture
def koop(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_NL", SRU)
    fake = FakeKoop()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="sru.test").mock(side_effect=fake)
        router.route(host="repository.overheid.nl").mock(side_effect=fake)
        yield fake


def test_refresh(koop, make_ctx):
    result = nl.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "ok"
    assert result.coverage == [] and "not yet verified" in result.reason
    found = {f.key: f for f in result.findings}
    assert found["stb-2013-9901"].kind == "national-measure" and found["stb-2013-9901"].date == date(2013, 4, 2)
    # The regulation names the directive only in its text: a citation, dated by nothing (no valid date).
    assert found["stcrt-2014-99002"].kind == "citation" and found["stcrt-2014-99002"].date is None
    assert found["stb-2013-9901"].fetch.url.startswith(REPO + "/frbr/officielepublicaties/stb/2013/")
    params = parse_qs(koop.requests[0].url.query.decode())
    assert params["recordSchema"] == ["gzd"] and params["version"] == ["2.0"] and params["startRecord"] == ["1"]


def test_refresh_coverage_once_full_text_is_verified(koop, make_ctx, monkeypatch):
    monkeypatch.setattr(nl, "FULL_TEXT_VERIFIED", True)
    result = nl.refresh(make_ctx(measure_ids=["thb-directive-2011-36", "thb-directive-2024-1712"]))
    cov = {c.measure_id: c for c in result.coverage}
    assert set(cov) == {"thb-directive-2011-36", "thb-directive-2024-1712"}
    assert all(c.status == "ok" and c.member_state == "NL" for c in cov.values())
    assert cov["thb-directive-2024-1712"].reason.startswith("0 publication(s)")


def test_refresh_paging_and_failures(koop, make_ctx, monkeypatch):
    monkeypatch.setattr(nl, "PAGE_SIZE", 1)
    nl.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    starts = [parse_qs(r.url.query.decode())["startRecord"][0] for r in koop.requests if r.url.host == "sru.test"]
    assert starts == ["1", "2"]
    koop.sru = httpx.Response(200, content=fx("sru_diagnostic_constructed.xml"))
    result = nl.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "Query syntax error" in result.reason and result.coverage == []


def test_import(make_ctx):
    result = nl.parse_import(fx("sru_2011-36_constructed.xml"), "sru.xml", make_ctx(http=None))
    assert [(f.key, f.kind) for f in result.findings] == [("stb-2013-9901", "national-measure")]
    with pytest.raises(ParseError, match="not an SRU XML answer"):
        nl.parse_import(b"{}", "x.json", make_ctx(http=None))


# --- fuzzing -------------------------------------------------------------------------------------

_sru = st.builds(
    lambda n, ident, t: (f'<searchRetrieveResponse><numberOfRecords>{n}</numberOfRecords><record><meta><owmskern>'
                         f"<identifier>{ident}</identifier><title>{t}</title></owmskern><owmsmantel><available>{t}"
                         f"</available></owmsmantel></meta><itemUrl manifestation='xml'>{t}</itemUrl></record>"
                         "</searchRetrieveResponse>").encode(),
    st.sampled_from(["1", "x", ""]), st.sampled_from(["stb-2013-1", ""]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<&"), max_size=30),
)


@cache
def import_ctx() -> SourceContext:
    return SourceContext(settings=load_settings(), catalogue=catalogue.load(), http=None)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), _sru))
def test_parsers_raise_only_project_errors(body):
    for parse in (nl.parse_search, nl.parse_publication, lambda b: nl.parse_import(b, "f", import_ctx())):
        try:
            parse(body)
        except ComplianceError:
            continue
