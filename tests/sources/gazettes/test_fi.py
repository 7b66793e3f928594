"""Finland (Finlex open data, Akoma Ntoso 3.0): the statute parser on constructed and real payloads,
the year selection, a refresh against respx, `compliance import`, and fuzzing. No test uses the network."""

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
from compliance.sources.gazettes import _support, fi

from .conftest import SAMPLES, fixture_bytes, needs_samples, sample

API = "https://finlex.test/finlex/avoindata/v1"
REAL = "finlex-opendata-akn-statute-2018-1050.xml"


def fx(name: str) -> bytes:
    return fixture_bytes("gazette-fi", name)


def test_module_is_the_registered_source(make_ctx, monkeypatch):
    assert fi.INFO is SOURCES["gazette-fi"] and fi.INFO.endpoint_names == ("GAZETTE_FI",)
    assert fi.endpoint(make_ctx()) == "https://opendata.finlex.fi/finlex/avoindata/v1"
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_FI", API)
    assert fi.endpoint(make_ctx()) == API


# --- parser: constructed ---------------------------------------------------------------------------


def test_parse_constructed_year_list():
    law, decree, other = fi.parse_statutes(fx("statutes_2014_constructed.xml"))
    # The Finnish and Swedish expressions of one statute are one act.
    assert law.key == law.eli == "http://data.finlex.fi/eli/sd/2014/9901/alkup"
    assert law.national_id == "9901/2014" and law.title == "Laki rikoslain 25 luvun muuttamisesta"
    assert law.extra["title_sv"] == "Lag om ändring av 25 kap. i strafflagen"
    assert law.type == "Laki" and law.extra["category"] == "amending-statute"
    assert (law.adopted, law.published, law.entry_into_force) == (date(2014, 6, 27), date(2014, 6, 30),
                                                                  date(2014, 7, 1))
    assert law.extra["languages_with_text"] == ["fin", "swe"]
    # The EU note of the preliminary works lists the directive with its CELEX: implements.
    assert law.link_for("32011L0036") == (_support.IMPLEMENTS, "listed in the statute's EU note (preliminary works)")
    assert {r.where for r in law.refs_for("32011L0036")} == {"eu-note", "text:fin", "text:swe"}
    # A decree that mentions the directive in its body only: a citation.
    assert decree.type == "Asetus" and decree.link_for("32011L0036")[0] == _support.CITES
    assert decree.entry_into_force == date(2014, 12, 1) and "several entry-into-force dates" in decree.notes[0]
    assert other.references == [] and other.type is None


def test_swedish_implementing_wording():
    law = fi.parse_statutes(fx("statutes_2014_constructed.xml"))[0]
    swe = [r for r in law.references if r.where == "text:swe"]
    assert [(r.link, r.basis) for r in swe] == [(_support.IMPLEMENTS, "genomförs Europaparlamentets och rådets")]


def test_findings(make_ctx):
    law, decree, _ = fi.parse_statutes(fx("statutes_2014_constructed.xml"))
    [item] = _support.findings_for(law, make_ctx(), None)
    assert item.kind == "national-measure" and item.member_state == "FI" and item.date == date(2014, 6, 30)
    assert item.reference == "9901/2014" and item.data["dates"]["entry_into_force"] == "2014-07-01"
    [cited] = _support.findings_for(decree, make_ctx(), None)
    assert cited.kind == "citation"


def test_bad_payloads():
    with pytest.raises(ParseError, match="neither AknXmlList nor akomaNtoso"):
        fi.parse_statutes(b"<error><message>nope</message></error>")
    with pytest.raises(ParseError, match="not well-formed"):
        fi.parse_statutes(fx("statutes_2014_constructed.xml")[:500])
    with pytest.raises(ParseError, match="without FRBRWork"):
        fi.parse_statutes(b"<AknXmlList><Results><akomaNtoso/></Results></AknXmlList>")
    with pytest.raises(BlockedError):
        fi.parse_statutes(b"<html><head><title>429 Too Many Requests</title></head></html>")
    with pytest.raises(ParseError, match="declares entities"):
        fi.parse_statutes(b'<!DOCTYPE a [<!ENTITY e "x">]><AknXmlList/>')
    assert fi.parse_statutes(b"<AknXmlList><Results/></AknXmlList>") == []


