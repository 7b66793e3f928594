"""Austria (RIS OGD v2.6): parameter checks, the parser on every real capture and on constructed
pages (one-hit object, error envelopes), paging and the HTTP 500 past the last page, a refresh
against respx, imports through the CLI, and fuzzing. No test uses the network."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.errors import ComplianceError, ParseError, SourceError
from compliance.sources import SOURCES
from compliance.sources.gazettes import at
from compliance.sources.gazettes._runs import Pacer

from .conftest import fixture_bytes, needs_samples, sample, watch_catalogue

HOST = "data.bka.gv.at"
CELEX_SAMPLE = "ris-search-brkons-celex.json"
ERROR_500 = "ris-error-500-page-overflow.json"
THB = "thb-directive-2011-36"


# --- constructed RIS documents (the shape of the real captures in samples/gazettes/at) -----------


def page(docs: list[dict[str, Any]] | dict[str, Any] | None, total: int | None, number: int = 1,
         size: int = 10) -> dict[str, Any]:
    hits: dict[str, Any] = {"@pageNumber": str(number), "@pageSize": str(size)}
    if total is not None:
        hits["#text"] = str(total)
    result: dict[str, Any] = {"Hits": hits}
    if docs is not None:
        result["OgdDocumentReference"] = docs
    return {"OgdSearchResult": {"OgdDocumentResults": result}}


def brkons(law: str, part: str = "§ 0", *, titel: str | None = None, aenderung: str | None = None,
           stamm: str = "999/2013", nor: str = "NOR99000001") -> dict[str, Any]:
    """A BrKons document of the constructed law with Gesetzesnummer `law` (fictional values)."""
    fields: dict[str, Any] = {
        "Kundmachungsorgan": f"BGBl. I Nr. {stamm}", "Typ": "BG",
        "Dokumenttyp": "Norm" if part == "§ 0" else "Paragraph",
        "ArtikelParagraphAnlage": part, "StammnormPublikationsorgan": "BGBl. I Nr.", "StammnormBgblnummer": stamm,
        "Inkrafttretensdatum": "2013-05-01", "Gesetzesnummer": law,
        "GesamteRechtsvorschriftUrl": f"https://www.ris.bka.gv.at/GeltendeFassung.wxe?Abfrage=Bundesnormen&Gesetzesnummer={law}",
        "Aenderung": aenderung if aenderung is not None else "",
    }
    year, number = stamm.split("/")[1], stamm.split("/")[0]
    seg = "P0" if part == "§ 0" else "P" + part.split()[-1]
    bundesrecht: dict[str, Any] = {"Kurztitel": "Musterschutzgesetz", "BrKons": fields,
                                   "Eli": f"https://ris.bka.gv.at/eli/bgbl/i/{year}/{number}/{seg}/{nor}"}
    if titel is not None:
        bundesrecht["Titel"] = titel
    return {"Data": {
        "Metadaten": {"Technisch": {"ID": nor, "Applikation": "BrKons"},
                      "Allgemein": {"DokumentUrl": f"https://www.ris.bka.gv.at/eli/bgbl/i/{year}/{number}/{seg}/{nor}"},
                      "Bundesrecht": bundesrecht},
        "Dokumentliste": {"ContentReference": {"ContentType": "MainDocument", "Name": "Hauptdokument",
                                               "Urls": {"ContentUrl": {"DataType": "Xml", "Url": f"https://www.ris.bka.gv.at/Dokumente/Bundesnormen/{nor}/{nor}.xml"}}}},
    }}


def bgblauth(number: int, year: int, day: str, titel: str) -> dict[str, Any]:
    eli = f"https://www.ris.bka.gv.at/eli/bgbl/I/{year}/{number}/{day.replace('-', '')}"
    return {"Data": {"Metadaten": {
        "Technisch": {"ID": f"BGBLA_{year}_I_{number}", "Applikation": "BgblAuth"},
        "Allgemein": {"DokumentUrl": eli},
        "Bundesrecht": {"Kurztitel": "Musterschutzgesetz-Novelle", "Titel": titel, "Eli": eli,
                        "BgblAuth": {"Bgblnummer": f"BGBl. I Nr. {number}/{year}", "Teil": "Teil1",
                                     "Ausgabedatum": day, "Typ": "Bundesgesetz"}}}}}


NORM = brkons("99999991", titel="Bundesgesetz über den Musterschutz (Musterschutzgesetz)<br/>StF: BGBl. I Nr. 999/2013",
              aenderung="BGBl. I Nr. 998/2014 (NR: GP XXV RV 1 AB 2 S. 3.)\r\n[CELEX-Nr.: 32011L0036]\r\n"
                        "BGBl. I Nr. 997/2026 (NR: GP XXVIII RV 4 AB 5 S. 6.)\r\n[CELEX-Nr.: 32024L1712, 32024L1260]")


def body(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


# --- parameters and terms ------------------------------------------------------------------------


def test_module_is_the_registered_source():
    assert at.INFO is SOURCES["gazette-at"] and at.INFO.module == at.__name__
    assert at.ENDPOINT_NAME in at.INFO.endpoint_names


def test_parameters_are_validated_because_ris_ignores_unknown_ones():
    assert at.build_params(Applikation="BrKons", Suchworte="x", Seitennummer=2, DokumenteProSeite="Ten") == {
        "Applikation": "BrKons", "Suchworte": "x", "Seitennummer": "2", "DokumenteProSeite": "Ten"}
    with pytest.raises(ValueError, match="does not know parameter"):
        at.build_params(Applikation="BrKons", Suchwort="x")  # typo: RIS would search everything
    with pytest.raises(ValueError, match="DokumenteProSeite"):
        at.build_params(Applikation="BrKons", DokumenteProSeite="200")
    with pytest.raises(ValueError, match="Applikation"):
        at.build_params(Suchworte="x")
    with pytest.raises(ValueError, match="1-based"):
        at.build_params(Applikation="BrKons", Seitennummer=0)


def test_search_terms():
    assert at.search_terms("32011L0036") == '"2011/36" ODER 32011L0036'
    assert at.search_terms("32024L1712") == '"2024/1712" ODER 32024L1712'
    assert at.search_terms("31995L0046") == '"1995/46" ODER 31995L0046 ODER 395L0046'
    with pytest.raises(ValueError):
        at.search_terms("32024R0982")


# --- the real captures ---------------------------------------------------------------------------


@pytest.mark.samples
@needs_samples("at")
def test_real_brkons_celex_sample():
    parsed = at.parse_search(sample("at", CELEX_SAMPLE))
    assert (parsed.total, parsed.page_number, parsed.page_size, len(parsed.hits)) == (77, 1, 10, 1)
    act = at.act_of(parsed.hits[0])
    assert act.key == "https://www.ris.bka.gv.at/eli/bgbl/i/1999/165"  # the law, not its § 0
    assert act.title.startswith("Bundesgesetz zum Schutz natürlicher Personen")
    assert "<br/>" not in act.title and "CELEX" not in act.title
    assert act.type == "BG" and act.reference == "BGBl. I Nr. 165/1999"
    assert act.url == "https://www.ris.bka.gv.at/GeltendeFassung.wxe?Abfrage=Bundesnormen&Gesetzesnummer=10001597"
    assert act.consolidated and act.date()[0] is None  # which amendment transposed what: see the data
    assert {c: sorted(b) for c, b in act.bases.items()} == {
        "31995L0046": ["celex-marker"], "32009L0133": ["celex-marker"], "32010L0024": ["celex-marker"],
        "32016L0680": ["celex-marker"]}
    assert act.data["amendments_with_celex"] == [
        {"bgbl": "BGBl. I Nr. 165/1999", "celex": ["31995L0046"], "original_version": True},
        {"bgbl": "BGBl. I Nr. 112/2011", "celex": ["32009L0133", "32010L0024"]},
        {"bgbl": "BGBl. I Nr. 83/2013", "celex": ["31995L0046"]},
        {"bgbl": "BGBl. I Nr. 120/2017", "celex": ["32016L0680"]},
    ]
    assert act.data["law_number"] == "10001597" and act.data["law_metadata_read"] is True


@pytest.mark.samples
@needs_samples("at")
def test_real_bgblauth_sample():
    parsed = at.parse_search(sample("at", "ris-search-bgblauth-2004-01.json"))
    assert parsed.total == 72 and len(parsed.hits) == 2
    acts = [at.act_of(h) for h in parsed.hits]
    assert [a.key for a in acts] == ["https://www.ris.bka.gv.at/eli/bgbl/II/2004/68/20040130",
                                     "https://www.ris.bka.gv.at/eli/bgbl/II/2004/67/20040129"]
    first = acts[0]
    assert first.reference == "BGBl. II Nr. 68/2004" and first.type == "Verordnung"
    assert str(first.published) == "2004-01-30" and first.date() == (first.published, "publication")
    assert first.data["authentic_pdf"].endswith("BGBLA_2004_II_68.pdf")
    assert first.references == []


@pytest.mark.samples
@needs_samples("at")
def test_real_multi_regv_zero_and_history_samples():
    multi = at.parse_search(sample("at", "ris-search-brkons-multi.json"))
    assert multi.total == 439471 and len(multi.hits) == 3
    found = at._Acts()
    for hit in multi.hits:
        found.add(at.act_of(hit), None)
    assert sorted(found.acts) == ["https://www.ris.bka.gv.at/eli/bgbl/ii/1998/130",
                                  "https://www.ris.bka.gv.at/eli/bgbl/iii/2013/62"]  # § 0 and Art. 1: one law
    assert len(found.acts["https://www.ris.bka.gv.at/eli/bgbl/ii/1998/130"].data["documents"]) == 2
    regv = at.parse_search(sample("at", "ris-search-regv.json"))
    assert regv.total == 7 and at.act_of(regv.hits[0]) is None  # a bill is not an adopted act
    zero = at.parse_search(sample("at", "ris-search-zero-hits.json"))
    assert (zero.total, zero.hits) == (0, [])  # a not-found is a success with Hits=0
    history = at.parse_search(sample("at", "ris-history-with-deleted.json"))
    assert history.total == 101 and len(history.hits) == 2 and len(history.deleted) == 5


@pytest.mark.samples
@needs_samples("at")
def test_real_500_error_envelope():
    with pytest.raises(at.RisError) as err:
        at.parse_search(sample("at", ERROR_500))
    assert err.value.past_end is True and err.value.status == "failed"
    assert "Seitennummer ist höher" in str(err.value)


# --- constructed pages ---------------------------------------------------------------------------


def test_one_hit_arrives_as_an_object_not_an_array():
    parsed = at.parse_search(body(page(NORM, total=1)))
    assert len(parsed.hits) == 1
    assert parsed.hits[0].content_urls == {
        "Xml": "https://www.ris.bka.gv.at/Dokumente/Bundesnormen/NOR99000001/NOR99000001.xml"}
    act = at.act_of(parsed.hits[0])
    assert act.data["amendments_with_celex"] == [
        {"bgbl": "BGBl. I Nr. 998/2014", "celex": ["32011L0036"]},
        {"bgbl": "BGBl. I Nr. 997/2026", "celex": ["32024L1260", "32024L1712"]}]


def test_constructed_fixture_file():
    parsed = at.parse_search(fixture_bytes("gazette-at", "brkons_page_constructed.json"))
    assert parsed.total == 2 and len(parsed.hits) == 2
    acts = {a.key: a for a in (at.act_of(h) for h in parsed.hits)}
    law = acts["https://www.ris.bka.gv.at/eli/bgbl/i/2013/999"]
    assert sorted(law.bases) == ["32011L0036", "32024L1260", "32024L1712"] and law.data["law_metadata_read"]
    regulation = acts["https://www.ris.bka.gv.at/eli/bgbl/ii/2020/996"]
    assert regulation.type == "V" and regulation.reference == "BGBl. II Nr. 996/2020"
    assert regulation.references == [] and regulation.title == "Verordnung über Musterbeispiele"


@pytest.mark.parametrize("doc, error, message", [
    ({"OgdSearchResult": {"Error": {"@type": "Client", "Message": "Ungültiger Wert für Suchworte"}}},
     at.RisError, r"RIS error \(Client\): Ungültiger Wert"),
    ({"OgdSearchResult": {"Error": "kaputt"}}, at.RisError, "kaputt"),
    ({"OgdSearchResult": {}}, ParseError, "neither OgdDocumentResults nor Error"),
    ({"foo": 1}, ParseError, "no OgdSearchResult"),
    (page([{"Data": 1}], total=1), ParseError, "has no Data object"),
    (page([NORM, NORM], total=1), ParseError, "2 documents on a page of a result said to have 1"),
])
def test_envelopes_and_bad_pages(doc, error, message):
    with pytest.raises(error, match=message):
        at.parse_search(body(doc))


# --- refresh -------------------------------------------------------------------------------------


class FakeRis:
    """Answers /Bundesrecht searches from tables keyed by (Applikation, Suchworte|Gesetzesnummer)."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], list[Any]] = {}  # one entry per page: dict or httpx.Response
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/ris/api/v2.6/Bundesrecht"
        params = dict(request.url.params)
        self.requests.append(params)
        assert set(params) <= at.PARAMETERS["Bundesrecht"]
        key = (params["Applikation"], params.get("Suchworte") or params.get("Gesetzesnummer"))
        pages = self.answers.get(key, [page(None, total=0)])
        n = int(params["Seitennummer"])
        if n > len(pages):
            return httpx.Response(500, content=fixture_bytes("gazette-at", "error_page-overflow_constructed.json"))
        answer = pages[n - 1]
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)

    def pages_asked(self, app: str, what: str) -> list[str]:
        return [r["Seitennummer"] for r in self.requests
                if r["Applikation"] == app and what in (r.get("Suchworte"), r.get("Gesetzesnummer"))]


