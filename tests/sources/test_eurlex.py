"""EUR-Lex / CELLAR source: query builders, parsers (constructed fixtures and real samples),
refresh against a mocked SPARQL endpoint (respx), and import of saved files.

No test uses the network. The constructed fixtures are described in tests/fixtures/README.md.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.catalogue import load as catalogue
from compliance.config.settings import load_settings
from compliance.errors import BlockedError, ComplianceError, ParseError, SourceError
from compliance.http import HostPolicy, HttpClient, HttpSettings
from compliance.sources import SOURCES, eurlex
from compliance.sources.base import SourceContext
from compliance.store.archive import Archive

from .concurrency import InFlight, snapshot
from .concurrency import client as concurrency_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eurlex"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
EURLEX_SAMPLES = SAMPLES / "eurlex"
needs_samples = pytest.mark.skipif(
    not EURLEX_SAMPLES.is_dir(), reason=f"real samples not present at {EURLEX_SAMPLES} (fresh clone)"
)

FAKE_ENDPOINT = "https://sparql.test/webapi/rdf/sparql"
XSD = "http://www.w3.org/2001/XMLSchema#"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
CELLAR = "http://publications.europa.eu/resource/cellar/"

SP030 = (
    b"Virtuoso 37000 Error SP030: SPARQL compiler, line 4: syntax error at 'cdm' before '}'\n\n"
    b"SPARQL query:\nSELECT ..."
)
SP031 = (
    b"Virtuoso 37000 Error SP031: SPARQL: Internal error: The length of generated SQL text has "
    b"exceeded 10000 lines of code (query timeout)"
)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sample(name: str) -> bytes:
    return (EURLEX_SAMPLES / name).read_bytes()


# --- helpers to build SPARQL JSON answers ----------------------------------------------------


def sparql_json(variables: list[str], rows: list[dict[str, Any]]) -> bytes:
    """W3C SPARQL JSON; a row value is a str (xsd:string/date by name) or a ready term dict."""

    def term(name: str, value: Any) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        if name in ("nim", "country", "work"):
            return {"type": "uri", "value": value}
        if name in ("notified", "dateDoc", "eif", "transpos", "endValid", "amDate"):
            return {"type": "literal", "datatype": XSD + "date", "value": value}
        return {"type": "literal", "datatype": XSD + "string", "value": value}

    bindings = [{k: term(k, v) for k, v in row.items() if v is not None} for row in rows]
    return json.dumps(
        {"head": {"link": [], "vars": variables}, "results": {"distinct": False, "ordered": True, "bindings": bindings}}
    ).encode()


def nim_row(celex: str, iso3: str, notified: str = "2013-03-01", n: int = 1, **extra: Any) -> dict[str, Any]:
    prefix = "7" + celex[1:]
    return {
        "nim": f"{CELLAR}{iso3.lower()}-{n}",
        "nimCelex": f"{prefix}{iso3}_2013{n:05d}",
        "country": COUNTRY + iso3,
        "title": {"type": "literal", "xml:lang": "en", "value": f"Act {n} of {iso3}"},
        "notified": notified,
        **extra,
    }


def metadata_rows(celex: str, transposition: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "work": f"{CELLAR}work-{celex}",
            "dateDoc": "2011-04-05",
            "eif": "2011-04-15",
            "transpos": transposition,
            "inForce": {"type": "literal", "datatype": XSD + "boolean", "value": "1"},
            "endValid": "9999-12-31",
            "title": {"type": "literal", "xml:lang": "en", "value": f"Act {celex}"},
        }
    ]


class FakeCellar:
    """A respx side effect that answers the three query kinds from per-CELEX tables."""

    def __init__(self) -> None:
        self.nims: dict[str, list[dict[str, Any]]] = {}
        self.metadata: dict[str, list[dict[str, Any]]] = {}
        self.amends: dict[str, list[dict[str, Any]]] = {}
        self.raw: dict[tuple[str, str], httpx.Response] = {}  # (kind, celex) -> fixed response
        self.typed_literal_misses: set[str] = set()  # CELEX found only by the STR() fallback
        self.queries: list[str] = []

    @staticmethod
    def kind(query: str) -> str:
        if "measure_national_implementing" in query:
            return "nim"
        if "resource_legal_amends_resource_legal" in query:
            return "amends"
        if "directive_date_transposition" in query:
            return "metadata"
        raise AssertionError(f"unexpected query: {query}")

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = parse_qs(urlsplit(str(request.url)).query)
        assert params["format"] == ["application/sparql-results+json"]
        assert request.headers["accept"] == "application/sparql-results+json"
        query = params["query"][0]
        self.queries.append(query)
        kind = self.kind(query)
        celex = re.search(r'"(3[0-9]{4}[A-Z][0-9]{4})"', query).group(1)
        if (kind, celex) in self.raw:
            return self.raw[(kind, celex)]
        headers = {"content-type": "application/sparql-results+json"}
        if celex in self.typed_literal_misses and "^^xsd:string" in query:
            return httpx.Response(200, headers=headers, content=sparql_json([], []))
        if kind == "metadata":
            rows = self.metadata.get(celex, [])
            return httpx.Response(200, headers=headers, content=sparql_json(
                ["work", "dateDoc", "eif", "transpos", "deadline", "inForce", "endValid", "eli", "title"], rows))
        if kind == "amends":
            rows = self.amends.get(celex, [])
            return httpx.Response(200, headers=headers, content=sparql_json(["amCelex", "amDate"], rows))
        limit = int(re.search(r"LIMIT (\d+)", query).group(1))
        offset = int(re.search(r"OFFSET (\d+)", query).group(1))
        rows = self.nims.get(celex, [])[offset: offset + limit]
        return httpx.Response(200, headers=headers, content=sparql_json(list(eurlex.NIM_VARS), rows))

    def count(self, kind: str) -> int:
        return sum(1 for q in self.queries if self.kind(q) == kind)


@pytest.fixture
def cellar():
    fake = FakeCellar()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="sparql.test").mock(side_effect=fake)
        yield fake


@pytest.fixture
def make_ctx(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_EURLEX_SPARQL", FAKE_ENDPOINT)
    settings = load_settings()
    cat = catalogue.load()
    client = HttpClient(
        HttpSettings(max_retries=1, default_host=HostPolicy(min_interval=0)),
        Archive(tmp_path / "archive"),
        sleep=lambda _s: None,
    )

    def make(measure_ids: list[str] | None = None, member_states: list[str] | None = None,
             cat_: catalogue.Catalogue | None = None, http: HttpClient | None = client) -> SourceContext:
        messages: list[str] = []
        ctx = SourceContext(settings=settings, catalogue=cat_ or cat, http=http, member_states=member_states,
                            measure_ids=measure_ids, progress=messages.append)
        ctx.messages = messages  # type: ignore[attr-defined]
        return ctx

    return make


def user_catalogue(tmp_path: Path, *celexes: str) -> catalogue.Catalogue:
    """The built-in catalogue plus the user's watch entries (id celex-<celex>)."""
    path = tmp_path / "watch.yaml"
    entries = "".join(
        f"  - id: celex-{c.lower()}\n    celex: {c}\n    sources: [\"https://eur-lex.europa.eu/\"]\n" for c in celexes
    )
    path.write_text(f"measures:\n{entries}", "utf-8")
    return catalogue.load([path])


