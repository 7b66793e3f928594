"""Spain (BOE datos abiertos): parsers on constructed and real payloads, error envelopes, a refresh
against respx, `compliance import`, and fuzzing. No test uses the network."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from urllib.parse import parse_qs, urlsplit

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
from compliance.sources.gazettes import _support, es

from .conftest import SAMPLES, fixture_bytes, needs_samples, sample

API = "https://boe.test/datosabiertos/api"
METADATOS = "boe-legislacion-consolidada-metadatos-BOE-A-2015-10566.xml"
WRAPPER = "boe-legislacion-consolidada-search-capture-wrapper.json"
EMPTY = b'{"status": {"code": "200", "text": "ok"}, "data": []}'


def fx(name: str) -> bytes:
    return fixture_bytes("gazette-es", name)


def real_search_page() -> bytes:
    """The BOE response inside the capture tool's wrapper (the wrapper's own keys are not BOE's)."""
    return json.dumps(json.loads(sample("es", WRAPPER))["mcp_response"]["data"]).encode()


# --- module surface ------------------------------------------------------------------------------


def test_module_is_the_registered_source(make_ctx, monkeypatch):
    assert es.INFO is SOURCES["gazette-es"]
    assert es.INFO.endpoint_names == ("GAZETTE_ES",) and es.INFO.member_states == ("ES",)
    assert es.endpoint(make_ctx()) == es.DEFAULT_ENDPOINT
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_ES", API + "/")
    assert es.endpoint(make_ctx()) == API


def test_search_query_uses_the_number_as_a_phrase():
    assert es.search_phrase("32011L0036") == "2011/36"
    assert es.search_phrase("32024L1712") == "(UE) 2024/1712"
    query = json.loads(es.search_query("32024L1712"))
    assert query == {"query": {"query_string": {"query": 'titulo:"(UE) 2024/1712" or texto:"(UE) 2024/1712"'}}}


# --- parsers: constructed payloads --------------------------------------------------------------


def test_parse_constructed_search_page():
    found = es.parse_search(fx("search_2011-36_constructed.json"))
    assert [a.national_id for a in found] == ["BOE-A-2015-90001", "BOE-A-2016-90002", "BOE-A-2017-90003"]
    lo, rd, orden = found
    assert lo.key == "https://www.boe.es/eli/es/lo/2015/03/30/91" == lo.eli
    assert (lo.adopted, lo.published, lo.entry_into_force) == (date(2015, 3, 30), date(2015, 3, 31), date(2015, 7, 1))
    assert lo.type == "Ley Orgánica" and lo.extra["rango_code"] == "1290" and lo.extra["numero_oficial"] == "91/2015"
    assert lo.url == "https://www.boe.es/buscar/act.php?id=BOE-A-2015-90001"
    assert lo.celex() == ["32011L0036"]
    assert lo.link_for("32011L0036")[0] == _support.IMPLEMENTS  # "se transpone la Directiva 2011/36/UE"
    # No ELI: the BOE id is the key.
    assert rd.key == "BOE-A-2016-90002" and rd.eli is None and rd.celex() == []
    # 30 February is no date: left None and said.
    assert orden.adopted is None and any("fecha_disposicion" in n for n in orden.notes)


def test_parse_constructed_analysis():
    refs, extra, found = es.parse_analysis(fx("analisis_BOE-A-2016-90002_constructed.xml"))
    assert found
    by_celex = {r.celex: r for r in refs}
    assert by_celex["32011L0036"].link == _support.IMPLEMENTS
    assert by_celex["32011L0036"].where == "analisis:TRANSPONE"
    assert "DOUE-L-2011-80744" in by_celex["32011L0036"].text
    # "DE CONFORMIDAD con" is a relation, not a transposition.
    assert by_celex["32016R0679"].link == _support.CITES
    # The DOUE ids are kept, including the one whose text names no act.
    assert [d["id"] for d in extra["doue_references"]] == ["DOUE-L-2011-80744", "DOUE-L-2016-80807",
                                                           "DOUE-L-2012-81967"]
    assert extra["materias"] == ["Trata de seres humanos", "Víctimas de delitos"]
    # Later acts (posteriores) and national acts are not EU references.
    assert set(by_celex) == {"32011L0036", "32016R0679"}