DSG_TERMS = '"2016/680" ODER 32016L0680'
# The check search answer, constructed in the shape of the real capture ris-search-brkons-celex.json.
DSG = brkons("10001597", titel="Bundesgesetz zum Schutz natürlicher Personen bei der Verarbeitung "
             "personenbezogener Daten (Datenschutzgesetz – DSG)<br/>StF: BGBl. I Nr. 165/1999",
             aenderung="BGBl. I Nr. 120/2017 (NR: GP XXV RV 1664 AB 1761 S. 190.)\r\n[CELEX-Nr.: 32016L0680]",
             stamm="165/1999", nor="NOR40262691")


@pytest.fixture
def ris(monkeypatch):
    fake = FakeRis()
    fake.answers[("BrKons", DSG_TERMS)] = [page(DSG, total=1)]
    waits: list[float] = []
    monkeypatch.setattr(at, "RIS_PACER", Pacer(1.0, lambda: 0.0, waits.append))  # a clock that never moves
    monkeypatch.setattr(at, "PAGE_SIZE", "Ten")
    fake.waits = waits  # type: ignore[attr-defined]
    with respx.mock(assert_all_called=False) as router:
        router.route(host=HOST).mock(side_effect=fake)
        yield fake


TERMS = '"2011/36" ODER 32011L0036'