# --- real sample ------------------------------------------------------------------------------------


@pytest.mark.samples
@needs_samples("fi")
def test_real_statute():
    [act] = fi.parse_statutes(sample("fi", REAL))
    assert act.key == act.eli == "http://data.finlex.fi/eli/sd/2018/1050/alkup"
    assert act.national_id == "1050/2018" and act.type == "Laki" and act.extra["category"] == "new-statute"
    assert act.title == "Tietosuojalaki" and act.extra["title_sv"] == "Dataskyddslag"
    assert (act.adopted, act.published, act.entry_into_force) == (date(2018, 12, 5), date(2018, 12, 10),
                                                                  date(2019, 1, 1))
    # Three akomaNtoso (fin, swe, the swe PDF manifestation): text in two languages.
    assert act.extra["languages_with_text"] == ["fin", "swe"]
    assert act.celex() == ["31995L0046", "32016R0679"]
    # The EU note names the GDPR with its CELEX: implements; the repealed directive is only cited.
    assert act.link_for("32016R0679")[0] == _support.IMPLEMENTS
    assert act.link_for("31995L0046")[0] == _support.CITES
    assert {r.text for r in act.refs_for("31995L0046")} == {"direktiivin 95/46/EY", "direktiv 95/46/EG"}
    # The capture is double-encoded; the repair is said, and no assertion relies on the mojibake.
    assert act.notes == ["double-encoded UTF-8 (mojibake) in the file was repaired"]


@pytest.mark.samples
@needs_samples("fi")
def test_cli_import_real_sample(run_cli, tmp_path):
    watch = tmp_path / "watch.yaml"
    watch.write_text('measures:\n  - id: gdpr\n    celex: 32016R0679\n    sources: ["https://eur-lex.europa.eu/"]\n'
                     '  - id: dpd\n    celex: 31995L0046\n    sources: ["https://eur-lex.europa.eu/"]\n')
    code, out, err = run_cli("import", "--source", "gazette-fi", str(SAMPLES / "fi" / REAL), "--catalogue",
                             str(watch), "--dry-run", "--format", "json")
    assert code == 0, err
    found = {f["measure"]: f for f in json.loads(out)["findings"]}
    assert set(found) == {"gdpr", "dpd"}
    assert found["gdpr"]["kind"] == "national-measure" and found["dpd"]["kind"] == "citation"
    assert found["gdpr"]["key"] == "http://data.finlex.fi/eli/sd/2018/1050/alkup"
    assert found["gdpr"]["date"] == "2018-12-10" and found["gdpr"]["reference"] == "1050/2018"


def test_import_constructed(make_ctx):
    result = fi.parse_import(fx("statutes_2014_constructed.xml"), "2014.xml", make_ctx(http=None))
    assert sorted((f.reference, f.kind) for f in result.findings) == [("9901/2014", "national-measure"),
                                                                      ("9902/2014", "citation")]
    assert result.coverage == []
    with pytest.raises(ParseError, match="not Finlex Akoma Ntoso"):
        fi.parse_import(b'{"error": "x"}', "x.json", make_ctx(http=None))


# --- years and refresh --------------------------------------------------------------------------


def test_years_to_read(make_ctx, monkeypatch):
    thb = make_ctx().catalogue.get("thb-directive-2011-36")  # deadline 2013-04-06
    years, skipped = fi.years_to_read([thb], date(2026, 6, 1))
    assert years == [2016, 2015, 2014, 2013, 2012, 2011] and skipped == []
    monkeypatch.setattr(fi, "MAX_YEARS", 2)
    assert fi.years_to_read([thb], date(2026, 6, 1)) == ([2016, 2015], [2014, 2013, 2012, 2011])
    # Never a year in the future.
    new = make_ctx().catalogue.get("thb-directive-2024-1712")
    assert max(fi.years_to_read([new], date(2025, 1, 1))[0]) == 2025


