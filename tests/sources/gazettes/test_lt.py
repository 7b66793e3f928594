"""Lithuania (TAR open data, data.gov.lt Spinta API): the record parser on a REAL answer recorded by
matematicsolutions/lt-eli-mcp (trimmed text, see tests/fixtures/README.md), the classification of
CONSTRUCTED records in the same shape, the search paging against respx, imports through the CLI,
and fuzzing. No test uses the network."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.errors import ComplianceError, ParseError, SourceError
from compliance.sources import SOURCES
from compliance.sources.gazettes import lt
from compliance.sources.gazettes._runs import Pacer

from .conftest import fixture_bytes

REAL = "act_2014_21296_lt-eli-mcp_trimmed.json"
HOST = "get.data.gov.lt"
PATH = "/datasets/gov/lrsk/teises_aktai/Dokumentas"

# CONSTRUCTED texts in the style of Lithuanian laws: the annex of implemented EU acts, a mention.
LAW_TEXT = (
    "LIETUVOS RESPUBLIKOS\nBAUDŽIAMOJO KODEKSO 147 STRAIPSNIO PAKEITIMO ĮSTATYMAS\n \n"
    "1 straipsnis. 147 straipsnio pakeitimas (konstruotas pavyzdys)\n \n"
    "Lietuvos Respublikos baudžiamojo kodekso 147 straipsnio pakeitimo įstatymo priedas\n\n"
    "ĮGYVENDINAMI EUROPOS SĄJUNGOS TEISĖS AKTAI\n\n"
    "1. 2024 m. birželio 13 d. Europos Parlamento ir Tarybos direktyva (ES) 2024/1712, kuria iš dalies "
    "keičiama Direktyva 2011/36/ES dėl prekybos žmonėmis prevencijos, kovos su ja ir aukų apsaugos."
)
MENTION_TEXT = ("Vyriausybės nutarimas (konstruotas pavyzdys). Atsižvelgiant į 2011 m. balandžio 5 d. Europos "
                "Parlamento ir Tarybos direktyvą 2011/36/ES, tvirtinama tarpinstitucinio bendradarbiavimo tvarka.")
UNRELATED_TEXT = "Įsakymas (konstruotas pavyzdys) dėl sutarties Nr. 2011/36/K vykdymo."


def record(code: str, text: str, title: str = "Konstruotas pavyzdys", rusis: str = "Įstatymas",
           **fields: Any) -> dict[str, Any]:
    """A CONSTRUCTED Dokumentas record with the field names of the real one."""
    return {"_type": "datasets/gov/lrsk/teises_aktai/Dokumentas", "_id": f"00000000-0000-0000-0000-{code[-12:]:0>12}",
            "dokumento_id": f"constructed{code.replace('-', '')}", "tar_kodas": code, "atv_dok_nr": "XIV-9999",
            "rusis": rusis, "pavadinimas": title, "priimtas": "2026-03-10", "paskelbta_tar": "2026-03-12",
            "isigalioja": "2026-04-01", "galioj_busena": "galioja",
            "nuoroda": f"https://e-tar.lt/portal/lt/legalAct/constructed{code.replace('-', '')}", "tekstas_lt": text,
            **fields}


def answer(records: list[dict[str, Any]], nxt: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"_type": "datasets/gov/lrsk/teises_aktai/Dokumentas", "_data": records}
    if nxt:
        out["_page"] = {"next": nxt}
    return out


def test_module_is_the_registered_source(make_ctx):
    assert lt.INFO is SOURCES["gazette-lt"] and lt.INFO.member_states == ("LT",)
    assert lt.endpoint(make_ctx()) == "https://get.data.gov.lt"
    assert lt.needle("32011L0036") == "2011/36/" and lt.needle("32024L1712") == "2024/1712"
    assert lt.needle("31995L0046") == "95/46/" and lt.needle("32004L0081") == "2004/81/"
    q = unquote(lt.query("32011L0036", "WyJhIl0="))
    assert q.startswith('tekstas_lt.contains("2011/36/")&select(_id,dokumento_id,tar_kodas')
    assert q.endswith('&limit(20)&page("WyJhIl0=")') and "_page" in q


def test_the_real_answer():
    """The real Spinta answer: one ministerial order (TAR 2014-21296) that names no EU act."""
    acts, token, notes = lt.parse_page(fixture_bytes("gazette-lt", REAL))
    assert token == "WyIwMDAwMGQ4Y2NmYmEwMTEiLCAiMzI4ODhkYzYtMWJjYi00OTYxLTljMWYtY2JlYzYxMDY5ODZlIl0=" and notes == []
    [act] = acts
    assert act.key == "TAR 2014-21296" and act.national_id == "TAR 2014-21296 (Nr. A1-682)"
    assert act.type == "Įsakymas" and act.title.startswith("Dėl Lietuvos Respublikos socialinės apsaugos")
    assert (act.adopted, act.published, act.entry_into_force) == (date(2014, 12, 31), date(2014, 12, 31),
                                                                 date(2015, 1, 1))
    assert act.url == "https://e-tar.lt/portal/lt/legalAct/ce0f95d090d111e4bb408baba2bdddf3"
    assert act.extra["validity"] == "negalioja" and act.references == []


def test_the_annex_of_implemented_acts_makes_a_national_measure(make_ctx):
    [act], _, _ = lt.parse_page(json.dumps(answer([record("2026-09901", LAW_TEXT)])).encode())
    assert {(r.celex, r.link) for r in act.references} == {("32024L1712", "implements"), ("32011L0036", "cites")}
    by_measure = {f.measure_id: f for f in lt.findings_for(act, make_ctx(), None)}
    assert by_measure["thb-directive-2024-1712"].kind == "national-measure"
    assert by_measure["thb-directive-2024-1712"].date == date(2026, 3, 12)  # published in TAR
    assert "ĮGYVENDINAMI EUROPOS SĄJUNGOS TEISĖS AKTAI" in by_measure["thb-directive-2024-1712"].data["link_basis"]
    assert by_measure["thb-directive-2011-36"].kind == "citation"  # only named as the act amended


def test_a_mention_is_a_citation(make_ctx):
    [act], _, _ = lt.parse_page(json.dumps(answer([record("2026-09902", MENTION_TEXT, rusis="Nutarimas")])).encode())
    [finding] = lt.findings_for(act, make_ctx(measure_ids=["thb-directive-2011-36"]), None)
    assert finding.kind == "citation" and finding.reference == "TAR 2026-09902 (Nr. XIV-9999)"


@pytest.mark.parametrize("body, error, message", [
    (b'{"errors": [{"type": "system", "code": "FieldNotInResource", "message": "Unknown property \'x\'."}]}',
     SourceError, "Unknown property"),
    (b'{"_type": "x"}', ParseError, "no _data list"),
    (b'{"_data": [1]}', ParseError, "record 0 is not an object"),
    (b"<html><title>Just a moment...</title></html>", ComplianceError, "HTML page"),
    (b"", ParseError, "empty"),
])
def test_bad_answers(body, error, message):
    with pytest.raises(error, match=message):
        lt.parse_page(body)


def test_a_record_without_identifiers_is_skipped_and_said():
    body = json.dumps(answer([{"pavadinimas": "be kodo"}, record("2026-09902", MENTION_TEXT)])).encode()
    acts, _, notes = lt.parse_page(body)
    assert [a.key for a in acts] == ["TAR 2026-09902"] and "record 0" in notes[0]


# --- refresh -------------------------------------------------------------------------------------


class FakeRegister:
    """The Spinta search over a list of records: substring filter on tekstas_lt, limit/page paging."""

    def __init__(self, records: list[dict[str, Any]], fail_for: str | None = None) -> None:
        self.records = records
        self.fail_for = fail_for
        self.queries: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        q = unquote(request.url.query.decode())
        self.queries.append(q)
        needle = q.split('tekstas_lt.contains("', 1)[1].split('")', 1)[0]
        if needle == self.fail_for:
            return httpx.Response(500, json={"errors": [{"code": "Internal", "message": "boom"}]})
        limit = int(q.split("limit(", 1)[1].split(")", 1)[0])
        start = int(q.split('page("', 1)[1].split('")', 1)[0]) if 'page("' in q else 0
        hits = [r for r in self.records if needle in r["tekstas_lt"]]
        chunk = hits[start:start + limit]
        nxt = str(start + limit) if chunk else None  # Spinta gives a token after every non-empty page
        return httpx.Response(200, json=answer(chunk, nxt))


@pytest.fixture
def register(monkeypatch):
    monkeypatch.setattr(lt, "SPINTA_PACER", Pacer(0))
    monkeypatch.setattr(lt, "PAGE_SIZE", 2)

    def install(fake: FakeRegister) -> FakeRegister:
        router.route(method="GET", host=HOST, path=PATH).mock(side_effect=fake)
        return fake

    with respx.mock(assert_all_called=False) as router:
        yield install


def test_refresh_pages_and_classifies(register, make_ctx):
    fake = register(FakeRegister([record("2026-09901", LAW_TEXT), record("2026-09902", MENTION_TEXT),
                                  record("2026-09903", UNRELATED_TEXT, rusis="Įsakymas")]))
    result = lt.refresh(make_ctx(measure_ids=["thb-directive-2011-36", "thb-directive-2024-1712"]))
    assert result.status == "ok", result.reason
    assert result.coverage == []  # findings only
    kinds = {(f.key, f.measure_id, f.kind) for f in result.findings}
    assert kinds == {("TAR 2026-09901", "thb-directive-2024-1712", "national-measure"),
                     ("TAR 2026-09901", "thb-directive-2011-36", "citation"),
                     ("TAR 2026-09902", "thb-directive-2011-36", "citation")}
    assert all(f.fetch is not None and f.fetch.source == "gazette-lt" for f in result.findings)
    # 2011/36/ matches three texts: pages of two, then one, then an empty page ends the search.
    assert [q.split("&page(")[-1] if "&page(" in q else None for q in fake.queries if "2011/36/" in q] == \
        [None, '"2")', '"4")']
    assert "1 hit(s) whose text does not cite it" in result.reason and "no coverage" in result.reason


def test_one_failing_search_is_said_all_failing_fail(register, make_ctx):
    register(FakeRegister([record("2026-09901", LAW_TEXT)], fail_for="2011/36/"))
    result = lt.refresh(make_ctx(measure_ids=["thb-directive-2011-36", "thb-directive-2024-1712"]))
    assert result.status == "ok" and "1 of 2 search(es) failed" in result.reason
    # the 2024/1712 search still found the law, which also names 2011/36/ES (as the act amended)
    assert {(f.measure_id, f.kind) for f in result.findings} == {("thb-directive-2024-1712", "national-measure"),
                                                                 ("thb-directive-2011-36", "citation")}
    result = lt.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and result.findings == [] and "every search failed" in result.reason


def test_a_repeating_page_token_is_refused(make_ctx, monkeypatch):
    monkeypatch.setattr(lt, "SPINTA_PACER", Pacer(0))
    with respx.mock() as router:
        router.get(f"https://{HOST}{PATH}").mock(
            return_value=httpx.Response(200, json=answer([record("2026-09902", MENTION_TEXT)], "same")))
        result = lt.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "page token repeats" in result.reason


def test_other_states(register, make_ctx):
    fake = register(FakeRegister([]))
    assert "not among" in lt.refresh(make_ctx(member_states=["DK"])).reason and fake.queries == []


# --- import --------------------------------------------------------------------------------------


def test_cli_import(run_cli, tmp_path):
    path = tmp_path / "tar.json"
    path.write_text(json.dumps(answer([record("2026-09901", LAW_TEXT)])), "utf-8")
    code, out, err = run_cli("import", "--source", "gazette-lt", str(path), "--dry-run", "--format", "json")
    assert code == 0, err
    assert {(f["key"], f["measure"], f["kind"]) for f in json.loads(out)["findings"]} == {
        ("TAR 2026-09901", "thb-directive-2024-1712", "national-measure"),
        ("TAR 2026-09901", "thb-directive-2011-36", "citation")}
    path.write_bytes(fixture_bytes("gazette-lt", REAL))
    code, _, err = run_cli("import", "--source", "gazette-lt", str(path), "--dry-run")
    assert code == 2 and "cite no EU act at all" in err and "Traceback" not in err


# --- robustness ----------------------------------------------------------------------------------

_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=30)
_value = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["_data", "_page", "next", "errors", "message", "tar_kodas", "dokumento_id", "tekstas_lt",
                     "pavadinimas", "priimtas", "x"]), inner, max_size=5), max_leaves=20)


def _mutated(data) -> bytes:  # noqa: ANN001
    doc = json.loads(fixture_bytes("gazette-lt", REAL))
    rec = copy.deepcopy(doc["_data"][0])
    rec["tekstas_lt"] = data if isinstance(data, str) else LAW_TEXT
    rec["priimtas"] = data
    doc["_data"].append(rec)
    return json.dumps(doc).encode()


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=120), _value.map(lambda v: json.dumps(v).encode()), _value.map(_mutated)))
def test_parser_raises_only_project_errors(data):
    try:
        acts, _, _ = lt.parse_page(data)
    except ComplianceError:
        return
    for act in acts:
        assert act.member_state == "LT"