def test_analysis_with_other_element_names_is_read_too():
    # The consolidated API may name the fields id_norma/relacion (an assumption, not seen in a payload).
    body = (b"<response><status><code>200</code><text>ok</text></status><data><analisis><referencias><anteriores>"
            b"<anterior><id_norma>DOUE-L-2024-80900</id_norma><relacion codigo='440'>TRANSPONE</relacion>"
            b"<texto>la Directiva (UE) 2024/1712</texto></anterior></anteriores></referencias></analisis></data>"
            b"</response>")
    refs, extra, _ = es.parse_analysis(body)
    assert [(r.celex, r.link) for r in refs] == [("32024L1712", _support.IMPLEMENTS)]
    assert extra["doue_references"][0]["id"] == "DOUE-L-2024-80900"


def test_diario_document_with_title_analysis_and_text():
    act = es.parse_act_xml(fx("documento_diario_constructed.xml"))
    assert act.fmt == "boe-diario-xml" and act.national_id == "BOE-A-2024-90010"
    assert act.celex() == ["32011L0036", "32024L1712"]
    assert act.link_for("32024L1712")[0] == _support.IMPLEMENTS
    # "por la que se modifica la Directiva 2011/36/UE": cited, not implemented.
    assert act.link_for("32011L0036")[0] == _support.CITES
    places = {r.where for r in act.refs_for("32024L1712")}
    assert places == {"titulo", "analisis:TRANSPONE", "texto"}


def test_error_envelopes():
    with pytest.raises(SourceError, match="status 400: La consulta no es válida"):
        es.parse_search(fx("error_400_constructed.json"))
    assert es.parse_search(b'{"status": {"code": "404", "text": "No encontrado"}}') == []
    refs, extra, found = es.parse_analysis(
        b"<response><status><code>404</code><text>No encontrado</text></status></response>")
    assert (refs, found) == ([], False)
    with pytest.raises(SourceError, match="status 500"):
        es.parse_text(b"<response><status><code>500</code><text>Error</text></status></response>")
    with pytest.raises(BlockedError):
        es.parse_search(b"<!DOCTYPE html><html><head><title>Access denied</title></head></html>")
    with pytest.raises(ParseError, match="no BOE `status`"):
        es.parse_search(b'{"data": []}')
    with pytest.raises(ParseError, match="not JSON"):
        es.parse_search(b"{broken")


def test_entity_declarations_are_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<response><data><analisis>&b;</analisis></data></response>")
    with pytest.raises(ParseError, match="declares entities"):
        es.parse_analysis(bomb)


# --- findings: kinds and dates -------------------------------------------------------------------


def test_findings_kind_and_date_policy(make_ctx):
    ctx = make_ctx()
    lo, rd, _ = es.parse_search(fx("search_2011-36_constructed.json"))
    [item] = _support.findings_for(lo, ctx, None)
    assert item.kind == "national-measure" and item.measure_id == "thb-directive-2011-36"
    assert item.member_state == "ES" and item.key == lo.eli and item.reference == "BOE-A-2015-90001"
    assert item.date == date(2015, 3, 31)
    assert item.data["dates"] == {"adoption": "2015-03-30", "publication": "2015-03-31",
                                  "entry_into_force": "2015-07-01"}
    assert item.data["link"] == "implements" and "transpone" in item.data["link_basis"]
    # A reference only in the consolidated text: a citation without a date (which amendment?).
    rd.references.extend(_support.refs_in_text("según la Directiva 2011/36/UE", "texto"))
    [cited] = _support.findings_for(rd, ctx, None)
    assert cited.kind == "citation" and cited.date is None
    assert cited.data["date_kind"].startswith("consolidated text")
    # An act published before the EU act existed cannot date its transposition.
    old = _support.NationalAct("ES", "k", "BOE-A-1995-1", "x", published=date(1995, 11, 24))
    old.references.extend(_support.refs_in_text("se transpone la Directiva (UE) 2024/1712", "titulo"))
    [late] = _support.findings_for(old, ctx, None)
    assert late.kind == "national-measure" and late.date is None and "before the EU act" in late.data["date_kind"]


# --- real samples ---------------------------------------------------------------------------------


@pytest.mark.samples
@needs_samples("es")
def test_real_metadatos_sample():
    act = es.parse_act_xml(sample("es", METADATOS))
    assert act.national_id == "BOE-A-2015-10566"
    assert act.key == act.eli == "https://www.boe.es/eli/es/l/2015/10/01/40"
    assert act.title == "Ley 40/2015, de 1 de octubre, de Régimen Jurídico del Sector Público."
    assert act.type == "Ley" and act.extra["departamento"] == "Jefatura del Estado"
    assert (act.adopted, act.published, act.entry_into_force) == (date(2015, 10, 1), date(2015, 10, 2),
                                                                  date(2016, 10, 2))
    assert act.extra["estatus_derogacion"] == "N" and act.extra["diario_numero"] == "236"
    assert act.references == []  # Ley 40/2015 names no EU act


