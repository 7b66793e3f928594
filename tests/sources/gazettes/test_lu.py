"""Luxembourg (Legilux, JOLux): RDF/XML and Akoma Ntoso parsers on constructed and real payloads,
error answers, a refresh against respx, `compliance import`, and fuzzing. No test uses the network."""

from __future__ import annotations

import json
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
from compliance.errors import BlockedError, ComplianceError, ParseError, SourceError
from compliance.sources import SOURCES
from compliance.sources.base import SourceContext
from compliance.sources.gazettes import _support, lu

from .conftest import SAMPLES, fixture_bytes, needs_samples, sample, watch_catalogue

BASE = "https://legilux.test"
RDF = "legilux-eli-loi-2018-08-01-a686-jolux.rdf"
AKN = "legilux-eli-loi-2018-08-01-a686-akn.xml"
ELI_2018 = "http://data.legilux.public.lu/eli/etat/leg/loi/2018/08/01/a686/jo"
LOI_2014 = "http://data.legilux.public.lu/eli/etat/leg/loi/2014/02/28/a9901/jo"
RGD_2020 = "http://data.legilux.public.lu/eli/etat/leg/rgd/2020/05/12/a9902/jo"


def fx(name: str) -> bytes:
    return fixture_bytes("gazette-lu", name)


def test_module_is_the_registered_source(make_ctx, monkeypatch):
    assert lu.INFO is SOURCES["gazette-lu"] and lu.INFO.endpoint_names == ("GAZETTE_LU",)
    assert lu.endpoint(make_ctx()) == "https://data.legilux.public.lu"
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_LU", BASE)
    assert lu.endpoint(make_ctx()) == BASE


def test_links_query():
    assert lu.eu_uris("32011L0036") == ["http://data.legilux.public.lu/eli/dir_ue/2011/36/jo",
                                        "http://data.europa.eu/eli/dir/2011/36/oj"]
    query = lu.links_query("32024L1712")
    assert "<http://data.legilux.public.lu/eli/dir_ue/2024/1712/jo>" in query
    assert '"http://data.legilux.public.lu/eli/etat/"' in query and "LIMIT 1000" in query


# --- parsers: constructed ------------------------------------------------------------------------


def test_parse_constructed_transposing_law():
    act = lu.parse_jolux(fx("jolux_loi-2014-transposition_constructed.rdf"))
    assert act.key == act.eli == LOI_2014
    assert act.national_id == "Mémorial A n° 9901 de 2014"
    assert act.type == "LOI" and act.language == "FRA"
    assert (act.adopted, act.published, act.entry_into_force) == (date(2014, 2, 28), date(2014, 3, 7),
                                                                  date(2014, 3, 11))
    assert act.url.endswith("eli-etat-leg-loi-2014-02-28-a9901-jo-fr-html.html")
    assert act.celex() == ["32011L0036", "32012L0029"]
    # jolux:cites alone is a citation; the title's "portant transposition de" makes it an implementation.
    assert act.link_for("32011L0036") == (_support.IMPLEMENTS, "transposition de la")
    assert act.link_for("32012L0029")[0] == _support.CITES
    # National links (Code pénal) are not EU references.
    assert act.extra["modifies"] == ["http://data.legilux.public.lu/eli/etat/leg/code/penal/20140101"]


def test_parse_typed_node_and_citation_only():
    act = lu.parse_jolux(fx("jolux_rgd-2020-cites_constructed.rdf"))
    assert act.key == RGD_2020 and act.type == "RGD" and act.published == date(2020, 5, 15)
    assert act.title.startswith("Règlement grand-ducal du 12 mai 2020")
    assert act.link_for("32011L0036")[0] == _support.CITES
    assert act.national_id == RGD_2020  # no Mémorial reference given