def test_refresh_pages_to_the_documented_total_and_reads_markers(ris, make_ctx):
    paragraphs = [brkons("99999991", f"§ {i}", nor=f"NOR9900{i:04d}") for i in range(1, 13)]
    ris.answers[("BrKons", TERMS)] = [page(paragraphs[:10], total=12), page(paragraphs[10:], total=12, number=2)]
    ris.answers[("BgblAuth", TERMS)] = [page(bgblauth(998, 2014, "2014-12-30",
                                                     "Bundesgesetz, mit dem das Musterschutzgesetz geändert wird"), 1)]
    ris.answers[("BrKons", "99999991")] = [page([NORM, *paragraphs[:9]], total=13)]
    result = at.refresh(make_ctx(measure_ids=[THB]))
    assert result.status == "ok", result.reason
    assert ris.pages_asked("BrKons", TERMS) == ["1", "2"]  # total 12, 10 per page: never page 3
    assert ris.pages_asked("BgblAuth", TERMS) == ["1"]
    assert ris.pages_asked("BrKons", "99999991") == ["1"]  # the law's Norm document, for its markers
    assert all(r["DokumenteProSeite"] == "Ten" for r in ris.requests)
    [cov] = result.coverage
    assert (cov.measure_id, cov.member_state, cov.status) == (THB, "AT", "ok")
    assert "Land law is not searched" in cov.reason and cov.fetch is not None
    got = {(f.key, f.measure_id): f for f in result.findings}
    law = got[("https://www.ris.bka.gv.at/eli/bgbl/i/2013/999", THB)]
    assert law.kind == "national-measure" and law.date is None and law.member_state == "AT"
    assert set(law.data["basis"]) == {"celex-marker", "full-text-hit"}
    assert law.fetch is not None and law.fetch.source == "gazette-at"
    item = got[("https://www.ris.bka.gv.at/eli/bgbl/I/2014/998/20141230", THB)]
    assert item.kind == "citation" and str(item.date) == "2014-12-30"  # no marker in its metadata
    # The law also carries markers for 2024/1712 and 2024/1260: findings, but no coverage for them.
    assert ("https://www.ris.bka.gv.at/eli/bgbl/i/2013/999", "thb-directive-2024-1712") not in got  # not selected
    assert len(ris.waits) >= 3 and all(w >= 1.0 for w in ris.waits)  # RIS_PACER between requests