# --- module surface and queries --------------------------------------------------------------


def test_module_surface():
    assert eurlex.INFO is SOURCES["eurlex"]
    assert eurlex.DEFAULT_ENDPOINT == "https://publications.europa.eu/webapi/rdf/sparql"
    assert eurlex.INFO.module == eurlex.__name__


def test_endpoint_is_configurable(make_ctx, monkeypatch):
    assert eurlex.endpoint(make_ctx()) == FAKE_ENDPOINT
    monkeypatch.delenv("COMPLIANCE_ENDPOINT_EURLEX_SPARQL")
    assert eurlex.endpoint(make_ctx()) == eurlex.DEFAULT_ENDPOINT


def test_nim_query_uses_real_predicates_prefix_filter_and_paging():
    q = eurlex.nim_query("32011L0036", limit=500, offset=1500)
    assert "PREFIX cdm: <http://publications.europa.eu/ontology/cdm#>" in q
    assert '?dir cdm:resource_legal_id_celex "32011L0036"^^xsd:string' in q
    assert "cdm:measure_national_implementing_implements_resource_legal ?dir" in q
    assert "cdm:measure_national_implementing_implements_directive ?dir" in q
    assert "UNION" in q
    assert "cdm:measure_national_implementing_implemented_by_country ?country" in q
    assert 'FILTER(STRSTARTS(STR(?nimCelex), "72011L0036"))' in q
    for predicate in (
        "work_title", "measure_national_implementing_date_notification",
        "measure_national_implementing_name_official_journal", "measure_national_implementing_number_official_journal",
        "measure_national_implementing_date_official_journal", "measure_national_implementing_type_act",
        "measure_national_implementing_reference_commission", "measure_national_implementing_reference_member-state",
        "measure_national_implementing_national_website_link", "resource_legal_eli",
    ):
        assert f"cdm:{predicate} " in q, predicate
    assert re.search(r"ORDER BY \?nim ", q)
    assert q.rstrip().endswith("LIMIT 500\nOFFSET 1500")


def test_nim_query_str_fallback_and_celex_validation():
    q = eurlex.nim_query("32011L0036", celex_match="str")
    assert 'FILTER(STR(?dirCelex) = "32011L0036")' in q
    assert "^^xsd:string" not in q
    with pytest.raises(ValueError):
        eurlex.nim_query('32011L0036" } DROP ALL {')
    with pytest.raises(ValueError):
        eurlex.nim_query("32011L0036", limit=0)
    assert eurlex.nim_prefix("32024L1712") == "72024L1712"


def test_metadata_and_amending_queries():
    q = eurlex.act_metadata_query("32024L1712")
    for predicate in (
        "work_date_document", "resource_legal_date_entry-into-force", "directive_date_transposition",
        "resource_legal_date_deadline", "resource_legal_in-force", "resource_legal_date_end-of-validity",
        "resource_legal_eli", "expression_title", "expression_belongs_to_work",
    ):
        assert f"cdm:{predicate} " in q, predicate
    assert "<http://publications.europa.eu/resource/authority/language/ENG>" in q
    a = eurlex.amending_acts_query("32011L0036")
    assert "?am cdm:resource_legal_amends_resource_legal ?work" in a
    assert '?work cdm:resource_legal_id_celex "32011L0036"^^xsd:string' in a
    assert "amended_by" not in a  # the outgoing predicate carries no triples (sources.md 1.5)


# --- parsing: constructed fixtures -----------------------------------------------------------


def by_state(parsed: eurlex.NimParse) -> dict[str, eurlex.NimRecord]:
    return {r.member_state: r for r in parsed.records}


