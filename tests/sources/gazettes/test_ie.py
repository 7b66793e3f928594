"""Ireland (eISB): the ISB XML and listing parsers on constructed and real payloads, a refresh
against respx, `compliance import`, and fuzzing. No test uses the network."""

from __future__ import annotations

import json
from datetime import date
from functools import cache

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.catalogue import load as catalogue
from compliance.config.settings import load_settings
from compliance.errors import BlockedError, ComplianceError, ParseError
from compliance.sources import SOURCES
from compliance.sources.base import SourceContext
from compliance.sources.gazettes import _support, ie

from ..concurrency import InFlight, snapshot
from ..concurrency import client as concurrency_client
from .conftest import SAMPLES, fixture_bytes, needs_samples, sample

BASE = "https://isb.test"
REAL = "eisb-act-2018-7-data-protection.xml"
SI_ELI = "https://www.irishstatutebook.ie/eli/2013/si/9901/made/en"


def fx(name: str) -> bytes:
    return fixture_bytes("gazette-ie", name)


def test_module_is_the_registered_source(make_ctx, monkeypatch):
    assert ie.INFO is SOURCES["gazette-ie"] and ie.INFO.endpoint_names == ("GAZETTE_IE",)
    assert ie.endpoint(make_ctx()) == "https://www.irishstatutebook.ie"
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_IE", BASE)
    assert ie.endpoint(make_ctx()) == BASE


# --- parsers: constructed -------------------------------------------------------------------------


def test_parse_constructed_si():
    si = ie.parse_isb(fx("si_2013-9901_constructed.xml"))
    assert si.key == si.eli == SI_ELI and si.url == SI_ELI + "/html"
    assert si.national_id == "S.I. No. 9901 of 2013" and si.type == "Statutory Instrument"
    assert si.adopted == date(2013, 4, 5) and si.published is None
    assert si.title == "EUROPEAN UNION (PREVENTION OF TRAFFICKING IN HUMAN BEINGS) REGULATIONS 2013"
    # "for the purpose of giving effect to Directive 2011/36/EU" in the preamble: implements.
    assert si.link_for("32011L0036") == (_support.IMPLEMENTS, "giving effect to")
    # "… and replacing Council Framework Decision 2002/629/JHA": cited only.
    assert si.link_for("32002F0629")[0] == _support.CITES
    # Character elements and an entity of the external DTD are put back into the text.
    body = ie.isb_text(next(e for e in ie.parse_xml(fx("si_2013-9901_constructed.xml"), "t")[0] if e.tag == "body"))
    assert "“An Garda Síochána” has its usual meaning é." in body


def test_parse_constructed_act_and_listings():
    act = ie.parse_isb(fx("act_2013-99_constructed.xml"))
    assert act.national_id == "No. 99 of 2013" and act.type == "Act"
    assert act.key == "https://www.irishstatutebook.ie/eli/2013/act/99/enacted/en"
    assert act.extra["long_title"].startswith("An Act to make provision for the support of victims")
    assert act.link_for("32011L0036")[0] == _support.CITES
    sis = ie.parse_listing(fx("listing_2013_si_constructed.html"), 2013, "si")
    assert [(i["number"], i["stage"], i["title"]) for i in sis] == [
        (9900, "made", "Road Traffic (Lighting of Vehicles) (Amendment) Regulations 2013"),
        (9901, "made", "European Union (Prevention of Trafficking in Human Beings) Regulations 2013"),
    ]  # the link to a 2012 SI is not of this listing
    [item] = ie.parse_listing(fx("listing_2013_act_constructed.html"), 2013, "act")
    assert item == {"number": 99, "stage": "enacted", "title": "Criminal Justice (Victims) Act 2013",
                    "href": "/eli/2013/act/99/enacted/en/html"}


def test_findings_date_is_the_enactment(make_ctx):
    si = ie.parse_isb(fx("si_2013-9901_constructed.xml"))
    [item] = _support.findings_for(si, make_ctx(), None)
    assert item.kind == "national-measure" and item.member_state == "IE"
    assert item.date == date(2013, 4, 5) and item.data["date_kind"].startswith("adoption")


def test_bad_payloads():
    with pytest.raises(ParseError, match="no <metadata>"):
        ie.parse_isb(b"<act><body/></act>")
    with pytest.raises(ParseError, match="not numbers"):
        ie.parse_isb(b"<act><metadata><title>x</title><number>seven</number><year>2018</year></metadata></act>")
    with pytest.raises(BlockedError):
        ie.parse_isb(b"<html><head><title>Access Denied</title></head></html>")
    with pytest.raises(ParseError, match="not well-formed"):
        ie.parse_isb(fx("act_2013-99_constructed.xml")[:300])
    with pytest.raises(ParseError, match="not an HTML page"):
        ie.parse_listing(b"nothing here", 2013, "si")