@pytest.mark.samples
@needs_samples("es")
def test_real_search_sample():
    [act] = es.parse_search(real_search_page())
    assert act.national_id == "BOE-A-2015-10566" and act.eli == "https://www.boe.es/eli/es/l/2015/10/01/40"
    assert act.extra["estado_consolidacion"] == "Finalizado" and act.published == date(2015, 10, 2)
    # The wrapper of the capture tool is not a BOE response.
    with pytest.raises(ParseError, match="mcp_response"):
        es.parse_search(sample("es", WRAPPER))


# --- import ------------------------------------------------------------------------------------


SUMARIO = "sumario_20261121_constructed.json"


def test_sumario_json_is_read_item_by_item(run_cli, tmp_path):
    """Issue 13: a BOE daily summary JSON was refused with "an act without `identificador`" although
    every item has one (the summary's `data` is `{sumario: …}`, not an act). Each level may be an
    object or a list; an item without `epigrafe` sits under its `departamento`."""
    acts = es.parse_act_json(json.loads(fx(SUMARIO)), "sumario")
    assert [a.national_id for a in acts] == ["BOE-A-2026-99001", "BOE-A-2026-99002", "BOE-A-2026-99003",
                                             "BOE-B-2026-99004"]
    first = acts[0]
    assert first.published == date(2026, 11, 21)
    assert first.url == "https://www.boe.es/diario_boe/txt.php?id=BOE-A-2026-99001"
    assert first.extra["sumario"] == "BOE-S-2026-281" and first.extra["epigrafe"] == "Decomiso de activos"
    assert first.extra["url_pdf"].endswith("/BOE-A-2026-99001.pdf") and acts[1].extra["url_pdf"].endswith("99002.pdf")
    path = tmp_path / SUMARIO
    path.write_bytes(fx(SUMARIO))
    code, out, err = run_cli("import", "--source", "gazette-es", str(path), "--dry-run", "--format", "json")
    assert code == 0, err
    found = {(f["measure"], f["kind"], f["key"], f["date"]) for f in json.loads(out)["findings"]}
    assert found == {("asset-recovery", "national-measure", "BOE-A-2026-99001", "2026-11-21"),
                     ("thb-directive-2011-36", "citation", "BOE-A-2026-99002", "2026-11-21")}
    code, out, err = run_cli("import", "--source", "gazette-es", str(path), "--dry-run")
    assert code == 0
    assert "2 of 4 act(s) name no EU act in what the file holds: BOE-A-2026-99003, BOE-B-2026-99004" in out


@pytest.mark.parametrize("sumario, message", [
    ({"metadatos": {}, "diario": [{"numero": "1", "seccion": []}]}, "without any item"),
    ({"diario": {"seccion": {"departamento": {"item": {"titulo": "x"}}}}}, "without `identificador`"),
    ("x", "not an object"),
])
def test_bad_sumario_is_one_error(sumario, message):
    with pytest.raises(ParseError, match=message):
        es.parse_act_json({"status": {"code": "200", "text": "ok"}, "data": {"sumario": sumario}}, "sumario")