class FakeFinlex:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.years: dict[str, httpx.Response] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        year = request.url.path.rsplit("/", 1)[-1]
        if year in self.years:
            return self.years[year]
        body = fx("statutes_2014_constructed.xml") if year == "2014" else fx("statutes_other-year_constructed.xml")
        return httpx.Response(200, headers={"content-type": "application/xml"}, content=body)


@pytest.fixture
def finlex(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_FI", API)
    monkeypatch.setattr(fi, "_today", lambda: date(2026, 6, 1))
    fake = FakeFinlex()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="finlex.test").mock(side_effect=fake)
        yield fake


def test_refresh(finlex, make_ctx):
    result = fi.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "ok" and result.coverage == []
    assert [r.url.path.rsplit("/", 1)[-1] for r in finlex.requests] == ["2016", "2015", "2014", "2013", "2012", "2011"]
    assert all(r.headers["accept"] == "application/xml" and r.headers["user-agent"].startswith("compliance/")
               for r in finlex.requests)
    found = {f.reference: f for f in result.findings}
    assert set(found) == {"9901/2014", "9902/2014"}
    assert found["9901/2014"].kind == "national-measure"
    assert found["9901/2014"].fetch.url == API + "/akn/fi/act/statute/2014"
    assert "no coverage" in result.reason and len(result.fetches) == 6


def test_refresh_failures_and_suspect(finlex, make_ctx):
    finlex.years["2015"] = httpx.Response(404, text="not found")
    finlex.years["2013"] = httpx.Response(200, content=b"<AknXmlList><Results/></AknXmlList>")
    result = fi.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    # An empty past year is not plausible: the result is suspect, and the failed year is said.
    assert result.status == "suspect" and "2013" in result.reason.split(";")[0]
    assert "2015 (failed)" in result.reason and "404" in result.reason
    assert {f.reference for f in result.findings} == {"9901/2014", "9902/2014"}
    for year in ("2011", "2012", "2013", "2014", "2015", "2016"):
        finlex.years[year] = httpx.Response(200, html="<!DOCTYPE html><html><head><title>Maintenance</title></html>")
    result = fi.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "Maintenance" in result.reason


def test_refresh_scope(finlex, make_ctx):
    assert fi.refresh(make_ctx(member_states=["SE"])).findings == []
    assert "no selected measure is a directive" in fi.refresh(make_ctx(measure_ids=["prum-ii"])).reason
    assert finlex.requests == []


# --- fuzzing -------------------------------------------------------------------------------------

_akn = st.builds(
    lambda uri, text, lang: (f'<AknXmlList><Results><akomaNtoso><FRBRWork><FRBRuri value="{uri}"/>'
                             f'<FRBRdate date="{text}" name="datePublished"/></FRBRWork><FRBRExpression>'
                             f'<FRBRlanguage language="{lang}"/></FRBRExpression><preface><docTitle>{text}</docTitle>'
                             f'</preface><body><hcontainer name="preliminaryWork">{text}</hcontainer><p>{text}</p>'
                             "</body></akomaNtoso></Results></AknXmlList>").encode(),
    st.sampled_from(["/akn/fi/act/statute/2014/1", "x", ""]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='<&"'), max_size=40)
    | st.sampled_from(["direktiivi 2011/36/EU (32011L0036)", "tulee voimaan 31 päivänä helmikuuta 2014"]),
    st.sampled_from(["fin", "swe", ""]),
)


@cache
def import_ctx() -> SourceContext:
    return SourceContext(settings=load_settings(), catalogue=catalogue.load(), http=None)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), _akn))
def test_parsers_raise_only_project_errors(body):
    for parse in (fi.parse_statutes, lambda b: fi.parse_import(b, "f", import_ctx())):
        try:
            parse(body)
        except ComplianceError:
            continue