# --- real sample ------------------------------------------------------------------------------------


@pytest.mark.samples
@needs_samples("ie")
def test_real_act():
    act = ie.parse_isb(sample("ie", REAL))
    assert act.key == "https://www.irishstatutebook.ie/eli/2018/act/7/enacted/en"
    assert act.national_id == "No. 7 of 2018" and act.title == "DATA PROTECTION ACT 2018"
    assert act.adopted == date(2018, 5, 24) and act.type == "Act"
    assert act.extra["long_title"].startswith("An Act to establish a body to be known as An Coimisiún um "
                                              "Chosaint Sonraí")
    # The long title "to give effect to Directive (EU) 2016/680" and "to give further effect to
    # Regulation (EU) 2016/679"; it repeals nothing itself but names the repealed acts.
    assert act.link_for("32016L0680") == (_support.IMPLEMENTS, "give effect to")
    assert act.link_for("32016R0679") == (_support.IMPLEMENTS, "give further effect to")
    assert act.link_for("31995L0046")[0] == _support.CITES
    assert act.link_for("32008F0977")[0] == _support.CITES
    assert {"32016L0680", "32016R0679", "31995L0046", "32008F0977"} <= set(act.celex())


@pytest.mark.samples
@needs_samples("ie")
def test_cli_import_real_sample(run_cli, tmp_path):
    watch = tmp_path / "watch.yaml"
    watch.write_text('measures:\n  - id: led\n    celex: 32016L0680\n    sources: ["https://eur-lex.europa.eu/"]\n')
    code, out, err = run_cli("import", "--source", "gazette-ie", str(SAMPLES / "ie" / REAL), "--catalogue",
                             str(watch), "--dry-run", "--format", "json")
    assert code == 0, err
    [item] = json.loads(out)["findings"]
    assert item == {"measure": "led", "member_state": "IE", "kind": "national-measure",
                    "key": "https://www.irishstatutebook.ie/eli/2018/act/7/enacted/en", "date": "2018-05-24",
                    "title": "DATA PROTECTION ACT 2018", "reference": "No. 7 of 2018",
                    "url": "https://www.irishstatutebook.ie/eli/2018/act/7/enacted/en/html"}


def test_import_constructed(make_ctx):
    result = ie.parse_import(fx("si_2013-9901_constructed.xml"), "si.xml", make_ctx(http=None))
    assert [(f.reference, f.kind) for f in result.findings] == [("S.I. No. 9901 of 2013", "national-measure")]
    with pytest.raises(ParseError, match="not Irish Statute Book XML"):
        ie.parse_import(b"{}", "x.json", make_ctx(http=None))


# --- refresh ----------------------------------------------------------------------------------------


class FakeIsb:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.override: dict[str, httpx.Response] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path in self.override:
            return self.override[path]
        docs = {
            "/eli/2013/si/": fx("listing_2013_si_constructed.html"),
            "/eli/2013/act/": fx("listing_2013_act_constructed.html"),
            "/eli/2013/si/9901/made/en/xml": fx("si_2013-9901_constructed.xml"),
            "/eli/2013/act/99/enacted/en/xml": fx("act_2013-99_constructed.xml"),
        }
        if path in docs:
            return httpx.Response(200, content=docs[path])
        if path.count("/") == 4 and path.endswith("/"):  # another year's listing
            _, _, year, kind, _ = path.split("/")
            body = fx("listing_other-year_constructed.html").replace(b"YEAR", year.encode()).replace(
                b"TYPE", kind.encode()).replace(b"DOC", b"enacted" if kind == "act" else b"made")
            return httpx.Response(200, content=body)
        return httpx.Response(404, text="Not found")


@pytest.fixture
def isb(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_IE", BASE)
    monkeypatch.setattr(ie, "_today", lambda: date(2026, 6, 1))
    fake = FakeIsb()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="isb.test").mock(side_effect=fake)
        yield fake


def test_refresh(isb, make_ctx):
    result = ie.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "ok" and result.coverage == []
    found = {f.reference: f for f in result.findings}
    assert set(found) == {"S.I. No. 9901 of 2013", "No. 99 of 2013"}
    assert found["S.I. No. 9901 of 2013"].kind == "national-measure"
    assert found["No. 99 of 2013"].kind == "citation"
    assert found["S.I. No. 9901 of 2013"].fetch.url == BASE + "/eli/2013/si/9901/made/en/xml"
    paths = [r.url.path for r in isb.requests]
    # The non-EU SI of 2013 is not fetched; the other years' Acts are (and answer 404: said).
    assert "/eli/2013/si/9900/made/en/xml" not in paths
    assert "/eli/2016/act/9999/enacted/en/xml" in paths and "404" in result.reason
    assert "/eli/2016/si/9999/made/en/xml" not in paths  # "Harbours (Fees) Order" is not an EU SI
    assert "no coverage" in result.reason


