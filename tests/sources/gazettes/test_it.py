"""Italy (Normattiva open data API): the parser on RECORDED answers (normattiva-sdk's contract
dataset) and on a constructed one, error answers, a refresh against respx, import, and fuzzing.
No test uses the network."""

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
from compliance.errors import BlockedError, ComplianceError, ParseError, SourceError
from compliance.sources import SOURCES
from compliance.sources.base import SourceContext
from compliance.sources.gazettes import _runs, _support, it

from .conftest import fixture_bytes

API = "https://it.test/v1/api/v1"
CONSTRUCTED = "ricerca-avanzata_2011-36_constructed.json"


def fx(name: str) -> bytes:
    return fixture_bytes("gazette-it", name)


def recorded(name: str) -> bytes:
    """The service's body inside the SDK's recording ({"stato", "tipo_contenuto", "corpo"})."""
    wrapper = json.loads(fx(name))
    assert wrapper["stato"] == 200 and wrapper["tipo_contenuto"] == "application/json"
    return json.dumps(wrapper["corpo"], ensure_ascii=False).encode()


@pytest.fixture(autouse=True)
def no_pacing(monkeypatch):
    monkeypatch.setattr(it, "PACER", _runs.Pacer(0.0))


def test_module_and_request(make_ctx):
    assert it.INFO is SOURCES["gazette-it"] and it.INFO.endpoint_names == ("GAZETTE_IT",)
    assert it.endpoint(make_ctx()) == "https://api.normattiva.it/t/normattiva.api/bff-opendata/v1/api/v1"
    assert it.title_words("32011L0036") == "direttiva 2011/36"
    assert it.title_words("32024L1712") == "direttiva (UE) 2024/1712"
    assert it.search_body("32011L0036", 2) == {"titoloRicerca": "direttiva 2011/36", "orderType": "vecchio",
                                               "paginazione": {"paginaCorrente": 2, "numeroElementiPerPagina": 50}}


def test_parse_recorded_answers():
    """normattiva-sdk recorded these from the live API (texts cut by its recorder, shape intact)."""
    (law,), total, pages, notes = it.parse_search(recorded("ricerca-avanzata_legge-241-1990_recorded.json"))
    assert (total, pages, notes) == (1, 1, [])
    # The ELI that it-eli-mcp's DISCOVERY.md verified for L. 241/1990: eli/id/1990/08/18/090G0294/CONSOLIDATED.
    assert law.key == law.eli == "https://www.normattiva.it/eli/id/1990/08/18/090G0294/CONSOLIDATED"
    assert law.national_id == "LEGGE 7 agosto 1990, n. 241" and law.type == "LEGGE"
    assert (law.adopted, law.published) == (date(1990, 8, 7), date(1990, 8, 18))
    assert law.extra == {"codice_redazionale": "090G0294", "gazzetta_number": "192", "supplement": None,
                         "number": "241"}
    acts, total, pages, _ = it.parse_search(recorded("ricerca-semplice_recorded.json"))
    assert (len(acts), total, pages) == (3, 87, 18)
    assert acts[0].extra["supplement"] == "SO" and acts[2].type == "DECRETO LEGISLATIVO"
    assert it.parse_search(recorded("ricerca-senza-risultati_recorded.json")) == ([], 0, 0, [])


def test_parse_constructed_answer():
    (decree, delegation, form), total, pages, notes = it.parse_search(fx(CONSTRUCTED))
    assert decree.title.startswith("Attuazione della direttiva 2011/36/UE")  # brackets removed
    assert decree.link_for("32011L0036") == (_support.IMPLEMENTS, "Attuazione della")
    assert decree.link_for("32002F0629") == (_support.CITES, None)  # "che sostituisce la decisione quadro"
    assert delegation.link_for("32011L0036") == (_support.CITES, None) and delegation.notes
    assert delegation.extra["supplement"] == "SO"
    assert form.references == []
    assert notes == ["entry 3: an act entry without codiceRedazionale, dataGU or denominazioneAtto"]


@pytest.mark.parametrize(("body", "error", "match"), [
    (b'{"message": "Errore generico, riprovare piu\' tardi", "code": 1000}', SourceError, r"code 1000.*riprovare"),
    (b'{"supportId": "1234567890"}', BlockedError, "protection layer"),
    (b'{"listaAtti": []}', ParseError, "numeroAttiTrovati"),
    (b"[]", ParseError, "expected a JSON object"),
    (b"<html><title>Errore</title></html>", BlockedError, "HTML page"),
])
def test_error_answers(body, error, match):
    with pytest.raises(error, match=match):
        it.parse_search(body)


# --- refresh ----------------------------------------------------------------------------------------


class FakeNormattiva:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.script: list[httpx.Response] = []  # answers served first, in order

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.script:
            return self.script.pop(0)
        body = json.loads(request.content)
        if body["titoloRicerca"] == "direttiva 2011/36":
            return httpx.Response(200, content=fx(CONSTRUCTED))
        return httpx.Response(200, content=recorded("ricerca-senza-risultati_recorded.json"))