@pytest.mark.samples
@needs_samples("es")
def test_cli_import_real_sample(run_cli):
    path = str(SAMPLES / "es" / METADATOS)
    code, out, err = run_cli("import", "--source", "gazette-es", path, "--dry-run", "--format", "json")
    # Ley 40/2015 names no EU act: nothing to import, said in one line.
    assert code == 2 and out == ""
    assert "1 act(s) read; they cite no EU act at all; add the EU act to your catalogue" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    # With --measure the user attributes the one act; the file itself does not say so.
    code, out, err = run_cli("import", "--source", "gazette-es", path, "--measure", "thb-directive-2011-36",
                             "--dry-run", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["stored"] is False
    assert doc["findings"] == [{
        "measure": "thb-directive-2011-36", "member_state": "ES", "kind": "national-measure",
        "key": "https://www.boe.es/eli/es/l/2015/10/01/40", "date": "2015-10-02",
        "title": "Ley 40/2015, de 1 de octubre, de Régimen Jurídico del Sector Público.",
        "reference": "BOE-A-2015-10566", "url": "https://www.boe.es/buscar/act.php?id=BOE-A-2015-10566",
    }]


def test_import_constructed_search_and_diario(make_ctx):
    ctx = make_ctx(http=None)
    result = es.parse_import(fx("search_2011-36_constructed.json"), "search.json", ctx)
    assert result.coverage == [] and result.status == "ok"
    assert [(f.key, f.measure_id, f.kind) for f in result.findings] == [
        ("https://www.boe.es/eli/es/lo/2015/03/30/91", "thb-directive-2011-36", "national-measure")]
    assert all(f.fetch is None for f in result.findings)
    diario = es.parse_import(fx("documento_diario_constructed.xml"), "doc.xml", ctx)
    assert sorted((f.measure_id, f.kind) for f in diario.findings) == [
        ("thb-directive-2011-36", "citation"), ("thb-directive-2024-1712", "national-measure")]
    # --member-state filtering.
    with pytest.raises(ParseError, match="not of the selected"):
        es.parse_import(fx("documento_diario_constructed.xml"), "doc.xml", make_ctx(member_states=["FR"], http=None))


def test_import_rejects_other_files(make_ctx):
    ctx = make_ctx(http=None)
    with pytest.raises(ParseError, match="neither JSON nor XML"):
        es.parse_import(b"plain text", "notes.txt", ctx)
    with pytest.raises(ParseError, match="analysis without the act's metadatos"):
        es.parse_import(fx("analisis_BOE-A-2016-90002_constructed.xml"), "a.xml", ctx)
    with pytest.raises(ParseError, match="neither a BOE <response> nor a <documento>"):
        es.parse_import(b"<rss><channel/></rss>", "feed.xml", ctx)
    with pytest.raises(SourceError, match="status 400"):
        es.parse_import(fx("error_400_constructed.json"), "error.json", ctx)
    # A damaged file is read as far as it goes, and says so.
    cut = fx("documento_diario_constructed.xml")[:900]
    result = es.parse_import(cut, "cut.xml", ctx)
    assert result.findings and "recovery mode" in result.reason


# --- refresh against respx ----------------------------------------------------------------------


class FakeBoe:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.search = {"2011/36": fx("search_2011-36_constructed.json")}
        self.analisis = {
            "BOE-A-2015-90001": fx("analisis_empty_constructed.xml"),
            "BOE-A-2016-90002": fx("analisis_BOE-A-2016-90002_constructed.xml"),
            "BOE-A-2017-90003": fx("analisis_empty_constructed.xml"),
        }
        self.texto = {"BOE-A-2017-90003": fx("texto_BOE-A-2017-90003_constructed.xml")}
        self.fail_search: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/datosabiertos/api")
        if path == "/legislacion-consolidada":
            if self.fail_search is not None:
                return self.fail_search
            query = json.loads(parse_qs(urlsplit(str(request.url)).query)["query"][0])
            text = query["query"]["query_string"]["query"]
            body = next((b for k, b in self.search.items() if f'"{k}"' in text), EMPTY)
            return httpx.Response(200, headers={"content-type": "application/json"}, content=body)
        ident = path.split("/")[3]
        table = self.analisis if path.endswith("/analisis") else self.texto
        if ident in table:
            return httpx.Response(200, headers={"content-type": "application/xml"}, content=table[ident])
        return httpx.Response(404, content=b"<response><status><code>404</code><text>No</text></status></response>")


@pytest.fixture
def boe(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_ES", API)
    fake = FakeBoe()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="boe.test").mock(side_effect=fake)
        yield fake


def test_refresh(boe, make_ctx):
    ctx = make_ctx(measure_ids=["thb-directive-2011-36"])
    result = es.refresh(ctx)
    assert result.status == "ok" and result.coverage == []
    items = {f.key: f for f in result.findings}
    assert set(items) == {"https://www.boe.es/eli/es/lo/2015/03/30/91", "BOE-A-2016-90002"}
    lo, rd = items["https://www.boe.es/eli/es/lo/2015/03/30/91"], items["BOE-A-2016-90002"]
    assert lo.kind == rd.kind == "national-measure"
    # Provenance: the title is on the search page; the TRANSPONE relation in the analysis.
    assert lo.fetch.url.startswith(API + "/legislacion-consolidada?")
    assert rd.fetch.url == API + "/legislacion-consolidada/id/BOE-A-2016-90002/analisis"
    assert rd.data["evidence"][0]["where"] == "analisis:TRANSPONE" and rd.date == date(2016, 1, 7)
    assert set(rd.data["responses"]) == {"titulo", "analisis"}
    # The third hit names "2011/36" only as an article number: checked in its text and dropped.
    assert "BOE-A-2017-90003" in result.reason and "ignored" in result.reason
    assert "no coverage" in result.reason
    paths = [r.url.path for r in boe.requests]
    assert paths.count("/datosabiertos/api/legislacion-consolidada/id/BOE-A-2017-90003/texto") == 1
    assert not any(p.endswith("90001/texto") for p in paths)  # its title already names the directive
    search = boe.requests[0]
    assert search.headers["accept"] == "application/json"
    assert parse_qs(search.url.query.decode())["limit"] == ["50"]
    assert all(r.headers["accept"] == "application/xml" for r in boe.requests[1:])
    assert {f.url for f in result.fetches} >= {lo.fetch.url, rd.fetch.url}


def test_refresh_pages_while_full(boe, make_ctx, monkeypatch):
    monkeypatch.setattr(es, "PAGE_SIZE", 3)
    monkeypatch.setattr(es, "MAX_PAGES", 2)
    result = es.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    offsets = [parse_qs(r.url.query.decode())["offset"][0] for r in boe.requests
               if r.url.path.endswith("/legislacion-consolidada")]
    # Every page answers the same three acts: page 2 is full too, so the cap is said.
    assert offsets == ["0", "3"]
    assert "only the first 2 pages" in result.reason


def test_refresh_failures(boe, make_ctx):
    boe.fail_search = httpx.Response(400, json={"status": {"code": "400", "text": "Consulta mal formada"}})
    result = es.refresh(make_ctx(measure_ids=["thb-directive-2011-36", "thb-directive-2024-1712"]))
    assert result.status == "failed" and "Consulta mal formada" in result.reason and result.findings == []
    boe.fail_search = httpx.Response(403, html="<html><head><title>Forbidden</title></head></html>")
    result = es.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "403" in result.reason
    boe.fail_search = httpx.Response(404, html="<!DOCTYPE html><html><head><title>Not here</title></head></html>")
    result = es.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "HTML page" in result.reason


def test_refresh_only_for_spain_and_directives(boe, make_ctx):
    assert es.refresh(make_ctx(member_states=["DE"])).findings == []
    result = es.refresh(make_ctx(measure_ids=["prum-ii"]))
    assert "no selected measure is a directive" in result.reason
    assert boe.requests == []


# --- fuzzing -------------------------------------------------------------------------------------

_xml = st.builds(
    lambda root, inner, word: (f"<{root}><status><code>200</code></status><data><metadatos><identificador>{inner}"
                               f"</identificador><titulo>{inner}</titulo><fecha_publicacion>{inner}</fecha_publicacion>"
                               f"</metadatos><analisis><referencias><anteriores><anterior referencia='{word}'>"
                               f"<palabra>{word}</palabra><texto>{inner}</texto></anterior></anteriores></referencias>"
                               f"</analisis></data></{root}>").encode(),
    st.sampled_from(["response", "documento", "other"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<&"), max_size=40),
    st.sampled_from(["TRANSPONE", "DOUE-L-2011-1", "", "x'"]),
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["status", "code", "data", "identificador", "titulo", "rango", "metadatos", "analisis",
                         "referencias", "anteriores", "anterior", "texto", "fecha_publicacion"]), inner, max_size=5),
    max_leaves=20,
).map(lambda v: json.dumps(v).encode())


@cache
def import_ctx() -> SourceContext:
    return SourceContext(settings=load_settings(), catalogue=catalogue.load(), http=None)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), _xml, _json))
def test_parsers_raise_only_project_errors(body):
    ctx = import_ctx()
    for parse in (es.parse_search, es.parse_analysis, es.parse_text, es.parse_act_xml,
                  lambda b: es.parse_import(b, "f", ctx)):
        try:
            parse(body)
        except ComplianceError:
            continue


def test_refresh_one_failing_analysis_keeps_the_rest(boe, make_ctx):
    boe.analisis["BOE-A-2015-90001"] = b"<html><head><title>Error</title></head></html>"
    result = es.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "ok"
    found = {f.reference: f for f in result.findings}
    # Its title still names the directive; the failure is said in the act's notes and the reason.
    assert set(found) == {"BOE-A-2015-90001", "BOE-A-2016-90002"}
    assert any("analysis/text not read" in n for n in found["BOE-A-2015-90001"].data["notes"])
    assert "BOE-A-2015-90001: analysis/text not read" in result.reason