def test_a_transposition_predicate_makes_a_national_measure():
    # The predicate's name is not known from a real payload (sources.md 2.8: I); any predicate
    # whose name says "transpos" is read as one.
    body = fx("jolux_rgd-2020-cites_constructed.rdf").replace(
        b'<jolux:cites rdf:resource="http://data.legilux.public.lu/eli/dir_ue/2011/36/jo" />',
        b'<jolux:transposes rdf:resource="http://data.legilux.public.lu/eli/dir_ue/2011/36/jo" />')
    act = lu.parse_jolux(body)
    assert act.link_for("32011L0036") == (_support.IMPLEMENTS, "jolux:transposes")


def test_bad_rdf():
    with pytest.raises(ParseError, match="not rdf:RDF"):
        lu.parse_jolux(b"<html2/>")
    with pytest.raises(ParseError, match="no jolux:Act/Work node"):
        lu.parse_jolux(b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    with pytest.raises(ParseError, match="not well-formed"):
        lu.parse_jolux(fx("jolux_rgd-2020-cites_constructed.rdf")[:400])
    with pytest.raises(BlockedError):
        lu.parse_jolux(b"<!DOCTYPE html><html><head><title>Legilux</title></head><body/></html>")
    with pytest.raises(ParseError, match="declares entities"):
        lu.parse_jolux(b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')


# --- real samples ---------------------------------------------------------------------------------


@pytest.mark.samples
@needs_samples("lu")
def test_real_jolux_rdf():
    act = lu.parse_jolux(sample("lu", RDF))
    assert act.key == act.eli == ELI_2018 and act.type == "LOI"
    assert act.national_id == "Mémorial A n° 686 de 2018"
    assert (act.adopted, act.published, act.entry_into_force) == (date(2018, 8, 1), date(2018, 8, 16),
                                                                  date(2018, 8, 20))
    assert act.title.startswith("Loi du 1er août 2018 portant organisation de la Commission nationale")
    assert act.extra["in_force_status"] == "in-force" and len(act.extra["manifestations"]) == 4
    assert act.url.endswith("/fr/html/eli-etat-leg-loi-2018-08-01-a686-jo-fr-html.html")
    # jolux:cites holds two EU acts (of 11 links): the GDPR and the directive it repeals.
    cites = sorted((r.celex, r.text) for r in act.references if r.where == "jolux:cites")
    assert cites == [("31995L0046", "http://data.legilux.public.lu/eli/dir_ue/1995/46/jo"),
                     ("32016R0679", "http://data.legilux.public.lu/eli/reg_ue/2016/679/jo")]
    # "mise en oeuvre du règlement (UE) 2016/679" implements; "abrogeant la directive 95/46/CE" cites.
    assert act.link_for("32016R0679")[0] == _support.IMPLEMENTS
    assert act.link_for("31995L0046")[0] == _support.CITES
    assert act.notes == []  # clean UTF-8 (after the BOM)


@pytest.mark.samples
@needs_samples("lu")
def test_real_akn_is_cut_and_double_encoded():
    # The capture ends inside the title: strict parsing refuses it ...
    with pytest.raises(ParseError, match="not well-formed"):
        lu.parse_akn(sample("lu", AKN))
    # ... an import reads what is there and says so.
    act = lu.parse_akn(sample("lu", AKN), recover=True)
    assert act.key == ELI_2018 and act.type == "LOI" and act.published == date(2018, 8, 16)
    assert act.entry_into_force == date(2018, 8, 20)
    assert sorted(r.celex for r in act.references if r.where == "jolux:cites") == ["31995L0046", "32016R0679"]
    assert any("recovery mode" in n for n in act.notes)
    assert any("double-encoded" in n for n in act.notes)
    # The repaired title is ordinary text (no test depends on the capture's mojibake bytes).
    assert "Ã" not in act.title and act.title.startswith("Loi du 1er ao")


@pytest.mark.samples
@needs_samples("lu")
def test_cli_import_real_samples(run_cli, tmp_path):
    # The act concerns the GDPR, which is not catalogued: watch it by CELEX first.
    watch = tmp_path / "watch.yaml"
    watch.write_text('measures:\n  - id: gdpr\n    celex: 32016R0679\n    sources: ["https://eur-lex.europa.eu/"]\n')
    code, out, err = run_cli("import", "--source", "gazette-lu", str(SAMPLES / "lu" / RDF), "--catalogue",
                             str(watch), "--dry-run", "--format", "json")
    assert code == 0, err
    [item] = json.loads(out)["findings"]
    assert item["measure"] == "gdpr" and item["kind"] == "national-measure" and item["member_state"] == "LU"
    assert item["key"] == ELI_2018 and item["date"] == "2018-08-16"
    assert item["reference"] == "Mémorial A n° 686 de 2018"
    code, out, err = run_cli("import", "--source", "gazette-lu", str(SAMPLES / "lu" / AKN), "--catalogue",
                             str(watch), "--dry-run", "--format", "json")
    assert code == 0, err
    [item] = json.loads(out)["findings"]
    assert item["key"] == ELI_2018 and item["kind"] == "national-measure"
    # Without the watch entry nothing in the file is catalogued: one line, exit 2.
    code, out, err = run_cli("import", "--source", "gazette-lu", str(SAMPLES / "lu" / RDF), "--dry-run")
    assert code == 2 and "31995L0046, 32016R0679, none of which is a catalogued measure" in err


def test_import_constructed(make_ctx, tmp_path):
    result = lu.parse_import(fx("jolux_loi-2014-transposition_constructed.rdf"), "loi.rdf", make_ctx(http=None))
    assert [(f.measure_id, f.kind, f.date) for f in result.findings] == [
        ("thb-directive-2011-36", "national-measure", date(2014, 3, 7))]
    f = result.findings[0]
    assert f.data["evidence"][0]["where"] in ("jolux:cites", "title") and f.data["link"] == "implements"
    assert result.coverage == []
    cat = watch_catalogue(tmp_path, "32012L0029")
    result = lu.parse_import(fx("jolux_loi-2014-transposition_constructed.rdf"), "loi.rdf",
                             make_ctx(http=None, cat_=cat))
    kinds = {f.measure_id: f.kind for f in result.findings}
    assert kinds == {"thb-directive-2011-36": "national-measure", "celex-32012l0029": "citation"}
    with pytest.raises(ParseError, match="neither JOLux"):
        lu.parse_import(b"{}", "x.json", make_ctx(http=None))


# --- refresh --------------------------------------------------------------------------------------


class FakeLegilux:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.sparql: httpx.Response | None = None
        self.docs = {
            "/eli/etat/leg/loi/2014/02/28/a9901/jo": fx("jolux_loi-2014-transposition_constructed.rdf"),
            "/eli/etat/leg/rgd/2020/05/12/a9902/jo": fx("jolux_rgd-2020-cites_constructed.rdf"),
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/sparqlendpoint":
            if self.sparql is not None:
                return self.sparql
            query = parse_qs(request.url.query.decode())["query"][0]
            body = fx("sparql_links_2011-36_constructed.json") if "/dir_ue/2011/36/jo" in query else json.dumps(
                {"head": {"vars": ["act", "p", "eu"]}, "results": {"bindings": []}}).encode()
            return httpx.Response(200, headers={"content-type": "application/sparql-results+json"}, content=body)
        if request.url.path in self.docs:
            return httpx.Response(200, headers={"content-type": "application/rdf+xml"},
                                  content=self.docs[request.url.path])
        return httpx.Response(404, text="Not Found")


@pytest.fixture
def legilux(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_LU", BASE)
    fake = FakeLegilux()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="legilux.test").mock(side_effect=fake)
        yield fake


def test_refresh(legilux, make_ctx):
    result = lu.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "ok" and result.coverage == []
    found = {f.key: f for f in result.findings}
    assert set(found) == {LOI_2014, RGD_2020}
    assert found[LOI_2014].kind == "national-measure" and found[LOI_2014].date == date(2014, 3, 7)
    assert found[RGD_2020].kind == "citation"
    assert found[LOI_2014].fetch.url == BASE + "/eli/etat/leg/loi/2014/02/28/a9901/jo"
    # The manifestation URI of the 2014 law is read as the law itself: dereferenced once.
    paths = [r.url.path for r in legilux.requests]
    assert paths.count("/eli/etat/leg/loi/2014/02/28/a9901/jo") == 1
    assert legilux.requests[0].headers["accept"] == "application/sparql-results+json"
    assert all(r.headers["accept"] == "application/rdf+xml" for r in legilux.requests[1:])
    # The third act answers 404: said, not dropped silently.
    assert "rgd/2021/01/01/a9903/jo" in result.reason and "404" in result.reason
    assert "no coverage" in result.reason


def test_refresh_sparql_errors(legilux, make_ctx):
    legilux.sparql = httpx.Response(200, text="Virtuoso 37000 Error SP030: SPARQL compiler, line 2: syntax error")
    result = lu.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "SP030" in result.reason
    legilux.sparql = httpx.Response(200, html="<!doctype html><html><body><app-root></app-root></body></html>")
    result = lu.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "blocked" in result.reason


def test_refresh_scope(legilux, make_ctx):
    assert lu.refresh(make_ctx(member_states=["ES"])).findings == []
    assert legilux.requests == []
    with pytest.raises(SourceError, match="no HTTP client"):
        lu._http(make_ctx(http=None))


# --- fuzzing -------------------------------------------------------------------------------------

_rdf = st.builds(
    lambda about, pred, res, lit: (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:jolux="http://data.legilux.public.lu/resource/ontology/jolux#">'
        f'<rdf:Description rdf:about="{about}"><jolux:typeDocument rdf:resource="{res}"/>'
        f'<jolux:{pred} rdf:resource="{res}"/><jolux:title>{lit}</jolux:title>'
        f"<jolux:publicationDate>{lit}</jolux:publicationDate></rdf:Description></rdf:RDF>").encode(),
    st.sampled_from(["http://data.legilux.public.lu/eli/etat/leg/loi/2020/1/1/a1/jo", "x", ""]),
    st.sampled_from(["cites", "transposes", "isRealizedBy", "isPartOf"]),
    st.sampled_from(["http://data.legilux.public.lu/eli/dir_ue/2011/36/jo", "/eli/dir_ue/0/0/jo", "x"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<&"), max_size=30),
)
_akn = st.builds(
    lambda name, value: (f'<akomaNtoso xmlns:scl="http://www.scl.lu"><FRBRWork><FRBRthis value="{value}"/>'
                         f'</FRBRWork><scl:JOLUXLegalResource><scl:jolux scl:name="{name}">{value}</scl:jolux>'
                         "</scl:JOLUXLegalResource></akomaNtoso>").encode(),
    st.sampled_from(["cites", "publicationDate", "uriThis", ""]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='<&"'), max_size=30),
)


@cache
def import_ctx() -> SourceContext:
    return SourceContext(settings=load_settings(), catalogue=catalogue.load(), http=None)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), _rdf, _akn))
def test_parsers_raise_only_project_errors(body):
    for parse in (lu.parse_jolux, lambda b: lu.parse_akn(b, recover=True), lu.parse_links,
                  lambda b: lu.parse_import(b, "f", import_ctx())):
        try:
            parse(body)
        except ComplianceError:
            continue


def test_cli_refresh_then_check(legilux, run_cli):
    code, out, err = run_cli("refresh", "--source", "gazette-lu", "--measure", "thb-directive-2011-36", "-m", "LU",
                             "--format", "json")
    assert code == 0, (out, err)
    [summary] = json.loads(out)["sources"]
    assert summary["source"] == "gazette-lu" and summary["status"] == "ok" and summary["findings"] == 2
    code, out, err = run_cli("check", "--member-state", "LU", "--measure", "thb-directive-2011-36", "--format", "json")
    assert "Traceback" not in err
    [assessment] = json.loads(out)[0]["assessments"]
    # The transposing law (a national measure, published 2014-03-07) is the evidence; the 2020
    # regulation that only cites the directive is not.
    assert assessment["status"] == "met-late" and assessment["rule"] == "TRN-001"
    assert [(e["source"], e["kind"], e["reference"], e["date"]) for e in assessment["evidence"]] == [
        ("gazette-lu", "national-measure", "Mémorial A n° 9901 de 2014", "2014-03-07")]
