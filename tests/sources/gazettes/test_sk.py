"""Slovakia (Slov-Lex static mirror): year listings and act pages on constructed payloads (the
markup WWL's parser and sk-eli-mcp read), the transposition annex, a refresh against respx, import,
and fuzzing. No test uses the network."""

from __future__ import annotations

import re
import sys
from datetime import date
from functools import cache

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.catalogue import load as catalogue
from compliance.config.settings import load_settings
from compliance.errors import ComplianceError, ParseError, SourceError
from compliance.sources import SOURCES
from compliance.sources.base import SourceContext
from compliance.sources.gazettes import _support, sk

from .conftest import fixture_bytes

BASE = "https://sk.test"


def fx(name: str) -> bytes:
    return fixture_bytes("gazette-sk", name)


def test_module_and_urls(make_ctx):
    assert sk.INFO is SOURCES["gazette-sk"] and sk.INFO.endpoint_names == ("GAZETTE_SK",)
    assert sk.endpoint(make_ctx()) == "https://static.slov-lex.sk"
    assert sk.listing_url(BASE, 2013) == f"{BASE}/static/SK/ZZ/2013/"
    assert sk.document_url(BASE, 2013, 204) == f"{BASE}/static/SK/ZZ/2013/204/vyhlasene_znenie.html"
    assert sk.adopted_on("z 29. marca 2011,") == date(2011, 3, 29)
    assert sk.adopted_on("zo 7. októbra 2015") == date(2015, 10, 7)
    assert sk.adopted_on("z 30. februára 2015") is None and sk.adopted_on(None) is None


def test_listing():
    items = sk.parse_listing(fx("listing_2013_constructed.html"), 2013)
    assert [i["number"] for i in items] == [9901, 9902, 9903]  # 9904/2012 belongs to another year
    assert items[0]["title"].startswith("Zákon, ktorým sa mení")
    assert sk.parse_listing(b"<html><body>nothing</body></html>", 2013) == []


def test_act_with_the_transposition_annex():
    act = sk.parse_document(fx("act_2013-9901_constructed.html"), 2013, 9901)
    assert act.key == act.eli == "https://www.slov-lex.sk/pravne-predpisy/SK/ZZ/2013/9901/"
    assert act.national_id == "č. 9901/2013 Z. z." and act.type == "ZÁKON" and act.adopted == date(2013, 10, 9)
    assert act.link_for("32011L0036") == (_support.IMPLEMENTS, sk.ANNEX_HEADING)
    assert act.link_for("32011L0093") == (_support.IMPLEMENTS, sk.ANNEX_HEADING)
    # Named in item 1 as the act the directive replaces; cited in a footnote of the text.
    assert act.link_for("32002F0629") == (_support.CITES, None)
    assert act.link_for("32012L0029") == (_support.CITES, None)
    assert act.extra["annex"] is True and act.notes == []


def test_act_that_only_mentions_a_directive():
    act = sk.parse_document(fx("act_2013-9903_constructed.html"), 2013, 9903)
    assert act.type == "NARIADENIE VLÁDY Slovenskej republiky" and act.adopted == date(2013, 12, 16)
    assert [(r.celex, r.link, r.where) for r in act.references] == [("32011L0036", _support.CITES, "text")]


def test_annex_items_without_numbers_and_a_heading_without_acts():
    refs, rest = sk.annex_refs("text\nZOZNAM PREBERANÝCH PRÁVNE ZÁVÄZNÝCH AKTOV EURÓPSKEJ ÚNIE\n"
                               "Smernica Rady 2004/81/ES z 29. apríla 2004\nSmernica 2011/36/EÚ\nPríloha č. 2 ďalej")
    assert [(r.celex, r.link) for r in refs] == [("32004L0081", _support.IMPLEMENTS),
                                                 ("32011L0036", _support.IMPLEMENTS)]
    assert "2011/36" not in rest and rest.startswith("text") and rest.endswith("Príloha č. 2 ďalej")
    page = fx("act_2013-9903_constructed.html").replace(
        "Vláda".encode(), "ZOZNAM PREBERANÝCH PRÁVNE ZÁVÄZNÝCH AKTOV EURÓPSKEJ ÚNIE Poznámky Vláda".encode())
    assert sk.parse_document(page, 2013, 9903).notes


@pytest.mark.parametrize(("body", "error", "match"), [
    ("<html><body><p>Stránka sa nenašla</p></body></html>".encode(), ParseError, 'no <div id="predpis">'),
    (b"<html><body>Access Denied</body></html>", SourceError, "bot check"),
    (b"plain text", ParseError, "not an HTML page"),
    (b"\xff\xfe", ParseError, "not UTF-8"),
])
def test_bad_pages(body, error, match):
    with pytest.raises(error, match=match):
        sk.parse_document(body, 2013, 1)


# --- refresh ----------------------------------------------------------------------------------------


