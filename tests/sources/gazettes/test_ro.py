"""Romania (Portal Legislativ SOAP web service): the parser on a RECORDED answer (ro-eli-mcp) and on
constructed ones, the SOAP envelopes, token handling (never archived, never recorded), a refresh
against respx, import, and fuzzing. No test uses the network."""

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
from lxml import etree

from compliance.catalogue import load as catalogue
from compliance.config.settings import load_settings
from compliance.errors import ComplianceError, ParseError, SourceError
from compliance.redaction import REDACTED
from compliance.sources import SOURCES
from compliance.sources.base import SourceContext
from compliance.sources.gazettes import _payloads, _runs, _support, ro

from .conftest import fixture_bytes

SOAP = "https://ro.test/apiws/FreeWebService.svc/SOAP"
TOKEN = "constructed-token-0001-not-a-real-token"


def fx(name: str) -> bytes:
    return fixture_bytes("gazette-ro", name)


@pytest.fixture(autouse=True)
def no_pacing(monkeypatch):
    monkeypatch.setattr(ro, "PACER", _runs.Pacer(0.0))


def test_module_and_envelopes(make_ctx):
    assert ro.INFO is SOURCES["gazette-ro"] and ro.INFO.endpoint_names == ("GAZETTE_RO",)
    assert ro.endpoint(make_ctx()) == "https://legislatie.just.ro/apiws/FreeWebService.svc/SOAP"
    assert ro.search_text("32011L0036") == "2011/36" and ro.search_text("32024L1712") == "2024/1712"
    search = etree.fromstring(ro.search_envelope("t<k>", 3, "2011/36"))
    fields = {_payloads.local(e.tag): (e.text, e.get("{http://www.w3.org/2001/XMLSchema-instance}nil"))
              for e in search.iter() if isinstance(e.tag, str)}
    assert fields["NumarPagina"] == ("3", None) and fields["RezultatePagina"] == ("10", None)
    assert fields["SearchText"] == ("2011/36", None)
    assert fields["SearchAn"] == fields["SearchNumar"] == fields["SearchTitlu"] == (None, "true")
    assert fields["tokenKey"] == ("t<k>", None)  # escaped in the envelope, read back intact
    assert _payloads.local(etree.fromstring(ro.token_envelope())[0][0].tag) == "GetToken"


def test_parse_recorded_search():
    """The answer ro-eli-mcp recorded for Search(year=2018, number=190): three acts, no EU act."""
    acts, notes = ro.parse_search(fx("search_2018-190_recorded.xml"))
    assert notes == []
    assert [a.national_id for a in acts] == ["DECRET nr. 190/2018", "ORDIN nr. 190/2018", "HOTĂRÂRE nr. 190/2018"]
    decree = acts[0]
    assert decree.key == decree.url == "https://legislatie.just.ro/Public/DetaliiDocument/197400"
    assert (decree.adopted, decree.published, decree.entry_into_force) == (
        date(2018, 2, 1), date(2018, 2, 2), date(2018, 2, 2))
    assert decree.extra["gazette_issue"] == "104" and decree.extra["portal_id"] == "197400"
    assert decree.extra["issuer"] == "Pre?edintele României"  # as recorded ("?" for "ș")
    assert all(a.references == [] for a in acts)


def test_parse_constructed_search():
    acts, notes = ro.parse_search(fx("search_2011-36_constructed.xml"))
    law, decision, order = acts
    assert law.national_id == "LEGE nr. 9901/2013" and law.published == date(2013, 4, 2)
    assert law.link_for("32011L0036") == (_support.IMPLEMENTS, "transpune prevederile")
    # "… precum și de înlocuire a Deciziei-cadru 2002/629/JAI": named, not transposed.
    assert [r.link for r in law.refs_for("32002F0629")] == [_support.CITES]
    assert decision.link_for("32011L0036") == (_support.CITES, None)
    assert order.references == [] and order.published is None and order.notes
    assert notes == ["record 3: a Legi record whose LinkHtml 'http://legislatie.just.ro/Public/Altceva/1' "
                     "is not a portal document"]


