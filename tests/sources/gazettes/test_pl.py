"""Poland (Sejm ELI API): the act parser on constructed payloads (there is NO real PL payload in
samples/gazettes: sources.md §2.12 only quotes one real line, whose field shape the constructed
fixtures follow), paging by offset/totalCount, per-directive coverage, a refresh against respx,
imports through the CLI, and fuzzing. No test uses the network."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.errors import ComplianceError, ParseError, SourceError
from compliance.sources import SOURCES
from compliance.sources.gazettes import pl

from ..concurrency import InFlight, snapshot
from ..concurrency import client as concurrency_client
from .conftest import fixture_bytes

PAGE = "search_DU_2026_constructed.json"
THB_2024 = "thb-directive-2024-1712"
ANTI_CORRUPTION = "anti-corruption-directive"  # CELEX 32026L1021: listing starts in 2026


def items() -> list[dict[str, Any]]:
    return json.loads(fixture_bytes("gazette-pl", PAGE))["items"]


def test_module_is_the_registered_source():
    assert pl.INFO is SOURCES["gazette-pl"] and pl.INFO.module == pl.__name__
    assert pl.ENDPOINT_NAME in pl.INFO.endpoint_names


# --- parsing -------------------------------------------------------------------------------------


def test_parse_constructed_search_page(make_ctx):
    page = pl.parse_page(fixture_bytes("gazette-pl", PAGE))
    assert (page.count, page.offset, page.total, page.items, page.with_directives_field) == (3, 0, 3, 3, 3)
    law, uniform, regulation = page.acts
    assert law.key == law.url == "https://api.sejm.gov.pl/eli/acts/DU/2026/9901"
    assert law.reference == "Dz.U. 2026 poz. 9901" and law.type == "Ustawa"
    assert (law.adopted, law.published, law.in_force) == (date(2026, 5, 12), date(2026, 5, 29), date(2026, 6, 13))
    assert {c: sorted(b) for c, b in law.bases.items()} == {
        "32024L1712": ["directives-field"], "32024L1260": ["directives-field"]}
    # The directive's own title names 2011/36/UE; it is not read as a reference of the Polish act.
    assert "32011L0036" not in law.bases
    assert law.data["directives"][0] == {
        "address": "32024L1712", "date": "2024-06-13",
        "title": "Dyrektywa Parlamentu Europejskiego i Rady (UE) 2024/1712 z dnia 13 czerwca 2024 r. zmieniająca "
                 "dyrektywę 2011/36/UE w sprawie zapobiegania handlowi ludźmi i zwalczania tego procederu oraz "
                 "ochrony ofiar"}
    assert uniform.consolidated and uniform.date()[0] is None  # "ogłoszenia jednolitego tekstu"
    assert regulation.references == [] and regulation.data["directives_field"] is True
    found = {(f.key, f.measure_id): f for a in page.acts for f in pl.findings_for(a, make_ctx(), None)}
    assert set(found) == {
        ("https://api.sejm.gov.pl/eli/acts/DU/2026/9901", THB_2024),
        ("https://api.sejm.gov.pl/eli/acts/DU/2026/9901", "asset-recovery"),
        ("https://api.sejm.gov.pl/eli/acts/DU/2026/9902", "thb-directive-2011-36"),
    }
    f = found[("https://api.sejm.gov.pl/eli/acts/DU/2026/9901", THB_2024)]
    assert f.kind == "national-measure" and f.date == date(2026, 5, 29) and f.member_state == "PL"
    assert f.data["references"] == ["32024L1260", "32024L1712"] and f.data["basis"] == ["directives-field"]


def test_single_act_array_and_json_lines():
    one = pl.parse_page(json.dumps(items()[0]).encode())
    assert [a.key for a in one.acts] == ["https://api.sejm.gov.pl/eli/acts/DU/2026/9901"] and one.total is None
    array = pl.parse_page(json.dumps(items()).encode())
    assert len(array.acts) == 3
    lines = "\n".join(json.dumps(i, ensure_ascii=False) for i in items()).encode()
    assert len(pl.parse_page(lines).acts) == 3
    pretty = pl.parse_page(json.dumps(items()[0], indent=2).encode())  # one object over several lines
    assert len(pretty.acts) == 1


def test_title_mentions_are_citations_and_bad_items_are_noted(make_ctx):
    item = {**items()[2], "title": "Rozporządzenie … w związku z dyrektywą Parlamentu Europejskiego i Rady "
                                   "(UE) 2024/1712", "directives": None}
    page = pl.parse_page(json.dumps([item, {"ELI": "XX/1/2"}]).encode())
    [act] = page.acts
    assert {c: sorted(b) for c, b in act.bases.items()} == {"32024L1712": ["title"]}
    assert act.data["directives_field"] is False and page.with_directives_field == 1
    assert page.notes == ["item 1: no ELI of the form DU/2025/1900; skipped"]
    [f] = pl.findings_for(act, make_ctx(), None)
    assert f.kind == "citation"


@pytest.mark.parametrize("body, error, message", [
    (b'{"message": "Too many requests"}', SourceError, "error answer: Too many requests"),
    (b'{"foo": 1}', ParseError, "neither a search page"),
    (b'{"items": {}}', ParseError, "'items' is not a list"),
    (b'{"count": 2, "totalCount": 2, "items": [{"ELI": "DU/2026/1"}]}', ParseError, "count says 2"),
    (b"[1]", ParseError, "item 0 is not an object"),
    (b"", ParseError, "empty"),
    (b"<html>502</html>", ParseError, "instead of JSON"),
    (b'"x"', ParseError, "expected a JSON object or array"),
])
def test_bad_pages(body, error, message):
    with pytest.raises(error, match=message):
        pl.parse_page(body)


def test_parameters_are_checked():
    assert pl.build_params(publisher="DU", year=2026, limit=500, offset=0) == {
        "publisher": "DU", "year": "2026", "limit": "500", "offset": "0"}
    with pytest.raises(ValueError, match="undocumented"):
        pl.build_params(directive="32011L0036")
    with pytest.raises(ValueError, match="offset"):
        pl.build_params(offset=-1)


# --- refresh -------------------------------------------------------------------------------------


def act_item(year: int, pos: int, directives: list[str] | None = None) -> dict[str, Any]:
    """An ActInfo in the documented shape (constructed values)."""
    item: dict[str, Any] = {
        "ELI": f"DU/{year}/{pos}", "address": f"WDU{year}{pos:07d}", "displayAddress": f"Dz.U. {year} poz. {pos}",
        "title": f"Ustawa z dnia 1 marca {year} r. o przykładzie {pos}", "type": "Ustawa",
        "announcementDate": f"{year}-03-01", "promulgation": f"{year}-03-10",
    }
    if directives is not None:
        item["directives"] = [{"address": c, "date": None, "title": None} for c in directives]
    return item


class FakeSejm:
    def __init__(self) -> None:
        self.years: dict[int, list[dict[str, Any]] | httpx.Response] = {}
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/eli/acts/search"
        params = dict(request.url.params)
        assert set(params) <= pl.SEARCH_PARAMETERS and params["publisher"] == "DU"
        self.requests.append(params)
        acts = self.years.get(int(params["year"]), [])
        if isinstance(acts, httpx.Response):
            return acts
        offset, limit = int(params["offset"]), int(params["limit"])
        chunk = acts[offset:offset + limit]
        return httpx.Response(200, json={"offset": offset, "count": len(chunk), "totalCount": len(acts),
                                         "items": chunk})

    def offsets(self, year: int) -> list[str]:
        return [r["offset"] for r in self.requests if r["year"] == str(year)]


@pytest.fixture
def sejm(monkeypatch):
    monkeypatch.setattr(pl, "_this_year", lambda: 2026)
    monkeypatch.setattr(pl, "LIMIT", 2)
    fake = FakeSejm()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="api.sejm.gov.pl").mock(side_effect=fake)
        yield fake


def test_refresh_lists_every_year_completely(sejm, make_ctx):
    sejm.years = {
        2024: [act_item(2024, 1, []), act_item(2024, 2, []), act_item(2024, 3, [])],
        2025: [act_item(2025, 1, ["32024L1712", "32099L0001"])],
        2026: [act_item(2026, 1, [])],
    }
    result = pl.refresh(make_ctx(measure_ids=[THB_2024, ANTI_CORRUPTION]))
    assert result.status == "ok", result.reason
    assert sejm.offsets(2024) == ["0", "2"]  # totalCount 3, limit 2: two pages, never a third
    assert sejm.offsets(2025) == ["0"] and sejm.offsets(2026) == ["0"]
    assert all(r["limit"] == "2" for r in sejm.requests)
    cov = {c.measure_id: c for c in result.coverage}
    assert {(c.member_state, c.status) for c in cov.values()} == {("PL", "ok")}
    assert cov[THB_2024].reason == "Dziennik Ustaw 2024-2026: 5 act(s) listed completely"
    assert cov[ANTI_CORRUPTION].reason == "Dziennik Ustaw 2026-2026: 1 act(s) listed completely"
    [f] = result.findings
    assert (f.measure_id, f.kind, f.key) == (THB_2024, "national-measure", "https://api.sejm.gov.pl/eli/acts/DU/2025/1")
    assert f.fetch is not None and f.fetch.source == "gazette-pl" and "year=2025" in f.fetch.url
    assert "1 other EU act(s) named" in result.reason


def test_a_failed_year_fails_only_the_directives_that_need_it(sejm, make_ctx):
    sejm.years = {2024: [act_item(2024, 1, [])], 2025: httpx.Response(404), 2026: [act_item(2026, 1, [])]}
    result = pl.refresh(make_ctx(measure_ids=[THB_2024, ANTI_CORRUPTION]))
    cov = {c.measure_id: c for c in result.coverage}
    assert cov[THB_2024].status == "failed" and "DU 2025" in cov[THB_2024].reason and "HTTP 404" in cov[THB_2024].reason
    assert cov[ANTI_CORRUPTION].status == "ok"
    assert result.status == "ok" and "not ok: thb-directive-2024-1712 (failed)" in result.reason


def test_a_listing_without_any_directives_field_is_suspect(sejm, make_ctx):
    sejm.years = {y: [act_item(y, 1)] for y in (2024, 2025, 2026)}
    result = pl.refresh(make_ctx(measure_ids=[THB_2024]))
    [cov] = result.coverage
    assert cov.status == "suspect" and "carries a 'directives' field" in cov.reason
    assert result.status == "suspect"


def test_an_empty_past_year_is_suspect(sejm, make_ctx):
    sejm.years = {2024: [act_item(2024, 1, [])], 2026: [act_item(2026, 1, [])]}
    result = pl.refresh(make_ctx(measure_ids=[THB_2024]))
    assert result.coverage[0].status == "suspect" and "DU 2025" in result.coverage[0].reason


def test_an_empty_page_before_the_total_fails(sejm, make_ctx, monkeypatch):
    sejm.years = {2026: httpx.Response(200, json={"offset": 0, "count": 0, "totalCount": 9, "items": []})}
    result = pl.refresh(make_ctx(measure_ids=[ANTI_CORRUPTION]))
    assert result.coverage[0].status == "failed" and "empty page at offset 0 of 9" in result.coverage[0].reason
    assert result.status == "failed"


def test_other_states_and_regulations(sejm, make_ctx):
    assert "not among" in pl.refresh(make_ctx(member_states=["EE"])).reason
    assert "no selected measure is a directive" in pl.refresh(make_ctx(measure_ids=["prum-ii"])).reason
    assert sejm.requests == []


@pytest.mark.parametrize("failing", [False, True])
def test_years_are_listed_at_once_with_the_same_result(make_ctx, tmp_path, monkeypatch, failing):
    monkeypatch.setattr(pl, "_this_year", lambda: 2026)
    monkeypatch.setattr(pl, "LIMIT", 2)
    years: dict[int, list[dict[str, Any]] | httpx.Response] = {
        2024: [act_item(2024, 1, ["32024L1712"]), act_item(2024, 2, []), act_item(2024, 3, ["32024L1712"])],
        2025: [act_item(2025, 1, ["32024L1712", "32099L0001"]), act_item(2025, 2, [])],
        2026: [act_item(2026, 1, ["32026L1021"]), act_item(2026, 2, []), act_item(2026, 3, []),
               act_item(2026, 4, ["32024L1712"])],
    }
    if failing:
        years[2025] = httpx.Response(404)
    results, overlap, asked = {}, {}, {}
    for concurrency in (1, 4):
        fake = FakeSejm()
        fake.years = years
        watch = InFlight(fake, hold=0.05 if concurrency > 1 else 0)
        with respx.mock(assert_all_called=False) as router:
            router.route(host="api.sejm.gov.pl").mock(side_effect=watch)
            ctx = make_ctx(measure_ids=[THB_2024, ANTI_CORRUPTION],
                           http=concurrency_client(tmp_path, concurrency, f"{failing}-{concurrency}"))
            results[concurrency] = snapshot(pl.refresh(ctx))
        overlap[concurrency] = watch.max
        asked[concurrency] = sorted((r["year"], r["offset"]) for r in fake.requests)
    assert overlap[1] == 1 and overlap[4] > 1
    assert results[4] == results[1]
    assert asked[4] == asked[1]
    assert [f["key"].rsplit("/", 2)[-2:] for f in results[1]["findings"]] == (
        [["2024", "1"], ["2024", "3"], ["2026", "1"], ["2026", "4"]] if failing
        else [["2024", "1"], ["2024", "3"], ["2025", "1"], ["2026", "1"], ["2026", "4"]])
    assert [f[2].split("offset=")[1].split("&")[0] for f in results[1]["fetches"]][:2] == ["0", "2"]


# --- import --------------------------------------------------------------------------------------


def test_cli_import_of_a_constructed_page(run_cli, tmp_path):
    path = tmp_path / PAGE
    path.write_bytes(fixture_bytes("gazette-pl", PAGE))
    code, out, err = run_cli("import", "--source", "gazette-pl", str(path), "--dry-run", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert sorted((f["measure"], f["kind"], f["date"]) for f in doc["findings"]) == [
        ("asset-recovery", "national-measure", "2026-05-29"),
        ("thb-directive-2011-36", "national-measure", None),  # a uniform text: no transposition date
        (THB_2024, "national-measure", "2026-05-29"),
    ]
    path.write_bytes(b'{"message": "Internal Server Error"}')
    code, _out, err = run_cli("import", "--source", "gazette-pl", str(path), "--dry-run")
    assert code == 2 and "Internal Server Error" in err and "Traceback" not in err


# --- robustness ----------------------------------------------------------------------------------

_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
_value = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["ELI", "title", "directives", "address", "promulgation", "items", "count", "totalCount",
                     "message", "x"]), inner, max_size=5), max_leaves=15)
_acts = st.builds(lambda eli, d, t: json.dumps({"items": [{"ELI": eli, "directives": d, "title": t}]}).encode(),
                  st.sampled_from(["DU/2026/1", "DU/x/1", ""]),
                  st.lists(st.dictionaries(st.sampled_from(["address", "date", "title"]), _leaf), max_size=3),
                  st.text(max_size=40))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=120), _acts, _value.map(lambda v: json.dumps(v).encode())))
def test_parser_raises_only_project_errors(data):
    try:
        page = pl.parse_page(data)
    except ComplianceError:
        return
    for act in page.acts:
        json.dumps(act.describe())
