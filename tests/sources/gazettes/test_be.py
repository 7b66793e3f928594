"""Belgium (Moniteur belge through its ELI URLs): the year listing and act page parsers on
CONSTRUCTED pages (no real ejustice page was found in public code; see tests/fixtures/README.md),
the harvest against respx, imports through the CLI, and fuzzing. No test uses the network."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.errors import BlockedError, ComplianceError, ParseError
from compliance.sources import SOURCES
from compliance.sources.gazettes import be

from .conftest import fixture_bytes

BASE = "https://www.ejustice.just.fgov.be"
LISTING = "listing_2026_constructed.html"
LAW = "moniteur_2026-099901_constructed.html"  # ISO-8859-1, "La présente loi transpose …"
MENTION = "moniteur_2026-099902_constructed.html"  # UTF-8, a mention of Directive 2011/36/UE
EMPTY_LISTING = b"<html><head><meta charset='utf-8'></head><body><table></table></body></html>"


def test_module_is_the_registered_source(make_ctx):
    assert be.INFO is SOURCES["gazette-be"] and be.INFO.member_states == ("BE",)
    assert be.endpoint(make_ctx()) == BASE
    assert be.eli_of(date(2026, 3, 10), "2026099901") == f"{BASE}/eli/loi/2026/03/10/2026099901"


def test_listing():
    items = be.parse_listing(fixture_bytes("gazette-be", LISTING), 2026)
    assert [(i["date"], i["numac"]) for i in items] == [(date(2026, 3, 10), "2026099901"),
                                                        (date(2026, 4, 2), "2026099902"),
                                                        (date(2026, 5, 5), "2026099903")]  # 2025's link ignored
    assert items[0]["title"].startswith("10 MARS 2026. - Loi modifiant le Code pénal")
    assert be.parse_listing(EMPTY_LISTING, 2026) == []


def test_a_law_that_transposes(make_ctx):
    act = be.parse_act(fixture_bytes("gazette-be", LAW))
    assert act.key == f"{BASE}/eli/loi/2026/03/10/2026099901" and act.national_id == "NUMAC 2026099901"
    assert act.url.endswith("/2026099901/moniteur") and act.language == "fr"
    assert (act.adopted, act.published) == (date(2026, 3, 10), date(2026, 3, 20))
    assert "Code pénal" in act.title  # decoded from ISO-8859-1
    assert "32099L0001" not in act.celex()  # the script's text is not the act's
    by_measure = {f.measure_id: f for f in be.findings_for(act, make_ctx(), None)}
    law = by_measure["thb-directive-2024-1712"]
    assert law.kind == "national-measure" and law.date == date(2026, 3, 20)
    assert law.data["link_basis"].startswith("transpose")
    assert by_measure["thb-directive-2011-36"].kind == "citation"  # the act the directive amends


def test_a_mention_is_a_citation(make_ctx):
    act = be.parse_act(fixture_bytes("gazette-be", MENTION))
    assert act.published is None and act.adopted == date(2026, 4, 2)
    [finding] = be.findings_for(act, make_ctx(measure_ids=["thb-directive-2011-36"]), None)
    assert finding.kind == "citation" and finding.date == date(2026, 4, 2)  # the act's own (ELI) date
    assert finding.data["date_kind"].startswith("adoption")


@pytest.mark.parametrize("body, message", [
    (b"", "empty body"),
    (b"plain text, no page", "not an HTML page"),
    (b"<html><body>no ELI here</body></html>", "no ELI of a Belgian law"),
    (b"<html><body><a href='/eli/loi/2026/03/10/2026099901/moniteur'>x</a> no title</body></html>", "no law title"),
    (b"<html><body>\xff\xfe <meta charset='x-unknown'></body></html>", "neither UTF-8"),
])
def test_bad_pages(body, message):
    with pytest.raises(ParseError, match=message):
        be.parse_act(body)


def test_a_bot_check_is_a_block():
    with pytest.raises(BlockedError, match="bot check"):
        be.refuse_block_page(b"<html><title>Just a moment...</title><div class='cf-chl'></div></html>", "listing")


# --- refresh -------------------------------------------------------------------------------------


@pytest.fixture
def ejustice(monkeypatch):
    monkeypatch.setattr(be, "_today", lambda: date(2026, 9, 1))
    with respx.mock(assert_all_called=False) as router:
        yield router


def _serve(router, listing_2026: bytes = None, law_status: int = 200) -> None:  # noqa: ANN001, RUF013
    router.get(url__regex=rf"{BASE}/eli/loi/2026$").mock(
        return_value=httpx.Response(200, content=listing_2026 or fixture_bytes("gazette-be", LISTING),
                                    headers={"Content-Type": "text/html; charset=utf-8"}))
    for year in (2024, 2025):
        router.get(url__regex=rf"{BASE}/eli/loi/{year}$").mock(return_value=httpx.Response(
            200, content=f"<html><body><table><tr><td>15 JUIN {year}. - Loi X</td><td><a href='/eli/loi/{year}/06/15/"
                         f"{year}099905/moniteur'>M</a></td></tr></table></body></html>".encode()))
    router.get(url__regex=r".*/2026099901/moniteur$").mock(return_value=httpx.Response(
        law_status, content=fixture_bytes("gazette-be", LAW),
        headers={"Content-Type": "text/html; charset=iso-8859-1"}))
    router.get(url__regex=r".*/2026099902/moniteur$").mock(
        return_value=httpx.Response(200, content=fixture_bytes("gazette-be", MENTION)))
    router.get(url__regex=r".*/(2026099903|202[45]099905)/moniteur$").mock(return_value=httpx.Response(
        200, content=b"<html><body><a href='/eli/loi/2026/05/05/2026099903/moniteur'>ELI</a><p>5 MAI 2026. - Loi "
                     b"relative aux subventions</p></body></html>"))


def test_refresh_reads_the_laws_of_the_years(ejustice, make_ctx):
    _serve(ejustice)
    result = be.refresh(make_ctx(measure_ids=["thb-directive-2024-1712"]))
    assert result.status == "ok", result.reason
    assert result.coverage == []  # findings only
    assert {(f.key.rsplit("/", 1)[-1], f.measure_id, f.kind) for f in result.findings} == {
        ("2026099901", "thb-directive-2024-1712", "national-measure")}
    assert all(f.fetch is not None and f.fetch.source == "gazette-be" for f in result.findings)
    # 2024/1712 (deadline 2026): the years 2024 to 2026 (today), their listings and the laws listed
    assert result.reason.startswith("5 law(s) listed in 3 year(s); 5 read") and "no coverage" in result.reason
    urls = {str(c.request.url) for c in ejustice.calls}
    assert f"{BASE}/eli/loi/2026" in urls and f"{BASE}/eli/loi/2026/03/10/2026099901/moniteur" in urls
    assert not any(u.endswith("/justel") for u in urls)


def test_a_failing_act_is_said_and_an_empty_past_year_is_suspect(ejustice, make_ctx, monkeypatch):
    monkeypatch.setattr(be, "_today", lambda: date(2027, 9, 1))
    _serve(ejustice, law_status=500)
    ejustice.get(url__regex=rf"{BASE}/eli/loi/2027$").mock(return_value=httpx.Response(200, content=EMPTY_LISTING))
    result = be.refresh(make_ctx(measure_ids=["thb-directive-2024-1712"]))
    assert "2026099901/moniteur: HTTP 500" in result.reason and result.findings == []
    assert result.status == "ok"  # 2027 is this year: an empty listing is no sign of trouble
    monkeypatch.setattr(be, "_today", lambda: date(2028, 1, 5))
    ejustice.get(url__regex=rf"{BASE}/eli/loi/2028$").mock(return_value=httpx.Response(200, content=EMPTY_LISTING))
    result = be.refresh(make_ctx(measure_ids=["thb-directive-2024-1712"]))
    assert result.status == "suspect" and "listing of 2027 has no item" in result.reason


def test_every_listing_failing_fails(ejustice, make_ctx):
    ejustice.get(url__regex=rf"{BASE}/eli/loi/\d{{4}}$").mock(return_value=httpx.Response(503))
    result = be.refresh(make_ctx(measure_ids=["thb-directive-2024-1712"]))
    assert result.status == "failed" and "every law listing failed" in result.reason


def test_other_states(ejustice, make_ctx):
    assert "not among" in be.refresh(make_ctx(member_states=["DK"])).reason and not ejustice.calls


# --- import --------------------------------------------------------------------------------------


def test_cli_import(run_cli, tmp_path):
    path = tmp_path / "loi.html"
    path.write_bytes(fixture_bytes("gazette-be", LAW))
    code, out, err = run_cli("import", "--source", "gazette-be", str(path), "--dry-run", "--format", "json")
    assert code == 0, err
    import json

    assert {(f["measure"], f["kind"]) for f in json.loads(out)["findings"]} == {
        ("thb-directive-2024-1712", "national-measure"), ("thb-directive-2011-36", "citation")}
    path.write_bytes(b"<html><body>nothing</body></html>")
    code, _, err = run_cli("import", "--source", "gazette-be", str(path), "--dry-run")
    assert code == 2 and "no ELI of a Belgian law" in err and "Traceback" not in err


# --- robustness ----------------------------------------------------------------------------------

_pieces = st.sampled_from(["<tr>", "</tr>", "<td>", "<a href='/eli/loi/2026/03/10/2026099901/moniteur'>",
                           "/eli/loi/2026/13/40/2026099901", "10 MARS 2026. - Loi x", "Publication : 2026-02-30",
                           "directive 2011/36/UE", "<meta charset='latin-9'>", "&eacute;", "<script>", "\xff"])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.lists(_pieces, max_size=12).map(lambda p: "".join(p).encode(
    "utf-8", errors="surrogateescape"))))
def test_parsers_raise_only_project_errors(data):
    try:
        act = be.parse_act(data)
    except ComplianceError:
        pass
    else:
        assert act.member_state == "BE" and act.key.startswith(be.ELI_BASE)
    try:
        items = be.parse_listing(data, 2026)
    except ComplianceError:
        return
    assert all(i["date"].year == 2026 and len(i["numac"]) == 10 for i in items)