def test_soap_faults_and_bad_answers():
    with pytest.raises(ro.TokenRefused, match="SOAP fault: Token invalid sau expirat"):
        ro.parse_search(fx("fault_token_constructed.xml"))
    assert ro.parse_token(fx("token_constructed.xml")) == TOKEN
    with pytest.raises(ParseError, match="no GetTokenResult"):
        ro.parse_token(b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>')
    with pytest.raises(ParseError, match="is not a SOAP Envelope"):
        ro.parse_search(b"<SearchResult/>")
    with pytest.raises(ParseError, match="no SearchResult"):
        ro.parse_search(fx("token_constructed.xml"))


# --- refresh ----------------------------------------------------------------------------------------


def _empty_page() -> bytes:
    return re.sub(rb"<a:Legi>.*</a:Legi>", b"", fx("search_2011-36_constructed.xml"), flags=re.S)


class FakePortal:
    """GetToken hands out numbered tokens; Search answers by SearchText and page."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.tokens = 0
        self.refuse: set[str] = set()  # tokens the service no longer accepts
        self.stale_status = 500

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        action = request.headers["SOAPAction"].strip('"').rsplit("/", 1)[1]
        body = etree.fromstring(request.content)
        if action == "GetToken":
            self.tokens += 1
            return httpx.Response(200, content=fx("token_constructed.xml").replace(b"0001", b"%04d" % self.tokens))
        fields = {_payloads.local(e.tag): e.text for e in body.iter() if isinstance(e.tag, str)}
        if fields["tokenKey"] in self.refuse:
            return httpx.Response(self.stale_status, content=fx("fault_token_constructed.xml"))
        if fields["SearchText"] == "2011/36" and fields["NumarPagina"] == "1":
            return httpx.Response(200, content=fx("search_2011-36_constructed.xml"))
        return httpx.Response(200, content=_empty_page())


@pytest.fixture
def portal(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_RO", SOAP)
    fake = FakePortal()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="ro.test").mock(side_effect=fake)
        yield fake


def test_refresh(portal, make_ctx):
    result = ro.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "ok" and result.coverage == []
    found = {f.reference: f for f in result.findings}
    assert set(found) == {"LEGE nr. 9901/2013", "HOTĂRÂRE nr. 9902/2014"}
    law = found["LEGE nr. 9901/2013"]
    assert law.kind == "national-measure" and law.date == date(2013, 4, 2) and law.member_state == "RO"
    assert law.data["link_basis"] == "transpune prevederile" and law.data["gazette_issue"] == "999"
    assert found["HOTĂRÂRE nr. 9902/2014"].kind == "citation"
    assert "no coverage" in result.reason and "1 hit(s) that do not name the directive" in result.reason
    assert "record 3:" in result.reason
    # One token, then one page: four records (the unreadable one counted) are fewer than ten.
    actions = [r.headers["SOAPAction"] for r in portal.requests]
    assert actions == ['"http://tempuri.org/IFreeWebService/GetToken"', '"http://tempuri.org/IFreeWebService/Search"']
    assert portal.requests[1].headers["Content-Type"] == "text/xml; charset=utf-8"


def test_the_token_is_neither_archived_nor_recorded(portal, make_ctx):
    result = ro.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert [f.request["method"] for f in result.fetches] == ["POST"]  # the GetToken answer is not a fetch
    recorded = json.dumps([f.request for f in result.fetches])
    assert TOKEN not in recorded and f"<tokenKey>{REDACTED}</tokenKey>" in recorded
    assert TOKEN.encode() in portal.requests[1].content  # the real token went out


@pytest.mark.parametrize("stale_status", [500, 200])
def test_a_refused_token_is_renewed_once(portal, make_ctx, stale_status):
    portal.stale_status = stale_status
    portal.refuse = {TOKEN}
    result = ro.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "ok" and portal.tokens == 2 and len(result.findings) == 2
    portal.refuse = {TOKEN, TOKEN.replace("0001", "0003"), TOKEN.replace("0001", "0004")}
    portal.tokens = 2
    result = ro.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "every search failed" in result.reason and result.findings == []


def test_paging_stops_at_a_short_page_and_at_the_cap(portal, make_ctx, monkeypatch):
    monkeypatch.setattr(ro, "PAGE_SIZE", 4)  # the constructed page's four records make a full page
    monkeypatch.setattr(ro, "MAX_PAGES", 3)
    ro.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    pages = [re.search(rb"<d:NumarPagina>(\d+)<", r.content).group(1) for r in portal.requests
             if b"<Search " in r.content]
    assert pages == [b"1", b"2"]
    portal.requests.clear()
    monkeypatch.setattr(ro, "PAGE_SIZE", 0)  # every page "full": the cap stops it and says so
    result = ro.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert "more than 0 records; the rest was not read" in result.reason


def test_refresh_scope(make_ctx):
    assert ro.refresh(make_ctx(member_states=["DK"])).reason == "Romania is not among the selected Member States"
    with pytest.raises(SourceError, match="import mode"):
        ro.refresh(make_ctx(measure_ids=["thb-directive-2011-36"], http=None))


def test_import(make_ctx):
    result = ro.parse_import(fx("search_2011-36_constructed.xml"), "ro.xml", make_ctx(http=None))
    assert {(f.reference, f.kind) for f in result.findings} == {
        ("LEGE nr. 9901/2013", "national-measure"), ("HOTĂRÂRE nr. 9902/2014", "citation")}
    with pytest.raises(ParseError, match="ro.xml: 3 act.s. read; they cite no EU act at all"):
        ro.parse_import(fx("search_2018-190_recorded.xml"), "ro.xml", make_ctx(http=None))


# --- fuzzing -------------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<&"), max_size=40)
_legi = st.builds(
    lambda link, kind, title, text: (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><SearchResponse '
        'xmlns="http://tempuri.org/"><SearchResult xmlns:a="x"><a:Legi>'
        f"<a:LinkHtml>{link}</a:LinkHtml><a:TipAct>{kind}</a:TipAct><a:Numar>1</a:Numar>"
        f"<a:Titlu>{title}</a:Titlu><a:Text>{text}</a:Text><a:DataVigoare>{title}</a:DataVigoare>"
        "</a:Legi></SearchResult></SearchResponse></s:Body></s:Envelope>").encode(),
    st.sampled_from(["http://legislatie.just.ro/Public/DetaliiDocument/1", "", "x"]),
    st.sampled_from(["LEGE", ""]), _text, _text,
)


@cache
def import_ctx() -> SourceContext:
    return SourceContext(settings=load_settings(), catalogue=catalogue.load(), http=None)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), _legi))
def test_parsers_raise_only_project_errors(body):
    for parse in (ro.parse_search, ro.parse_token, lambda b: ro.parse_import(b, "f", import_ctx())):
        try:
            parse(body)
        except ComplianceError:
            continue
