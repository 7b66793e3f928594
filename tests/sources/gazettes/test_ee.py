"""Estonia (Riigi Teataja): the act XML parser on both real captures and a constructed act, the
<normtehnmarkus> entries, the search JSON, a refresh against respx, imports, and fuzzing."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.errors import BlockedError, ComplianceError, ParseError, SourceError
from compliance.sources import SOURCES
from compliance.sources.gazettes import ee

from .conftest import fixture_bytes, needs_samples, sample, watch_catalogue

LAW = "riigiteataja-akt-112122024009-tyviseadus.xml"
REGULATION = "riigiteataja-akt-119022019013-maarus.xml"
HOST = "www.riigiteataja.ee"


def constructed() -> bytes:
    return fixture_bytes("gazette-ee", "seadus_algtekst_constructed.xml")


def bases(act) -> dict[str, list[str]]:  # noqa: ANN001
    return {c: sorted(b) for c, b in act.bases.items()}


def test_module_is_the_registered_source():
    assert ee.INFO is SOURCES["gazette-ee"] and ee.INFO.module == ee.__name__
    assert ee.ENDPOINT_NAME in ee.INFO.endpoint_names


# --- the real captures ---------------------------------------------------------------------------


@pytest.mark.samples
@needs_samples("ee")
def test_real_law_with_normtehnmarkus():
    act = ee.parse_act(sample("ee", LAW))
    assert act.key == "https://www.riigiteataja.ee/akt/121062017001"  # the adopted act: stable across versions
    assert act.url == "https://www.riigiteataja.ee/akt/112122024009"  # the consolidated version read
    assert act.title == "Lõhkematerjaliseadus" and act.type == "seadus"
    assert act.reference == "RT I, 21.06.2017, 1"
    assert (act.adopted, act.published, act.in_force) == (date(2017, 6, 7), date(2017, 6, 21), date(2017, 7, 4))
    assert act.consolidated and act.date()[0] is None  # an amended consolidated text: no transposition date
    assert bases(act) == {
        "32014L0028": ["normtehnmarkus"],
        "32008L0043": ["normtehnmarkus"],
        "32012L0004": ["normtehnmarkus"],  # "muudetud direktiiviga 2012/4/EL": as amended by
        "32013L0029": ["normtehnmarkus", "text"],
        "32014L0058": ["normtehnmarkus"],
        "31993L0015": ["named-in-normtehnmarkus"],  # only in the title of 2008/43/EÜ
        "32007L0023": ["named-in-normtehnmarkus"],  # only in the title of 2014/58/EL
    }
    assert len(act.data["normtehnmarkus"]) == 4  # four lines separated by <reavahetus/>
    assert act.data["version"]["reference"] == "RT I, 12.12.2024, 9"
    assert act.data["abbreviation"] == "LMS" and act.data["consolidation_group"] == "1039062"
    json.dumps(act.describe())


@pytest.mark.samples
@needs_samples("ee")
def test_real_regulation_entries_split_at_semicolons():
    act = ee.parse_act(sample("ee", REGULATION))
    assert act.type == "määrus" and act.reference == "RT I, 14.07.2017, 7"
    assert act.data["issuer"] == "Majandus- ja taristuminister" and act.data["act_number"] == "37"
    assert len(act.data["normtehnmarkus"]) == 4
    assert sorted(c for c, b in act.bases.items() if "normtehnmarkus" in b) == [
        "32008L0043", "32013L0029", "32014L0028", "32014L0058"]
    assert "normtehnmarkus" not in act.bases["31993L0015"]
    assert act.data["version"]["published"] == "2019-02-19+02:00"  # kept as given


# --- constructed act -----------------------------------------------------------------------------


def test_constructed_original_text_has_its_publication_date(make_ctx):
    act = ee.parse_act(constructed())
    assert not act.consolidated and act.date() == (date(2026, 6, 5), "publication")
    assert bases(act) == {
        "32024L1712": ["normtehnmarkus"],
        "32024L1260": ["normtehnmarkus"],
        "32099L9999": ["normtehnmarkus"],  # "muudetud direktiiviga (EL) 2099/9999"
        # "millega muudetakse direktiivi 2011/36/EL": the act amended, not transposed here
        "32011L0036": ["named-in-normtehnmarkus"],
        "32004L0081": ["text"],
    }
    items = {f.measure_id: f for f in ee.findings_for(act, make_ctx(), None)}
    assert {m: f.kind for m, f in items.items()} == {
        "thb-directive-2024-1712": "national-measure", "asset-recovery": "national-measure",
        "thb-directive-2011-36": "citation", "residence-permit-2004-81": "citation"}
    f = items["thb-directive-2024-1712"]
    assert (f.key, f.date, f.member_state) == ("https://www.riigiteataja.ee/akt/105062026099", date(2026, 6, 5), "EE")
    assert f.reference == "RT I, 05.06.2026, 99"


def test_transposed_in_entry():
    assert ee.transposed_in_entry("direktiiv 2008/43/EÜ nõukogu direktiivi 93/15/EMÜ kohase, muudetud direktiiviga "
                                  "2012/4/EL") == (["32008L0043", "32012L0004"], ["31993L0015"])
    assert ee.transposed_in_entry("ilma viideteta") == ([], [])


@pytest.mark.parametrize("body, error, message", [
    (b"<!DOCTYPE html><html><app-root></app-root></html>", BlockedError, "web application shell"),
    (b"<akt/>", ParseError, "expected <oigusakt>"),
    (b"<oigusakt><aktinimi/></oigusakt>", ParseError, "without <metaandmed>"),
    (b"<oigusakt><metaandmed><globaalID>x</globaalID></metaandmed></oigusakt>", ParseError, "no stable id"),
    (b"<oigusakt>", ParseError, "not well-formed"),
    (b'<!DOCTYPE o [<!ENTITY a "b">]><oigusakt/>', ParseError, "unsafe XML"),
])
def test_bad_act_xml(body, error, message):
    with pytest.raises(error, match=message):
        ee.parse_act(body)


# --- search JSON ---------------------------------------------------------------------------------


def test_parse_constructed_search_page():
    page = ee.parse_search(fixture_bytes("gazette-ee", "search_page_constructed.json"))
    assert page.ids == ["105062026099", "112122024009"]  # the second id from its url
    assert page.rows == 3 and page.notes == ["act 2: no global id; skipped"] and page.total is None
    with_total = ee.parse_search(b'{"metaandmed": {"kokku": 7}, "aktid": []}')
    assert with_total.total == 7 and with_total.ids == []


@pytest.mark.parametrize("body, error, message", [
    ('{"viga": "Vigane päring"}'.encode(), SourceError, "error answer: Vigane päring"),
    (b'{"x": 1}', ParseError, "no 'aktid'"),
    (b'{"aktid": {}}', ParseError, "not a list"),
    (b'{"aktid": [3]}', ParseError, "act 0 is not an object"),
    (b"[]", ParseError, "expected a JSON object"),
    (b"<html></html>", ParseError, "instead of JSON"),
])
def test_bad_search_pages(body, error, message):
    with pytest.raises(error, match=message):
        ee.parse_search(body)


def test_search_parameters_are_checked():
    assert ee.build_params(leht=1, limiit=500, dokument="seadus") == {
        "leht": "1", "limiit": "500", "dokument": "seadus"}
    with pytest.raises(ValueError, match="undocumented"):
        ee.build_params(pealkiri="x")
    with pytest.raises(ValueError, match="limiit"):
        ee.build_params(limiit=501)


# --- refresh -------------------------------------------------------------------------------------


@pytest.fixture
def rt(monkeypatch):
    monkeypatch.setattr(ee, "_today", lambda: "2026-06-20")
    monkeypatch.setattr(ee, "SEARCH_LIMIT", 2)
    state = {"search": [], "xml": {}, "requests": []}

    def answer(request: httpx.Request) -> httpx.Response:
        state["requests"].append(request)
        path = request.url.path
        if path == ee.SEARCH_PATH:
            params = dict(request.url.params)
            assert set(params) <= ee.SEARCH_PARAMETERS
            leht = int(params["leht"])
            pages = state["search"]
            return pages[leht - 1] if leht <= len(pages) else httpx.Response(200, json={"aktid": []})
        if path.startswith("/public-api/api/v1/akt/") and path.endswith("/xml"):
            return state["xml"].get(path.split("/")[5], httpx.Response(404))
        raise AssertionError(f"unexpected request {request.url}")

    with respx.mock(assert_all_called=False) as router:
        router.route(host=HOST).mock(side_effect=answer)
        yield state


def ids_page(*ids: str) -> httpx.Response:
    return httpx.Response(200, json={"aktid": [{"globaalID": i, "url": f"/akt/{i}.xml"} for i in ids]})


def xml(content: bytes) -> httpx.Response:
    return httpx.Response(200, content=content, headers={"content-type": "application/octet-stream"})


def test_refresh_lists_reads_and_emits_no_coverage(rt, make_ctx):
    rt["search"] = [ids_page("105062026099", "100000000001"), ids_page("100000000002")]
    rt["xml"] = {
        "105062026099": xml(constructed()),
        "100000000001": xml(constructed().replace(b"105062026099", b"100000000001")
                            .replace(b"(EL) 2024/1712", b"(EL) 2099/1")),
        "100000000002": httpx.Response(200, content=b"<!doctype html><html><app-root/></html>"),
    }
    result = ee.refresh(make_ctx())
    searches = [r for r in rt["requests"] if r.url.path == ee.SEARCH_PATH]
    assert [r.url.params["leht"] for r in searches] == ["1", "2"]  # page 2 was short: done
    params = dict(searches[0].url.params)
    assert params == {"leht": "1", "limiit": "2", "dokument": "seadus", "tekst": "terviktekst",
                      "kehtiv": "2026-06-20", "kov": "false"}
    assert result.coverage == []
    assert result.status == "failed"  # one act could not be read: said, not hidden
    assert "1 act(s) could not be read (first: 100000000002" in result.reason
    assert "no coverage" in result.reason
    tr = [f for f in result.findings if f.measure_id == "thb-directive-2024-1712"]
    assert len(tr) == 1 and tr[0].kind == "national-measure" and tr[0].fetch.source == "gazette-ee"
    assert tr[0].fetch.url.endswith("/public-api/api/v1/akt/105062026099/xml")
    assert len([f for f in result.findings if f.measure_id == "asset-recovery"]) == 2


def test_refresh_with_a_broken_listing_fails_without_findings(rt, make_ctx):
    rt["search"] = [httpx.Response(200, json={"viga": "Teenus ei ole kättesaadav"})]
    result = ee.refresh(make_ctx())
    assert result.status == "failed" and "Teenus ei ole kättesaadav" in result.reason
    assert result.findings == [] and result.coverage == []


def test_refresh_refuses_an_incomplete_listing(rt, make_ctx):
    rt["search"] = [httpx.Response(200, json={"metaandmed": {"kokku": 5}, "aktid": [{"globaalID": 100000000001}]})]
    result = ee.refresh(make_ctx())
    assert result.status == "failed" and "1 of 5 acts listed" in result.reason


def test_refresh_skips_other_states(rt, make_ctx):
    result = ee.refresh(make_ctx(member_states=["PL"]))
    assert result.status == "ok" and rt["requests"] == []


# --- import --------------------------------------------------------------------------------------


@pytest.mark.samples
@needs_samples("ee")
def test_cli_import_of_the_real_law(run_cli, tmp_path):
    path = tmp_path / LAW
    path.write_bytes(sample("ee", LAW))
    code, out, err = run_cli("import", "--source", "gazette-ee", str(path), "--dry-run", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["findings"] == []  # no catalogued directive in this act
    watch_catalogue(tmp_path, "32014L0028")
    code, out, err = run_cli("import", "--source", "gazette-ee", str(path), "--dry-run", "--format", "json",
                             "--catalogue", str(tmp_path / "watch.yaml"))
    assert code == 0, err
    [finding] = json.loads(out)["findings"]
    assert finding["kind"] == "national-measure" and finding["member_state"] == "EE"
    assert finding["key"] == "https://www.riigiteataja.ee/akt/121062017001" and finding["date"] is None


def test_import_refuses_a_search_page(make_ctx):
    with pytest.raises(ParseError, match="import an act's XML"):
        ee.parse_import(b'{"aktid": []}', "search.json", make_ctx(http=None))
    result = ee.parse_import(constructed(), "act.xml", make_ctx(http=None))
    assert result.coverage == [] and len(result.findings) == 4


# --- robustness ----------------------------------------------------------------------------------

_t = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<&"), max_size=40)
_acts = st.builds(
    lambda gid, liik, note, day: (
        f"<oigusakt xmlns='x'><metaandmed><globaalID>{gid}</globaalID><tekstiliik>{liik}</tekstiliik>"
        f"<vastuvoetud><avaldamismarge><avaldamineKuupaev>{day}</avaldamineKuupaev><aktViide>{gid}</aktViide>"
        f"</avaldamismarge></vastuvoetud></metaandmed><muutmismarge/><normtehnmarkus><normtehnmarkusTekst>"
        f"{note}<reavahetus/>{note}</normtehnmarkusTekst></normtehnmarkus></oigusakt>"
    ).encode(),
    st.one_of(st.just("105062026099"), _t), st.sampled_from(["algtekst", "terviktekst", ""]),
    st.one_of(_t, st.just("direktiiv (EL) 2024/1712, muudetud direktiiviga 2011/36/EL")), _t,
)
_search = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=15),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["aktid", "globaalID", "url", "metaandmed", "kokku", "viga"]), inner, max_size=4),
    max_leaves=12,
).map(lambda v: json.dumps(v).encode())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=120), _acts, _search))
def test_parsers_raise_only_project_errors(data):
    for parse in (ee.parse_act, ee.parse_search):
        try:
            result = parse(data)
        except ComplianceError:
            continue
        if isinstance(result, ee.BasisAct):
            json.dumps(result.describe())