def test_500_past_the_last_page_ends_cleanly_when_no_total_is_given(ris, make_ctx):
    full = [brkons("99999991", f"§ {i}", nor=f"NOR9900{i:04d}") for i in range(1, 11)]
    ris.answers[("BrKons", TERMS)] = [page([NORM, *full[:9]], total=None)]  # then page 2 -> HTTP 500 envelope
    result = at.refresh(make_ctx(measure_ids=[THB]))
    [cov] = result.coverage
    assert cov.status == "ok", cov.reason
    assert "ended at page 1" in cov.reason and "Seitennummer ist höher" in cov.reason
    assert ris.pages_asked("BrKons", TERMS) == ["1", "2"]
    assert any(f.kind == "national-measure" for f in result.findings)


def test_500_within_the_documented_total_fails_the_directive(ris, make_ctx):
    ris.answers[("BrKons", TERMS)] = [page([NORM] + [brkons("99999991", f"§ {i}") for i in range(1, 10)], total=25)]
    result = at.refresh(make_ctx(measure_ids=[THB]))
    [cov] = result.coverage
    assert cov.status == "failed" and "Seitennummer ist höher" in cov.reason
    assert result.status == "failed"
    assert result.findings == []  # never a partial list


def test_in_band_error_with_http_200_fails_only_that_directive(ris, make_ctx):
    ris.answers[("BrKons", TERMS)] = [{"OgdSearchResult": {"Error": {"@type": "Server", "Message": "Timeout"}}}]
    ids = [THB, "asset-recovery"]
    result = at.refresh(make_ctx(measure_ids=ids))
    cov = {c.measure_id: c for c in result.coverage}
    assert cov[THB].status == "failed" and "RIS error (Server): Timeout" in cov[THB].reason
    assert cov["asset-recovery"].status == "ok"
    assert result.status == "ok" and "not ok: thb-directive-2011-36 (failed)" in result.reason