def test_refresh_limits_and_failures(isb, make_ctx, monkeypatch):
    monkeypatch.setattr(ie, "MAX_DOCUMENTS", 1)
    result = ie.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert "not read (MAX_DOCUMENTS=1)" in result.reason
    isb.override["/eli/2014/si/"] = httpx.Response(200, text="<html><body>Access Denied</body></html>")
    isb.override["/eli/2015/act/"] = httpx.Response(200, text="<html><body><p>No items</p></body></html>")
    result = ie.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert "si listing 2014 (blocked)" in result.reason
    assert result.status == "suspect" and "act listing of 2015 has no item" in result.reason


def test_refresh_scope(isb, make_ctx):
    assert ie.refresh(make_ctx(member_states=["FR"])).findings == []
    assert isb.requests == []


@pytest.mark.parametrize("broken", [False, True])
def test_listings_and_documents_are_read_at_once_with_the_same_result(make_ctx, tmp_path, monkeypatch, broken):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_IE", BASE)
    monkeypatch.setattr(ie, "_today", lambda: date(2026, 6, 1))
    results, overlap, paths = {}, {}, {}
    for concurrency in (1, 4):
        fake = FakeIsb()
        if broken:  # failures whose order shows in the reason
            fake.override["/eli/2012/act/"] = httpx.Response(500, text="Server Error")
            fake.override["/eli/2014/si/"] = httpx.Response(200, text="<html><body>Access Denied</body></html>")
            fake.override["/eli/2015/act/"] = httpx.Response(200, text="<html><body><p>No items</p></body></html>")
            fake.override["/eli/2013/act/99/enacted/en/xml"] = httpx.Response(200, text="<act/>")
        watch = InFlight(fake, hold=0.05 if concurrency > 1 else 0)
        with respx.mock(assert_all_called=False) as router:
            router.route(host="isb.test").mock(side_effect=watch)
            ctx = make_ctx(measure_ids=["thb-directive-2011-36"],
                           http=concurrency_client(tmp_path, concurrency, f"{broken}-{concurrency}"))
            results[concurrency] = snapshot(ie.refresh(ctx))
        overlap[concurrency], paths[concurrency] = watch.max, [r.url.path for r in fake.requests]
    assert overlap[1] == 1 and overlap[4] > 1
    assert results[4] == results[1]
    assert sorted(paths[4]) == sorted(paths[1]) and len(set(paths[1])) > 12  # 12 listings, then documents
    assert results[1]["findings"] and len(results[1]["fetches"]) < len(paths[1])  # the 404s are not fetches
    if broken:
        reason = results[1]["reason"]
        # The years are read most recent first: 2014's failure is listed before 2012's.
        assert results[1]["status"] == "suspect" and reason.index("si listing 2014") < reason.index("act listing 2012")
        assert "/eli/2013/act/99/enacted/en/xml: " in reason


# --- fuzzing -------------------------------------------------------------------------------------

_isb = st.builds(
    lambda n, y, t: (f"<act><metadata><title>{t}</title><number>{n}</number><year>{y}</year>"
                     f"<dateofenactment>{y}0101</dateofenactment></metadata><frontmatter><p>An Act {t}</p>"
                     f"</frontmatter><body><p>{t}<odq/><fn>{t}</fn></p></body></act>").encode(),
    st.sampled_from(["7", "0", "x", ""]), st.sampled_from(["2018", "18", "0000"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<&"), max_size=40)
    | st.just("to give effect to Directive 2011/36/EU"),
)
_html = st.builds(lambda h, t: f'<a href="{h}">{t}</a>'.encode(),
                  st.sampled_from(["/eli/2013/si/1/made/en", "/eli/2013/act/x", "/eli/2013/si/99999999999999999999"]),
                  st.text(max_size=20))


@cache
def import_ctx() -> SourceContext:
    return SourceContext(settings=load_settings(), catalogue=catalogue.load(), http=None)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), _isb, _html))
def test_parsers_raise_only_project_errors(body):
    for parse in (ie.parse_isb, lambda b: ie.parse_listing(b, 2013, "si"),
                  lambda b: ie.parse_import(b, "f", import_ctx())):
        try:
            parse(body)
        except ComplianceError:
            continue