def test_parse_constructed_nims():
    parsed = eurlex.parse_nim_results(fixture("nim_32011L0036_constructed.json"), "32011L0036")
    assert parsed.rows == 12
    assert parsed.skipped == 1
    assert any("GBR (1)" in n for n in parsed.notes)
    states = by_state(parsed)
    assert sorted(states) == ["AT", "CY", "DE", "EL", "FR", "IT"]  # GBR skipped, GRC -> EL

    omnibus = states["AT"]
    assert omnibus.celex == ["72011L0036AUT_201300101"]
    assert omnibus.values["other_celex"] == ["72004L0081AUT_201300103", "72009L0052AUT_201300102"]
    assert omnibus.rows == 3
    item = eurlex.nim_item(omnibus, "thb-directive-2011-36", "32011L0036", None)
    assert item.key == item.celex == "72011L0036AUT_201300101"
    assert item.reference == "MNE(2013)51234"
    assert item.date == date(2013, 3, 20)
    assert item.kind == "national-measure" and item.member_state == "AT"

    multi = states["DE"]
    assert multi.rows == 4
    assert multi.notified == [date(2016, 10, 14), date(2016, 10, 20)]
    assert len(multi.titles) == 2
    assert {t["lang"] for t in multi.titles} == {"de", None}
    item = eurlex.nim_item(multi, "m", "32011L0036", None)
    assert item.date == date(2016, 10, 14)  # the earliest notification
    assert item.reference == "BGBl. I 2016, 2226"  # member-state reference when no MNE
    assert item.url.startswith("https://www.bgbl.de/")
    assert item.data["notified"] == ["2016-10-14", "2016-10-20"]

    bare = eurlex.nim_item(states["FR"], "m", "32011L0036", None)
    assert (bare.title, bare.date, bare.reference, bare.url) == (None, None, None, None)
    assert bare.key == "72011L0036FRA_201300301"

    it = states["IT"]
    assert it.notified == []
    assert any("2014-02-30" in n for n in it.notes)
    assert any("2014-02-30" in n for n in parsed.notes)
    item = eurlex.nim_item(it, "m", "32011L0036", None)
    assert item.title == "Decreto legislativo 4 marzo 2014, n. 24 Attuazione della direttiva 2011/36/UE"
    assert item.data["oj_number"] == ["[60 \u2212 13/03/2014"]  # kept verbatim
    assert item.data["notes"]

    el = eurlex.nim_item(states["EL"], "m", "32011L0036", None)
    assert el.date == date(2014, 1, 10)  # xsd:dateTime: the date part
    assert el.url == "http://www.et.gr/eli/law/2013/4198"  # ELI when no national link
    assert el.reference == "ΦΕΚ Α 215"  # "OJ name number" when no reference

    cy = eurlex.nim_item(states["CY"], "m", "32011L0036", None)
    assert cy.celex is None
    assert cy.key == CELLAR + "10000000-0000-0000-0000-000000000010"
    json.dumps([eurlex.nim_data(r, "32011L0036") for r in parsed.records])  # JSON-able


def test_rows_of_one_nim_are_grouped_wherever_they_come():
    rows = eurlex.parse_nim_rows(fixture("nim_32011L0036_constructed.json"))
    shuffled = rows[::-1]
    a = eurlex.group_nim_rows(rows, "32011L0036")
    b = eurlex.group_nim_rows(shuffled, "32011L0036")
    assert [(r.group, r.celex, r.notified, r.titles) for r in a.records] == [
        (r.group, r.celex, r.notified, r.titles) for r in b.records
    ]


def test_parse_constructed_metadata():
    data = eurlex.parse_act_metadata(fixture("acts_32011L0036_constructed.json"), "32011L0036")
    assert data["title"].startswith("Directive 2011/36/EU of the European Parliament")
    assert "\n" not in data["title"]
    assert data["date_document"] == "2011-04-05"
    assert data["entry_into_force"] == ["2011-04-15"]
    assert data["transposition"] == ["2013-04-06"]  # date and dateTime forms: one value
    assert data["transposition_predicate"] == "directive_date_transposition"
    assert data["in_force"] is True
    assert data["end_of_validity"] == ["9999-12-31"]
    assert data["eli"] == "http://data.europa.eu/eli/dir/2011/36/oj"


def test_metadata_deadline_fallback_and_bad_date():
    data = eurlex.parse_act_metadata(fixture("acts_32004L0081_deadline-only_constructed.json"), "32004L0081")
    assert data["transposition"] == ["2006-08-06"]
    assert data["transposition_predicate"] == "resource_legal_date_deadline"
    assert data["in_force"] is True
    assert data["title"] is None
    assert any("not a date" in n for n in data["notes"])
    # A regulation's resource_legal_date_deadline is not a transposition deadline.
    regulation = eurlex.parse_act_metadata(fixture("acts_32004L0081_deadline-only_constructed.json"), "32004L0081",
                                           directive=False)
    assert regulation["transposition"] == [] and regulation["deadline"] == ["2006-08-06"]


def test_metadata_of_an_unknown_act_is_none():
    assert eurlex.parse_act_metadata(sparql_json(["work"], []), "32011L0036") is None


def test_parse_constructed_amending_acts():
    acts = eurlex.parse_amending_acts(fixture("amends_32011L0036_constructed.json"), "32011L0036")
    assert acts == [{"celex": "32024L1712", "date": "2024-06-13"}, {"celex": "32099L9999", "date": None}]


# --- error bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [SP030, SP031, b"\n  Virtuoso 42000 Error The estimated execution time 1312 (sec)"])
def test_virtuoso_error_text_in_200_is_a_source_failure(body):
    for parse in (lambda b: eurlex.parse_nim_results(b), lambda b: eurlex.parse_act_metadata(b, "32011L0036"),
                  eurlex.parse_amending_acts):
        with pytest.raises(SourceError) as err:
            parse(body)
        assert not isinstance(err.value, BlockedError)
        assert err.value.status == "failed"
        assert str(err.value).startswith("CELLAR SPARQL error")
        assert "\n" not in str(err.value)
    with pytest.raises(SourceError, match="timeout"):
        eurlex.parse_nim_results(SP031)


@pytest.mark.parametrize("body", [
    b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>Back soon</body></html>",
    b"<html><body><div id=\"challenge-container\"></div></body></html>",
])
def test_html_instead_of_json_is_blocked(body):
    with pytest.raises(BlockedError) as err:
        eurlex.parse_nim_results(body)
    assert err.value.status == "blocked"