def test_a_check_search_that_finds_nothing_makes_every_absence_suspect(ris, make_ctx):
    ris.answers[("BrKons", DSG_TERMS)] = [page(None, total=0)]  # e.g. RIS tokenises "2016/680" differently
    result = at.refresh(make_ctx(measure_ids=[THB, "asset-recovery"]))
    assert {c.status for c in result.coverage} == {"suspect"}
    assert all("did not find law 10001597" in c.reason for c in result.coverage)
    assert result.status == "suspect"
    assert ris.requests[0]["Suchworte"] == DSG_TERMS  # the check runs first


def test_the_check_search_resolves_only_the_known_law(ris, make_ctx):
    dsg_paragraph = brkons("10001597", "§ 36", stamm="165/1999", nor="NOR40262700")
    other = brkons("99999993", "§ 4", stamm="995/2019", nor="NOR99000300")
    ris.answers[("BrKons", DSG_TERMS)] = [page([dsg_paragraph, other], total=2)]
    ris.answers[("BrKons", "10001597")] = [page(DSG, total=1)]
    result = at.refresh(make_ctx(measure_ids=["asset-recovery"]))
    assert result.coverage[0].status == "ok", result.coverage[0].reason
    asked = [r.get("Gesetzesnummer") for r in ris.requests if r.get("Gesetzesnummer")]
    assert asked == ["10001597"]  # never a lookup for the other law, which the check does not need
    assert result.findings == []  # the check's acts are not findings


def test_a_failed_check_search_also_makes_absences_suspect(ris, make_ctx):
    ris.answers[("BrKons", DSG_TERMS)] = [httpx.Response(503)]
    result = at.refresh(make_ctx(measure_ids=["asset-recovery"]))
    [cov] = result.coverage
    assert cov.status == "suspect" and "did not complete" in cov.reason