@pytest.fixture
def normattiva(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_IT", API)
    fake = FakeNormattiva()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="it.test").mock(side_effect=fake)
        yield fake


def test_refresh(normattiva, make_ctx):
    result = it.refresh(make_ctx(measure_ids=["thb-directive-2011-36", "thb-directive-2024-1712"]))
    assert result.status == "ok" and result.coverage == []
    found = {f.reference: f for f in result.findings}
    assert set(found) == {"DECRETO LEGISLATIVO 4 marzo 2014, n. 9901", "LEGGE 6 agosto 2013, n. 9902"}
    decree = found["DECRETO LEGISLATIVO 4 marzo 2014, n. 9901"]
    assert decree.kind == "national-measure" and decree.date == date(2014, 3, 13) and decree.member_state == "IT"
    assert decree.url == "https://www.normattiva.it/eli/id/2014/03/13/14G99901/CONSOLIDATED"
    assert found["LEGGE 6 agosto 2013, n. 9902"].kind == "citation"
    assert "no coverage" in result.reason and "1 hit(s) whose title does not name the directive" in result.reason
    assert "a delegation law" in result.reason and "entry 3:" in result.reason
    first = normattiva.requests[0]
    assert first.url == f"{API}/ricerca/avanzata" and first.method == "POST"
    assert json.loads(first.content)["titoloRicerca"] == "direttiva 2011/36"
    assert json.loads(normattiva.requests[1].content)["titoloRicerca"] == "direttiva (UE) 2024/1712"


def test_a_400_is_sent_once_more_and_a_409_is_a_block(normattiva, make_ctx):
    normattiva.script = [httpx.Response(400, json={"message": "Bad Request"})]
    result = it.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "ok" and len(result.findings) == 2 and len(normattiva.requests) == 2
    normattiva.script = [httpx.Response(400, json={"message": "richiesta non valida", "code": 2001})] * 2
    result = it.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "code 2001" in result.reason and result.findings == []
    normattiva.script = [httpx.Response(409, text="Request Rejected")]
    result = it.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "blocked" and "protection layer" in result.reason


def test_paging(normattiva, make_ctx):
    doc = json.loads(fx(CONSTRUCTED))
    first = {**doc, "listaAtti": doc["listaAtti"][:2], "numeroPagine": 2}
    second = {**doc, "listaAtti": doc["listaAtti"][2:], "numeroPagine": 2, "paginaCorrente": 2}
    normattiva.script = [httpx.Response(200, json=first), httpx.Response(200, json=second)]
    result = it.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert [json.loads(r.content)["paginazione"]["paginaCorrente"] for r in normattiva.requests] == [1, 2]
    assert len(result.findings) == 2
    normattiva.requests.clear()
    empty = {**doc, "listaAtti": [], "numeroPagine": 2}
    normattiva.script = [httpx.Response(200, json=first), httpx.Response(200, json=empty)]
    result = it.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "page 2 is empty after 2 of 4 acts" in result.reason


def test_refresh_scope(make_ctx):
    assert it.refresh(make_ctx(member_states=["DK"])).reason == "Italy is not among the selected Member States"
    with pytest.raises(SourceError, match="import mode"):
        it.refresh(make_ctx(measure_ids=["thb-directive-2011-36"], http=None))


def test_import(make_ctx):
    result = it.parse_import(fx(CONSTRUCTED), "it.json", make_ctx(http=None))
    assert {(f.reference, f.kind) for f in result.findings} == {
        ("DECRETO LEGISLATIVO 4 marzo 2014, n. 9901", "national-measure"), ("LEGGE 6 agosto 2013, n. 9902", "citation")}
    with pytest.raises(ParseError, match="it.json: 3 act.s. read; they cite no EU act at all"):
        it.parse_import(recorded("ricerca-semplice_recorded.json"), "it.json", make_ctx(http=None))


# --- fuzzing -------------------------------------------------------------------------------------

_value = st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=20), st.sampled_from(["2014-03-13", "14G00035"]))
_answer = st.builds(
    lambda items, total, pages: json.dumps({"listaAtti": items, "numeroAttiTrovati": total,
                                            "numeroPagine": pages}).encode(),
    st.lists(st.one_of(_value, st.dictionaries(st.sampled_from(
        ["codiceRedazionale", "dataGU", "denominazioneAtto", "titoloAtto", "dataEmanazione", "descrizioneAtto"]),
        _value, max_size=6)), max_size=3),
    _value, _value,
)


@cache
def import_ctx() -> SourceContext:
    return SourceContext(settings=load_settings(), catalogue=catalogue.load(), http=None)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), _answer))
def test_parsers_raise_only_project_errors(body):
    for parse in (it.parse_search, lambda b: it.parse_import(b, "f", import_ctx())):
        try:
            parse(body)
        except ComplianceError:
            continue