@pytest.mark.parametrize("body, message", [
    (b"", "empty"),
    (b"{not json", "not JSON"),
    (b"[1, 2]", "not a SPARQL JSON result"),
    (b'{"head": {"vars": []}}', "no head/results"),
    (b'{"head": {"vars": ["a"]}, "results": {"bindings": [{"a": {"type": "uri"}}]}}', "no string value"),
    (b'{"head": {"vars": ["a"]}, "results": {"bindings": {}}}', "not a list"),
    (b"\xff\xfe\x00junk", "not UTF-8"),
    (b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"></sparql>', "SPARQL XML"),
    (b'{"head": {}, "boolean": true}', "ASK"),
])
def test_malformed_bodies_raise_parse_error(body, message):
    with pytest.raises(ParseError, match=message) as err:
        eurlex.parse_nim_results(body)
    assert "\n" not in str(err.value)


def test_deeply_nested_json_is_a_parse_error():
    with pytest.raises(ParseError):
        eurlex.parse_nim_results(b"[" * 100000 + b"]" * 100000)


# --- parsing: the real samples ---------------------------------------------------------------

NIM_SAMPLE = "cellar-sparql-json_nim_csrd-2022-2464_2025-794_2026-470_trimmed.json"
ACTS_SAMPLE = "cellar-sparql-json_acts_inforce-date-endvalid-title_trimmed.json"
AMENDS_SAMPLE = "cellar-sparql-json_raw_amends-corrects-langs_32023R0956_32025R2621.json"
WAF_SAMPLE = "eurlex-legal-content_aws-waf-challenge-stub.html"
HTML_SAMPLE = "eurlex-nim-html_32023L2225_excerpt.html"


@pytest.mark.samples
@needs_samples
def test_real_nim_sample():
    parsed = eurlex.parse_nim_results(sample(NIM_SAMPLE))
    assert parsed.rows == 12 and parsed.skipped == 0 and parsed.notes == []
    got = {(r.member_state, r.celex[0], r.notified[0].isoformat()) for r in parsed.records}
    assert got == {
        ("AT", "72022L2464AUT_202601283", "2026-02-19"),
        ("AT", "72025L0794AUT_202601474", "2026-02-27"),
        ("BE", "72022L2464BEL_202405899", "2024-12-20"),
        ("BE", "72022L2464BEL_202501748", "2025-03-27"),
        ("BE", "72025L0794BEL_202507284", "2025-12-23"),
        ("PL", "72022L2464POL_202405766", "2024-12-18"),
        ("PL", "72022L2464POL_202503304", "2025-06-10"),
        ("PL", "72022L2464POL_202503305", "2025-06-10"),
        ("PL", "72022L2464POL_202503323", "2025-06-10"),
        ("PL", "72025L0794POL_202503323", "2025-06-10"),
        ("PL", "72025L0794POL_202504533", "2025-08-14"),
        ("PL", "72026L0470POL_202602098", "2026-03-30"),
    }
    # For one directive, only its NIM CELEX values count (the same act is listed for two).
    csrd = eurlex.parse_nim_results(sample(NIM_SAMPLE), "32022L2464")
    keys = {eurlex.nim_item(r, "csrd", "32022L2464", None).key for r in csrd.records}
    assert "72022L2464POL_202503323" in keys
    records = {r.celex[0]: r for r in parsed.records}
    be = eurlex.nim_item(records["72022L2464BEL_202405899"], "csrd", "32022L2464", None)
    assert be.title.startswith("FOD ECONOMIE- Wet betreffende de openbaarmaking van duurzaamheidsinformatie")
    assert "\n" not in be.title
    assert be.reference == "Moniteur Belge C \u2212 2024/011683"
    assert be.url is None  # no link, no ELI in that row
    messy = eurlex.nim_item(records["72025L0794BEL_202507284"], "x", "32025L0794", None)
    assert messy.data["oj_number"] == ["[C \u2212 2025/009725"]
    pl = eurlex.nim_item(records["72025L0794POL_202504533"], "x", "32025L0794", None)
    assert pl.url == "https://eli.gov.pl/eli/DU/2025/1020/ogl"
    assert pl.data["titles"][0]["lang"] == "pl"
    assert pl.data["oj_number"] == []  # the column did not bind
    assert records["72022L2464AUT_202601283"].directives() == ["32022L2464"]


@pytest.mark.samples
@needs_samples
def test_real_acts_sample():
    body = sample(ACTS_SAMPLE)
    twice = eurlex.parse_act_metadata(body, "32004L0109")
    assert twice["rows"] == 2
    assert twice["end_of_validity"] == ["2026-12-04", "9999-12-31"]  # both values, never the first
    assert twice["in_force"] is True
    assert twice["date_document"] == "2004-12-15"
    assert twice["title"].startswith("Directive 2004/109/EC")  # xsd:string title, no language tag
    plain = eurlex.parse_act_metadata(body, "32013L0034")
    assert plain["title"].startswith("Directive 2013/34/EU")  # no datatype, no language
    assert "  " not in plain["title"]
    csrd = eurlex.parse_act_metadata(body, "32022L2464")
    assert csrd["date_document"] == "2022-12-14" and csrd["end_of_validity"] == ["9999-12-31"]
    assert csrd["title"].startswith("Directive (EU) 2022/2464")
    notice = eurlex.parse_act_metadata(body, "52024XC06792")
    assert notice["in_force"] is None  # no inforce column: unknown, not False
    assert notice["date_document"] == "2024-11-13"
    assert eurlex.parse_act_metadata(body, "32011L0036") is None


@pytest.mark.samples
@needs_samples
def test_real_amends_sample():
    body = sample(AMENDS_SAMPLE)
    assert eurlex.parse_amending_acts(body, "32023R0956") == [{"celex": "32025R2083", "date": "2025-10-08"}]
    assert eurlex.parse_amending_acts(body, "32025R2621") == [{"celex": "32026R1740", "date": "2026-07-20"}]


@pytest.mark.samples
@needs_samples
def test_real_waf_stub_is_blocked(make_ctx):
    body = sample(WAF_SAMPLE)
    with pytest.raises(BlockedError, match="AWS WAF"):
        eurlex.parse_nim_results(body)
    with pytest.raises(BlockedError, match="AWS WAF"):
        eurlex.parse_import(body, "saved.html", make_ctx(http=None))
    with pytest.raises(BlockedError):
        eurlex.parse_nim_html(body)


@pytest.mark.samples
@needs_samples
def test_real_nim_html_excerpt():
    page = eurlex.parse_nim_html(sample(HTML_SAMPLE))
    aut = [m for m in page.measures if m.iso3 == "AUT"]
    assert len(page.measures) == 2 and len(aut) == 2
    first, second = aut
    assert first.title == "Gewerbeordnung 1994 – GewO 1994"
    assert first.nim_id == "202604520"
    assert first.oj_name == "Bundesgesetzblatt für die Republik Österreich ( BGBl. )"
    assert first.oj_number == "194/1994 idF I 33/2026"
    assert first.publication_date == date(2026, 5, 19)
    assert first.links[0]["href"].startswith("https://www.ris.bka.gv.at/geltendefassung.wxe?")
    assert second.title.startswith("Bundesgesetz, mit dem das Verbraucherkreditgesetz aufgehoben wird")
    assert second.title.endswith("(Verbraucherkreditrechts-Änderungsgesetz 2026 – VerKRÄG 2026)")
    assert second.nim_id == "202604154"
    assert second.oj_number == "BGBl. I Nr. 36/2026"
    assert second.publication_date == date(2026, 6, 10)
    assert second.links == [{"label": "National website - ELI", "href": "https://www.ris.bka.gv.at/eli/bgbl/I/2026/36/20260610"}]
    assert page.countries["AUT"] == {"declared": 2, "deadlines": ["2025-11-20"], "found": 2}
    assert page.countries["POL"]["declared"] == 0
    # The excerpt is cut inside the Slovenian panel: the page says 1 measure, the file has none.
    assert any(n.startswith("SVN: the page says 1") for n in page.notes)


def test_nim_html_count_in_other_digits_is_no_count():
    # Found by the fuzz test below: "\u00b2".isdigit() is True, int("\u00b2") raises.
    body = ('<div class="ntmRow"><div id="AUT_numOfNims"><span class="VMIMore">\u00b2</span></div>'
            '<li class="AUT_ntm">x</li></div>').encode()
    assert eurlex.parse_nim_html(body).countries["AUT"]["declared"] is None


@pytest.mark.samples
@needs_samples
def test_import_real_html_excerpt(make_ctx, tmp_path):
    cat = user_catalogue(tmp_path, "32023L2225")
    ctx = make_ctx(measure_ids=["celex-32023l2225"], cat_=cat, http=None)
    result = eurlex.parse_import(sample(HTML_SAMPLE), "nim-page.html", ctx)
    assert result.coverage == [] and result.metadata == []
    assert [(f.member_state, f.key, f.date) for f in result.findings] == [
        ("AT", "NIM:202604520", date(2026, 5, 19)),
        ("AT", "NIM:202604154", date(2026, 6, 10)),
    ]
    f = result.findings[0]
    assert f.measure_id == "celex-32023l2225" and f.fetch is None
    assert f.reference == "Bundesgesetzblatt für die Republik Österreich ( BGBl. ) 194/1994 idF I 33/2026"
    assert f.data["eurlex_url"] == "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=NIM:202604520"
    assert f.data["date_kind"].startswith("publication")
    assert "SVN" in result.reason
    # The excerpt names no CELEX: without --measure the directive cannot be known.
    with pytest.raises(ParseError, match="--measure"):
        eurlex.parse_import(sample(HTML_SAMPLE), "nim-page.html", make_ctx(cat_=cat, http=None))
    # Filtered to other Member States: nothing.
    none = eurlex.parse_import(sample(HTML_SAMPLE), "p.html",
                               make_ctx(measure_ids=["celex-32023l2225"], member_states=["PL"], cat_=cat, http=None))
    assert none.findings == []


@pytest.mark.samples
@needs_samples
def test_import_real_sparql_sample(make_ctx, tmp_path):
    cat = user_catalogue(tmp_path, "32022L2464")
    result = eurlex.parse_import(sample(NIM_SAMPLE), "nims.json", make_ctx(cat_=cat, http=None))
    assert result.coverage == []
    assert {f.measure_id for f in result.findings} == {"celex-32022l2464"}
    assert len(result.findings) == 7  # AT 1, BE 2, PL 4 for 32022L2464
    assert all(f.key.startswith("72022L2464") and f.fetch is None for f in result.findings)
    assert "32025L0794" in result.reason and "32026L0470" in result.reason
    # Nothing in the file implements a catalogued directive.
    with pytest.raises(ParseError, match="none of which"):
        eurlex.parse_import(sample(NIM_SAMPLE), "nims.json", make_ctx(http=None))


# --- import of constructed files -------------------------------------------------------------


def test_import_constructed_sparql(make_ctx):
    body = fixture("nim_32011L0036_constructed.json")
    # The CYP measure has no NIM CELEX, so its directive cannot be inferred.
    with pytest.raises(ParseError, match="pass --measure"):
        eurlex.parse_import(body, "nims.json", make_ctx(http=None))
    result = eurlex.parse_import(body, "nims.json", make_ctx(measure_ids=["thb-directive-2011-36"], http=None))
    assert result.coverage == [] and result.metadata == [] and result.status == "ok"
    assert sorted(f.member_state for f in result.findings) == ["AT", "CY", "DE", "EL", "FR", "IT"]
    assert {f.measure_id for f in result.findings} == {"thb-directive-2011-36"}
    at = next(f for f in result.findings if f.member_state == "AT")
    assert at.key == "72011L0036AUT_201300101"
    filtered = eurlex.parse_import(body, "nims.json", make_ctx(measure_ids=["thb-directive-2011-36"],
                                                                member_states=["EL"], http=None))
    assert [f.member_state for f in filtered.findings] == ["EL"]


def test_import_rejects_other_files(make_ctx):
    ctx = make_ctx(http=None)
    with pytest.raises(ParseError, match="neither"):
        eurlex.parse_import(b"just some text", "notes.txt", ctx)
    with pytest.raises(ParseError, match="neither"):
        eurlex.parse_import(b"<html><body>Something else</body></html>", "other.html", ctx)
    with pytest.raises(SourceError, match="CELLAR SPARQL error"):
        eurlex.parse_import(SP030, "error.txt", ctx)
    with pytest.raises(ParseError, match="error.json"):
        eurlex.parse_import(b"{broken", "error.json", ctx)


# --- refresh against a mocked endpoint -------------------------------------------------------


def three_states(celex: str) -> list[dict[str, Any]]:
    return [nim_row(celex, iso3, n=i) for i, iso3 in enumerate(["AUT", "BEL", "CZE"], start=1)]


def test_refresh_directive(cellar, make_ctx):
    cellar.metadata["32011L0036"] = metadata_rows("32011L0036", "2013-04-06")
    cellar.amends["32011L0036"] = [{"amCelex": "32024L1712", "amDate": "2024-06-13"}]
    cellar.nims["32011L0036"] = [*three_states("32011L0036"), nim_row("32011L0036", "GBR", n=9)]
    ctx = make_ctx(measure_ids=["thb-directive-2011-36"])
    result = eurlex.refresh(ctx)
    assert result.status == "ok", result.reason
    assert [(c.measure_id, c.member_state, c.status) for c in result.coverage] == [
        ("thb-directive-2011-36", "*", "ok")
    ]
    cov = result.coverage[0]
    assert cov.fetch is not None and "3 notified measure(s) from 3 Member State(s)" in cov.reason
    assert "GBR" in cov.reason  # the skipped row is said, not hidden
    assert sorted(f.member_state for f in result.findings) == ["AT", "BE", "CZ"]
    f = result.findings[0]
    assert f.fetch is not None and f.fetch.source == "eurlex" and f.fetch.sha256
    assert f.key.startswith("72011L0036")
    [meta] = result.metadata
    assert meta.celex == "32011L0036" and meta.fetch is not None
    assert meta.data["transposition"] == ["2013-04-06"]
    assert meta.data["amended_by"] == [{"celex": "32024L1712", "date": "2024-06-13"}]
    assert meta.data["amended_by_fetch"]["sha256"]
    assert meta.data["in_force"] is True
    assert len(result.fetches) == 3  # metadata, amends, one NIM page
    assert any("national implementing measures" in m for m in ctx.messages)


def test_refresh_pages_while_full(cellar, make_ctx, monkeypatch):
    monkeypatch.setattr(eurlex, "PAGE_SIZE", 3)
    cellar.metadata["32011L0036"] = metadata_rows("32011L0036", "2013-04-06")
    rows = three_states("32011L0036")
    # The Czech NIM has a second row (another title) that lands on the next page.
    rows.append({**rows[2], "title": {"type": "literal", "xml:lang": "cs", "value": "Zákon č. 1/2013 Sb."}})
    cellar.nims["32011L0036"] = rows
    result = eurlex.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    nim_queries = [q for q in cellar.queries if cellar.kind(q) == "nim"]
    assert len(nim_queries) == 2  # first page full (3 rows), second partial (1 row): stop
    assert re.search(r"LIMIT 3\nOFFSET 0\b", nim_queries[0])
    assert re.search(r"LIMIT 3\nOFFSET 3\b", nim_queries[1])
    assert len(result.findings) == 3
    cz = next(f for f in result.findings if f.member_state == "CZ")
    assert len(cz.data["titles"]) == 2  # grouped across the page boundary
    assert cz.fetch.sha256 == result.fetches[2].sha256  # the page where the NIM first appeared
    assert result.coverage[0].status == "ok"
    assert result.coverage[0].fetch.sha256 == result.fetches[2].sha256


def test_refresh_stops_at_max_pages(cellar, make_ctx, monkeypatch):
    monkeypatch.setattr(eurlex, "PAGE_SIZE", 1)
    monkeypatch.setattr(eurlex, "MAX_PAGES", 2)
    cellar.metadata["32011L0036"] = metadata_rows("32011L0036", "2013-04-06")
    cellar.nims["32011L0036"] = three_states("32011L0036")
    result = eurlex.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert cellar.count("nim") == 2
    assert result.findings == []  # never a partial list
    [cov] = result.coverage
    assert cov.status == "failed" and "still full after 2 pages" in cov.reason
    assert result.status == "failed"


def test_one_failing_directive_does_not_stop_the_others(cellar, make_ctx):
    for celex in ("32011L0036", "32004L0081"):
        cellar.metadata[celex] = metadata_rows(celex)
    cellar.nims["32011L0036"] = three_states("32011L0036")
    cellar.raw[("nim", "32004L0081")] = httpx.Response(500)
    ctx = make_ctx(measure_ids=["thb-directive-2011-36", "residence-permit-2004-81"])
    result = eurlex.refresh(ctx)
    cov = {c.measure_id: c for c in result.coverage}
    assert cov["thb-directive-2011-36"].status == "ok"
    assert cov["residence-permit-2004-81"].status == "failed"
    assert "HTTP 500" in cov["residence-permit-2004-81"].reason
    assert cov["residence-permit-2004-81"].fetch is None
    assert cellar.count("nim") == 1 + 2  # one for 2011/36, two attempts (one retry) for 2004/81
    assert {f.measure_id for f in result.findings} == {"thb-directive-2011-36"}
    assert {m.measure_id for m in result.metadata} == {"thb-directive-2011-36", "residence-permit-2004-81"}
    assert result.status == "ok"
    assert "1 of 2" in result.reason and "residence-permit-2004-81" in result.reason


def test_measures_are_queried_at_once_with_the_same_result(make_ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(eurlex, "PAGE_SIZE", 2)  # some directives take two or three NIM pages
    monkeypatch.setattr(eurlex, "_cache", lambda _ctx: eurlex.ParseCache(None))  # both runs parse
    measures = ["thb-directive-2011-36", "residence-permit-2004-81", "employers-sanctions-2009-52",
                "financial-information-2019-1153", "e-evidence-regulation", "prum-ii", "csddd"]
    results, overlap, asked = {}, {}, {}
    for concurrency in (1, 4):
        cellar = FakeCellar()
        for celex in ("32011L0036", "32009L0052", "32019L1153", "32023R1543", "32024L1760"):
            cellar.metadata[celex] = metadata_rows(celex, "2013-04-06")
        cellar.nims["32011L0036"] = [*three_states("32011L0036"), nim_row("32011L0036", "DEU", n=4)]
        cellar.nims["32009L0052"] = [nim_row("32009L0052", "FRA")]  # too few states (judged by the writer)
        cellar.raw[("nim", "32019L1153")] = httpx.Response(500)
        # 32004L0081 and 32024R0982: no work (failed); 32024L1760: no NIM yet
        watch = InFlight(cellar, hold=0.05 if concurrency > 1 else 0)
        with respx.mock(assert_all_called=False) as router:
            router.route(host="sparql.test").mock(side_effect=watch)
            ctx = make_ctx(measure_ids=measures, http=concurrency_client(tmp_path, concurrency, str(concurrency)))
            results[concurrency] = snapshot(eurlex.refresh(ctx))
        overlap[concurrency], asked[concurrency] = watch.max, sorted(cellar.queries)
    assert overlap[1] == 1 and overlap[4] > 1
    assert results[4] == results[1]
    assert asked[4] == asked[1]
    assert [c["measure_id"] for c in results[1]["coverage"]] == [
        m for m in ctx.catalogue.measures if m in measures and ctx.catalogue.measures[m].kind == "directive"]
    assert {c["status"] for c in results[1]["coverage"]} == {"ok", "failed"}
    assert len(results[1]["findings"]) == 5


def test_virtuoso_error_and_unknown_work_fail_the_measure(cellar, make_ctx):
    cellar.metadata["32011L0036"] = metadata_rows("32011L0036", "2013-04-06")
    cellar.raw[("nim", "32011L0036")] = httpx.Response(200, content=SP031, headers={"content-type": "text/plain"})
    # 32004L0081: no work, neither by typed literal nor by STR()
    result = eurlex.refresh(make_ctx(measure_ids=["thb-directive-2011-36", "residence-permit-2004-81"]))
    cov = {c.measure_id: c for c in result.coverage}
    assert cov["thb-directive-2011-36"].status == "failed"
    assert cov["thb-directive-2011-36"].reason.startswith("CELLAR SPARQL error (query timeout)")
    assert cov["residence-permit-2004-81"].status == "failed"
    assert "no work with CELEX 32004L0081" in cov["residence-permit-2004-81"].reason
    assert cellar.count("metadata") == 1 + 2  # the STR() fallback was tried
    assert result.findings == []
    assert result.status == "failed" and result.reason.startswith("all 2 measure(s) failed")


def test_all_blocked(cellar, make_ctx):
    waf = httpx.Response(202, content=b"<html><script>window.awsWafCookieDomainList = [];</script></html>",
                         headers={"content-type": "text/html"})
    for celex in ("32011L0036", "32023R1543"):
        cellar.raw[("metadata", celex)] = waf
    result = eurlex.refresh(make_ctx(measure_ids=["thb-directive-2011-36", "e-evidence-regulation"]))
    assert result.status == "blocked"
    assert [(c.measure_id, c.status) for c in result.coverage] == [("thb-directive-2011-36", "blocked")]
    assert "AWS WAF" in result.coverage[0].reason


def test_str_fallback_is_used_for_the_nim_query(cellar, make_ctx):
    cellar.typed_literal_misses.add("32011L0036")
    cellar.metadata["32011L0036"] = metadata_rows("32011L0036", "2013-04-06")
    cellar.nims["32011L0036"] = three_states("32011L0036")
    result = eurlex.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.metadata[0].data["celex_match"] == "str"
    nim_queries = [q for q in cellar.queries if cellar.kind(q) == "nim"]
    assert len(nim_queries) == 1 and 'FILTER(STR(?dirCelex) = "32011L0036")' in nim_queries[0]
    assert len(result.findings) == 3


def test_amends_failure_keeps_metadata_and_nims(cellar, make_ctx):
    cellar.metadata["32011L0036"] = metadata_rows("32011L0036", "2013-04-06")
    cellar.raw[("amends", "32011L0036")] = httpx.Response(200, content=SP030)
    cellar.nims["32011L0036"] = three_states("32011L0036")
    result = eurlex.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    meta = result.metadata[0].data
    assert meta["amended_by"] is None  # unknown, not "never amended"
    assert "SP030" in meta["amended_by_error"]
    assert result.coverage[0].status == "ok" and len(result.findings) == 3


def _stored(result, cat_=None, *, when: date | None = None):  # noqa: ANN001, ANN202
    """Write a refresh result through the shared writer (refresh.write_source_result), as a refresh does."""
    from datetime import UTC, datetime

    from compliance.refresh.run import _finish_run, _start_run, write_source_result
    from compliance.store.engine import Store

    store = Store.open(load_settings().db_url)
    run = _start_run(store, "refresh")
    import compliance.refresh.run as refresh_mod

    real = refresh_mod.utcnow
    if when is not None:
        refresh_mod.utcnow = lambda: datetime(when.year, when.month, when.day, 8, tzinfo=UTC)
    try:
        summary = write_source_result(store, run, "eurlex", result, started_at=datetime.now(UTC),
                                      catalogue=cat_ or catalogue.load())
    finally:
        refresh_mod.utcnow = real
    _finish_run(store, run, "ok", {})
    coverage = {c.measure_id: c for c in store.coverage() if c.source == "eurlex"}
    return summary, coverage, store


def test_suspect_when_an_old_directive_has_too_few_states(cellar, make_ctx):
    """A first answer for a directive long past its deadline with NIMs from two states: the source
    reports what it found, the shared writer finds it too thin to believe (nothing stored to compare)."""
    cellar.metadata["32011L0036"] = metadata_rows("32011L0036", "2013-04-06")
    cellar.nims["32011L0036"] = three_states("32011L0036")[:2]
    result = eurlex.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert [c.status for c in result.coverage] == ["ok"] and len(result.findings) == 2
    summary, cov, store = _stored(result)
    assert summary.status == "suspect" and summary.new == 0
    assert cov["thb-directive-2011-36"].status == "suspect"
    assert cov["thb-directive-2011-36"].reason.startswith(
        "only 2 Member States with national measures for a directive due on 2013-04-06")
    assert "nothing stored to compare with" in summary.reason and store.evidence() == []


def test_suspect_uses_the_official_deadline_and_not_every_directive(cellar, make_ctx, tmp_path):
    cat = user_catalogue(tmp_path, "32016L0680")  # watched by CELEX: no deadline in the catalogue
    # 2011/36: old and healthy.  2024/1712 (catalogue deadline 2026-07-15, not old): nothing yet.
    cellar.metadata["32011L0036"] = metadata_rows("32011L0036", "2013-04-06")
    cellar.nims["32011L0036"] = three_states("32011L0036")
    cellar.metadata["32024L1712"] = metadata_rows("32024L1712", "2026-07-15")
    # 2016/680 is judged by the official deadline, since the catalogue has none.
    cellar.metadata["32016L0680"] = metadata_rows("32016L0680", "2018-05-06")
    cellar.nims["32016L0680"] = [nim_row("32016L0680", "AUT")]
    ids = ["thb-directive-2011-36", "thb-directive-2024-1712", "celex-32016l0680"]
    result = eurlex.refresh(make_ctx(measure_ids=ids, cat_=cat))
    assert result.status == "ok"
    summary, cov, store = _stored(result, cat, when=date(2026, 10, 1))
    assert {k: c.status for k, c in cov.items()} == {
        "thb-directive-2011-36": "ok", "thb-directive-2024-1712": "ok", "celex-32016l0680": "suspect"
    }
    assert "due on 2018-05-06" in cov["celex-32016l0680"].reason
    assert cov["thb-directive-2024-1712"].reason.startswith("0 notified measure(s)")
    assert summary.status == "suspect" and summary.new == 3  # 2011/36's three are stored
    assert summary.reason.startswith("suspect answer for celex-32016l0680")


def test_regulations_get_metadata_but_no_nim_query_and_no_coverage(cellar, make_ctx):
    for celex in ("32023R1543", "32024R0982"):
        cellar.metadata[celex] = metadata_rows(celex)
    cellar.amends["32023R1543"] = [{"amCelex": "32025R0001", "amDate": "2025-01-02"}]
    result = eurlex.refresh(make_ctx(measure_ids=["e-evidence-regulation", "prum-ii"]))
    assert cellar.count("nim") == 0
    assert result.coverage == [] and result.findings == []
    assert {m.measure_id: m.data["amended_by"] for m in result.metadata} == {
        "e-evidence-regulation": [{"celex": "32025R0001", "date": "2025-01-02"}],
        "prum-ii": [],
    }
    assert all(m.data["transposition"] == [] for m in result.metadata)
    assert result.status == "ok"


def test_member_states_filter(cellar, make_ctx):
    cellar.metadata["32011L0036"] = metadata_rows("32011L0036", "2013-04-06")
    cellar.nims["32011L0036"] = [*three_states("32011L0036"), nim_row("32011L0036", "GRC", n=4)]
    result = eurlex.refresh(make_ctx(measure_ids=["thb-directive-2011-36"], member_states=["EL", "DK"]))
    assert cellar.count("nim") == 1  # one query for all states
    assert [f.member_state for f in result.findings] == ["EL"]
    assert [(c.member_state, c.status) for c in result.coverage] == [("EL", "ok"), ("DK", "ok")]
    # The health rule still counts every state that notified (4), not only the selected ones.
    assert "from 4 Member State(s)" in result.coverage[0].reason


def test_not_modified_pages_are_parsed_again(make_ctx, tmp_path):
    """A 304 reuses the archived body; its findings are listed again (not taken as gone)."""
    from compliance.http import PreviousFetch

    cellar = FakeCellar()
    cellar.metadata["32011L0036"] = metadata_rows("32011L0036", "2013-04-06")
    cellar.nims["32011L0036"] = three_states("32011L0036")
    with respx.mock(assert_all_called=False) as router:
        router.route(host="sparql.test").mock(side_effect=cellar)
        first = eurlex.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    nim_fetch = first.findings[0].fetch
    seen = {f.request_key: f for f in first.fetches}

    def validators(source: str, url: str, key: str) -> PreviousFetch | None:
        f = seen.get(key)
        return PreviousFetch('"v1"', None, f.sha256, f.content_type) if f else None

    client = HttpClient(HttpSettings(max_retries=0, default_host=HostPolicy(min_interval=0)),
                        Archive(tmp_path / "archive"), validators, sleep=lambda _s: None)

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers.get("if-none-match") == '"v1"'
        return httpx.Response(304)

    with respx.mock(assert_all_called=False) as router:
        router.route(host="sparql.test").mock(side_effect=answer)
        second = eurlex.refresh(make_ctx(measure_ids=["thb-directive-2011-36"], http=client))
    assert [f.key for f in second.findings] == [f.key for f in first.findings]
    assert second.findings[0].fetch.not_modified is True
    assert second.findings[0].fetch.sha256 == nim_fetch.sha256
    assert second.coverage[0].status == "ok"


# --- robustness: bad input raises the project's errors, nothing else ---------------------------

_names = st.sampled_from(
    ["nim", "nimCelex", "c", "country", "title", "t", "notified", "notif", "ojNumber", "link", "eli", "dir",
     "work", "celex", "dateDoc", "date", "transpos", "deadline", "inForce", "inforce", "endValid", "amCelex",
     "amDate", "base", "rel"]
)
_terms = st.fixed_dictionaries(
    {"type": st.sampled_from(["uri", "literal", "bnode", 3]), "value": st.text(max_size=30)},
    optional={"xml:lang": st.one_of(st.text(max_size=3), st.none()), "datatype": st.text(max_size=40)},
)
_sparql = st.builds(
    lambda rows: json.dumps({"head": {"vars": []}, "results": {"bindings": rows}}).encode(),
    st.lists(st.dictionaries(_names, _terms, max_size=8), max_size=6),
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
).map(lambda v: json.dumps(v).encode())
_html = st.builds(
    lambda iso3, inner: (f'<div class="ntmRow"><div id="{iso3}_numOfNims"><span class="VMIMore">{inner}</span>'
                         f'</div><li class="{iso3}_ntm">{inner}<em>{inner}</em></li></div>').encode(),
    st.sampled_from(["AUT", "XXX", "GRC"]), st.text(max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=120), _json, _sparql, _html))
def test_parsers_raise_only_project_errors(body):
    parsers = (
        lambda b: eurlex.parse_nim_results(b, "32011L0036"),
        lambda b: eurlex.parse_nim_results(b),
        lambda b: eurlex.parse_act_metadata(b, "32011L0036"),
        lambda b: eurlex.parse_amending_acts(b, "32011L0036"),
        eurlex.parse_nim_html,
    )
    for parse in parsers:
        try:
            result = parse(body)
        except ComplianceError:
            continue
        if isinstance(result, eurlex.NimParse):
            json.dumps([eurlex.nim_data(r, "32011L0036") for r in result.records])
            for rec in result.records:
                eurlex.nim_item(rec, "m", "32011L0036", None)