def test_unreadable_markers_make_the_coverage_suspect(ris, make_ctx):
    ris.answers[("BrKons", TERMS)] = [page(brkons("99999991", "§ 3", nor="NOR99000003"), total=1)]
    # the Gesetzesnummer lookup finds no Norm document
    ris.answers[("BrKons", "99999991")] = [page(brkons("99999991", "§ 3", nor="NOR99000003"), total=1)]
    result = at.refresh(make_ctx(measure_ids=[THB]))
    [cov] = result.coverage
    assert cov.status == "suspect" and "99999991 could not be read" in cov.reason
    [f] = result.findings
    assert f.kind == "citation" and f.data["basis"] == ["full-text-hit"]


def test_too_many_pages_is_refused(ris, make_ctx, monkeypatch):
    monkeypatch.setattr(at, "MAX_PAGES", 2)
    docs = [brkons("99999991", f"§ {i}") for i in range(10)]
    ris.answers[("BrKons", TERMS)] = [page(docs, total=500, number=n) for n in (1, 2, 3)]
    result = at.refresh(make_ctx(measure_ids=[THB]))
    assert result.coverage[0].status == "failed" and "more than 2 pages" in result.coverage[0].reason


def test_html_instead_of_json_is_blocked(ris, make_ctx):
    ris.answers[("BrKons", TERMS)] = [httpx.Response(200, content=b"<!DOCTYPE html><html>Wartung</html>")]
    result = at.refresh(make_ctx(measure_ids=[THB]))
    assert result.coverage[0].status == "blocked" and result.status == "blocked"


def test_regulations_are_not_searched_and_other_states_skip(ris, make_ctx):
    result = at.refresh(make_ctx(measure_ids=["prum-ii"]))
    assert result.coverage == [] and ris.requests == [] and "no selected measure is a directive" in result.reason
    result = at.refresh(make_ctx(member_states=["DK"]))
    assert ris.requests == [] and "not among the selected" in result.reason
    with pytest.raises(SourceError):
        at.refresh(make_ctx(http=None))


def test_probe_is_the_check_search_with_its_failures_as_they_are(ris, make_ctx):
    """`compliance sources --probe` for RIS: ok on the known case, drift when it is not found or
    the answer has another shape, unreachable when the request fails."""
    from compliance.refresh.probe import probe_source

    ctx = make_ctx()
    outcome = probe_source("gazette-at", ctx.settings, ctx.catalogue, ctx.http)
    assert (outcome.status, outcome.reason) == (
        "ok", "the check search for 32016L0680 finds law 10001597 (Datenschutzgesetz) with its CELEX marker")
    ris.answers[("BrKons", DSG_TERMS)] = [page(None, total=0)]
    outcome = probe_source("gazette-at", ctx.settings, ctx.catalogue, ctx.http)
    assert outcome.status == "drift" and "did not find law 10001597" in outcome.reason
    ris.answers[("BrKons", DSG_TERMS)] = [httpx.Response(200, json={"OgdSearchResult": {}})]
    outcome = probe_source("gazette-at", ctx.settings, ctx.catalogue, ctx.http)
    assert outcome.status == "drift" and "neither OgdDocumentResults nor Error" in outcome.reason
    ris.answers[("BrKons", DSG_TERMS)] = [httpx.Response(503)]
    assert probe_source("gazette-at", ctx.settings, ctx.catalogue, ctx.http).status == "unreachable"


# --- import --------------------------------------------------------------------------------------