def listing_for(year: int) -> bytes:
    """The constructed listing for 2013; for another year, its announcement row only."""
    text = fx("listing_2013_constructed.html").decode()
    if year == 2013:
        return text.encode()
    rows = re.findall(r"<tr><td>9902/2013.*?</tr>", text)
    return re.sub(r"<tr><td>\d+/\d{4}.*?</tr>\n", "", text).replace(
        "</table>", rows[0].replace("/2013", f"/{year}") + "</table>").encode()


class FakeSlovLex:
    def __init__(self) -> None:
        self.paths: list[str] = []
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path)
        if self.down:
            return httpx.Response(503)
        if m := re.fullmatch(r"/static/SK/ZZ/(\d{4})/", path):
            return httpx.Response(200, content=listing_for(int(m.group(1))), headers={"Content-Type": "text/html"})
        if m := re.fullmatch(r"/static/SK/ZZ/2013/(\d+)/vyhlasene_znenie.html", path):
            return httpx.Response(200, content=fx(f"act_2013-{m.group(1)}_constructed.html"))
        return httpx.Response(404)


@pytest.fixture
def slovlex(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_SK", BASE)
    monkeypatch.setattr(sk, "_today", lambda: date(2026, 6, 1))
    fake = FakeSlovLex()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="sk.test").mock(side_effect=fake)
        yield fake


def test_refresh(slovlex, make_ctx):
    result = sk.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "ok" and result.coverage == []
    found = {f.reference: f for f in result.findings}
    assert set(found) == {"č. 9901/2013 Z. z.", "č. 9903/2013 Z. z."}
    law = found["č. 9901/2013 Z. z."]
    assert law.kind == "national-measure" and law.date == date(2013, 10, 9) and law.member_state == "SK"
    assert law.data["date_kind"].startswith("adoption") and law.data["link_basis"] == sk.ANNEX_HEADING
    assert found["č. 9903/2013 Z. z."].kind == "citation"
    # 2011/36: deadline 2013, so 2011 to 2015; the announcement 9902 is never read.
    listings = sorted(p for p in slovlex.paths if p.endswith("/"))
    assert listings == [f"/static/SK/ZZ/{y}/" for y in range(2011, 2016)]
    assert "/static/SK/ZZ/2013/9902/vyhlasene_znenie.html" not in slovlex.paths
    assert "no coverage" in result.reason


def test_refresh_failures(slovlex, make_ctx, monkeypatch):
    monkeypatch.setattr(sk, "MAX_DOCUMENTS", 1)
    result = sk.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert "1 of 2 acts not read (MAX_DOCUMENTS=1)" in result.reason and len(result.findings) == 1
    slovlex.down = True
    result = sk.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "every year listing failed" in result.reason


def test_an_empty_listing_of_a_past_year_is_suspect(slovlex, make_ctx, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "listing_for", lambda year: b"<html><body></body></html>")
    result = sk.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "suspect" and "looks incomplete" in result.reason


def test_refresh_scope(make_ctx):
    assert sk.refresh(make_ctx(member_states=["DK"])).reason == "Slovakia is not among the selected Member States"
    with pytest.raises(SourceError, match="import mode"):
        sk.refresh(make_ctx(measure_ids=["thb-directive-2011-36"], http=None))


def test_import(make_ctx):
    result = sk.parse_import(fx("act_2013-9901_constructed.html"), "2013-9901.html", make_ctx(http=None))
    assert [(f.reference, f.kind) for f in result.findings] == [("č. 9901/2013 Z. z.", "national-measure")]
    with pytest.raises(ParseError, match="no /SK/ZZ/"):
        sk.parse_import(fx("act_2013-9901_constructed.html"), "act.html", make_ctx(http=None))


# --- fuzzing -------------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<&"), max_size=40)
_page = st.builds(
    lambda kind, dated, title, text: (
        f'<html><body><div id="predpis"><div class="predpisTyp">{kind}</div><div class="predpisDatum">{dated}'
        f'</div><div class="predpisNadpis">{title}</div><div>ZOZNAM PREBERANÝCH PRÁVNE ZÁVÄZNÝCH AKTOV EURÓPSKEJ '
        f"ÚNIE {text}</div></div></body></html>").encode(),
    st.sampled_from(["ZÁKON", ""]), st.sampled_from(["z 9. októbra 2013", "zo 99. mája 0000", ""]), _text,
    st.one_of(_text, st.just("1. Smernica 2011/36/EÚ 2. Smernica (EÚ) 2024/1712")),
)


@cache
def import_ctx() -> SourceContext:
    return SourceContext(settings=load_settings(), catalogue=catalogue.load(), http=None)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), _page))
def test_parsers_raise_only_project_errors(body):
    for parse in (lambda b: sk.parse_document(b, 2013, 1), lambda b: sk.parse_listing(b, 2013),
                  lambda b: sk.parse_import(b, "2013-1.html", import_ctx())):
        try:
            parse(body)
        except ComplianceError:
            continue