@pytest.mark.samples
@needs_samples("at")
def test_cli_import_of_a_real_sample(run_cli, tmp_path):
    path = tmp_path / CELEX_SAMPLE
    path.write_bytes(sample("at", CELEX_SAMPLE))
    code, out, err = run_cli("import", "--source", "gazette-at", str(path), "--dry-run", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["stored"] is False and doc["findings"] == []  # the DSG marks no catalogued act
    watch_catalogue(tmp_path, "32016L0680")
    code, out, err = run_cli("import", "--source", "gazette-at", str(path), "--dry-run", "--format", "json",
                             "--catalogue", str(tmp_path / "watch.yaml"))
    assert code == 0, err
    [finding] = json.loads(out)["findings"]
    assert finding == {
        "measure": "celex-32016l0680", "member_state": "AT", "kind": "national-measure",
        "key": "https://www.ris.bka.gv.at/eli/bgbl/i/1999/165", "date": None,
        "title": "Bundesgesetz zum Schutz natürlicher Personen bei der Verarbeitung personenbezogener Daten "
                 "(Datenschutzgesetz – DSG)",
        "reference": "BGBl. I Nr. 165/1999",
        "url": "https://www.ris.bka.gv.at/GeltendeFassung.wxe?Abfrage=Bundesnormen&Gesetzesnummer=10001597",
    }


@pytest.mark.samples
@needs_samples("at")
def test_cli_import_of_the_error_envelope_is_one_line(run_cli, tmp_path):
    path = tmp_path / ERROR_500
    path.write_bytes(sample("at", ERROR_500))
    code, out, err = run_cli("import", "--source", "gazette-at", str(path), "--dry-run")
    assert code == 2 and "Seitennummer ist höher" in err and "Traceback" not in err


def test_import_constructed_page(make_ctx):
    result = at.parse_import(body(page(NORM, 1)), "page.json", make_ctx(http=None))
    assert {(f.measure_id, f.kind) for f in result.findings} == {
        (THB, "national-measure"), ("thb-directive-2024-1712", "national-measure"),
        ("asset-recovery", "national-measure")}
    assert result.coverage == []


def test_bgblauth_celexnummer_field_is_the_publishers_link(run_cli, tmp_path):
    """Issue 13: a BgblAuth item names the directives it implements in `BgblAuth.CelexNummer` (a
    string, or a list), not in a title marker; such an act implementing 32024L1260 (asset recovery)
    was dropped ("0 finding(s)", no note). Through the real CLI, on a CONSTRUCTED page."""
    raw = fixture_bytes("gazette-at", "bgblauth_celexnummer_constructed.json")
    acts = [at.act_of(h) for h in at.parse_search(raw).hits]
    assert [a.data["celex_field"] for a in acts] == [["32024L1260"], ["32016L0680", "32024L1260"], []]
    assert all(a.strong("32024L1260") for a in acts[:2])
    assert at.celex_field([{"#text": "395L0046"}, " 32024L1260 ; 32011L0036", 7, None]) == [
        "31995L0046", "32011L0036", "32024L1260"]
    path = tmp_path / "bgblauth.json"
    path.write_bytes(raw)
    code, out, err = run_cli("import", "--source", "gazette-at", str(path), "--dry-run", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert [(f["measure"], f["kind"], f["reference"], f["date"]) for f in doc["findings"]] == [
        ("asset-recovery", "national-measure", "BGBl. I Nr. 995/2026", "2026-11-20"),
        ("asset-recovery", "national-measure", "BGBl. II Nr. 994/2026", "2026-11-27")]
    code, out, err = run_cli("import", "--source", "gazette-at", str(path), "--dry-run")
    assert code == 0, err
    assert "3 document(s), 3 act(s), 2 finding(s)" in out and "other EU acts named: 32016L0680" in out
    assert "1 act(s) name no EU act" in out and "BGBl. II Nr. 993/2026" in out  # why it gave nothing


# --- robustness ----------------------------------------------------------------------------------

_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
_value = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["Titel", "Aenderung", "Eli", "Gesetzesnummer", "Typ", "Ausgabedatum", "Bgblnummer",
                     "ContentUrl", "Urls", "DataType", "Url", "x"]), inner, max_size=4), max_leaves=12)
_doc = st.fixed_dictionaries({"Data": st.fixed_dictionaries({
    "Metadaten": st.fixed_dictionaries({
        "Technisch": st.fixed_dictionaries(
            {"ID": _leaf, "Applikation": st.sampled_from(["BrKons", "BgblAuth", "RegV", 3])}),
        "Allgemein": st.dictionaries(st.sampled_from(["DokumentUrl", "Veroeffentlicht"]), _leaf),
        "Bundesrecht": st.dictionaries(st.sampled_from(["Titel", "Kurztitel", "Eli", "BrKons", "BgblAuth"]), _value),
    }),
    "Dokumentliste": _value,
})})
_pages = st.builds(lambda docs, total: body(page(docs, total)),
                   st.one_of(st.lists(_doc, max_size=3), _doc, st.none()), st.one_of(st.none(), st.integers(0, 5)))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=120), _pages, _value.map(lambda v: json.dumps(v).encode())))
def test_parser_raises_only_project_errors(data):
    try:
        parsed = at.parse_search(data)
    except ComplianceError:
        return
    found = at._Acts()
    for hit in parsed.hits:
        act = at.act_of(hit)
        if act is not None:
            found.add(act, None)
            json.dumps(act.describe())
