"""Sweden (SFS register of Regeringskansliets rättsdatabaser): the register parser on a REAL entry
recorded by se-lex/sfs-processor (Patentlag 1967:837, whose amending acts carry `celexnummer`),
the walk (search_after paging, totals, plausibility) against respx with answers built around
that real entry in the documented envelope, imports through the CLI, and fuzzing. No test uses
the network."""

from __future__ import annotations

import copy
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
from compliance.sources.gazettes import se
from compliance.sources.gazettes._runs import Pacer

from .conftest import fixture_bytes, watch_catalogue

REAL = "rkrattsbaser_sfs-1967-837_se-lex.json"  # the _source of one entry, as se-lex saved it
HOST = "beta.rkrattsbaser.gov.se"
IPR = "32004L0048"  # Directive 2004/48/EC, named by amending act SFS 2009:111 of the real entry


def real_entry() -> dict[str, Any]:
    return json.loads(fixture_bytes("gazette-se", REAL))


def entry(number: str, celex: str | None = None, amendments: list[tuple[str, str | None]] = ()) -> dict[str, Any]:
    """A CONSTRUCTED register entry in the field shape of the real one."""
    return {
        "grundforfattningId": int(number.replace(":", "")), "beteckning": number,
        "rubrik": f"Lag ({number}) om exempel", "forfattningstypNamn": "Lag", "ikraftDateTime": None,
        "upphavdDateTime": None, "organisation": {"namnOchEnhet": "Justitiedepartementet L5"},
        "fulltext": {"utfardadDateTime": f"{number[:4]}-06-01T00:00:00", "andringInford": None},
        "register": {"celexnummer": celex, "forarbeten": None},
        "andringsforfattningar": [
            {"beteckning": b, "rubrik": f"Lag ({b}) om ändring i lagen ({number}) om exempel",
             "ikraftDateTime": f"{b[:4]}-07-01T00:00:00", "celexnummer": c, "forarbeten": None,
             "anteckningar": "ändr. 1 §"}
            for b, c in amendments
        ],
    }


def envelope(sources: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """The passthrough answer as the lagen.nu harvester and legalize-se read it."""
    return {"took": 3, "timed_out": False, "hits": {
        "total": {"value": total, "relation": "eq"},
        "hits": [{"_index": "sfs", "_id": str(s.get("grundforfattningId")), "_source": s,
                  "sort": [s.get("grundforfattningId")]} for s in sources]}}


def test_module_is_the_registered_source(make_ctx):
    assert se.INFO is SOURCES["gazette-se"] and se.INFO.member_states == ("SE",)
    assert se.endpoint(make_ctx()) == "https://beta.rkrattsbaser.gov.se/elasticsearch/SearchEsByRawJson"
    body = se.query([42])
    assert body["searchIndexes"] == ["Sfs"] and body["api"] == "search"
    assert body["json"]["search_after"] == [42] and body["json"]["sort"] == [{"grundforfattningId": "asc"}]
    assert "andringsforfattningar.celexnummer" in body["json"]["_source"] and "fulltext.forfattningstext" not in \
        body["json"]["_source"]


def test_celex_field_forms():
    assert se.celex_numbers("32001L0083, 32004L0027") == (["32001L0083", "32004L0027"], [])
    assert se.celex_numbers("392R1768 396R1610") == (["31992R1768", "31996R1610"], [])
    assert se.celex_numbers("42013A0620[01], 32012R1257") == (["32012R1257"], ["42013A0620[01]"])
    assert se.celex_numbers(None) == ([], []) and se.celex_numbers("  ") == ([], [])


def test_the_real_entry(make_ctx, tmp_path):
    """Patentlag (1967:837) as the register holds it: seven amending acts name EU acts."""
    page = se.parse_page(fixture_bytes("gazette-se", REAL), REAL)
    assert page.entries == 1 and page.with_celex == 1 and page.total is None
    by_key = {a.key: a for a in page.acts}
    assert set(by_key) == {"SFS 2006:254", "SFS 2004:161", "SFS 2009:111", "SFS 2007:516", "SFS 1996:889",
                           "SFS 2004:159", "SFS 2014:434"}
    assert by_key["SFS 2006:254"].references == ["32001L0082", "32001L0083", "32004L0027", "32004L0028"]
    assert by_key["SFS 1996:889"].references == ["31992R1768", "31996R1610"]  # the old short CELEX form
    act = by_key["SFS 2009:111"]
    assert act.references == [IPR] and act.title == "Lag (2009:111) om ändring i patentlagen (1967:837)"
    assert act.url == "https://rkrattsbaser.gov.se/sfsr?bet=1967:837" and act.in_force == date(2009, 4, 1)
    assert act.data["base_act"] == "1967:837" and act.data["role"] == "amending act"
    assert any("42013A0620[01]" in n for n in page.notes)  # an agreement number: said, not read
    [finding] = se.findings_for(act, make_ctx(cat_=watch_catalogue(tmp_path, IPR)), None)
    assert finding.kind == "national-measure" and finding.member_state == "SE"
    assert finding.date is None and finding.data["basis"] == ["celex-marker"]  # only an entry-into-force date
    assert finding.data["dates"]["entry_into_force"] == "2009-04-01"


def test_a_base_act_with_a_celex_field_has_its_issue_date(make_ctx):
    page = se.parse_page(json.dumps(entry("2013:9901", "32011L0036")).encode())
    [act] = page.acts
    assert act.key == "SFS 2013:9901" and act.adopted == date(2013, 6, 1) and act.type == "Lag"
    [f] = se.findings_for(act, make_ctx(), None)
    assert f.measure_id == "thb-directive-2011-36" and f.kind == "national-measure" and f.date == date(2013, 6, 1)


@pytest.mark.parametrize("body, error, message", [
    (b'{"error": {"type": "search_phase_execution_exception", "reason": "all shards failed"}, "status": 400}',
     SourceError, "all shards failed"),
    (b'{"hits": {"total": {"value": 1}}}', ParseError, "neither a search answer"),
    (b'{"hits": {"hits": [1]}}', ParseError, "hit 0 has no _source"),
    (b"<html><title>Fel</title></html>", ComplianceError, "HTML page"),
    (b"", ParseError, "empty"),
])
def test_bad_answers(body, error, message):
    with pytest.raises(error, match=message):
        se.parse_page(body)


# --- refresh -------------------------------------------------------------------------------------


class FakeRegister:
    """The passthrough over a list of entries: search_after on grundforfattningId, `size` per page."""

    def __init__(self, entries: list[dict[str, Any]], total: int | None = None) -> None:
        self.entries = sorted(entries, key=lambda e: e["grundforfattningId"])
        self.total = total
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        es = body["json"]
        after = es.get("search_after", [-1])[0]
        rest = [e for e in self.entries if e["grundforfattningId"] > after][: es["size"]]
        return httpx.Response(200, json=envelope(rest, self.total if self.total is not None else len(self.entries)))


@pytest.fixture
def register(monkeypatch):
    monkeypatch.setattr(se, "SFSR_PACER", Pacer(0))
    monkeypatch.setattr(se, "PAGE_SIZE", 2)
    monkeypatch.setattr(se, "MIN_ACTS", 3)

    def install(fake: FakeRegister) -> FakeRegister:
        router.route(method="POST", host=HOST, path="/elasticsearch/SearchEsByRawJson").mock(side_effect=fake)
        return fake

    with respx.mock(assert_all_called=False) as router:
        yield install


def test_refresh_walks_the_whole_register(register, make_ctx, tmp_path):
    patent = real_entry()
    fake = register(FakeRegister([patent, entry("2013:9901", "32011L0036"), entry("2014:9902"),
                                  entry("2015:9903", None, [("2016:9904", "32024L1712, 32099L0001")])]))
    cat = watch_catalogue(tmp_path, IPR)
    result = se.refresh(make_ctx(cat_=cat, measure_ids=["thb-directive-2011-36", "thb-directive-2024-1712",
                                                         f"celex-{IPR.lower()}"]))
    assert result.status == "ok", result.reason
    assert [b["json"].get("search_after") for b in fake.bodies] == [None, [20139901]]  # 2 a page; 4 of 4 read
    keys = {(f.key, f.measure_id) for f in result.findings}
    assert keys == {("SFS 2013:9901", "thb-directive-2011-36"), ("SFS 2016:9904", "thb-directive-2024-1712"),
                    ("SFS 2009:111", f"celex-{IPR.lower()}")}
    assert all(f.kind == "national-measure" and f.fetch is not None and f.fetch.source == "gazette-se"
               for f in result.findings)
    cov = {c.measure_id: c for c in result.coverage}
    assert {(c.status, c.member_state) for c in cov.values()} == {("ok", "SE")}
    assert cov["thb-directive-2011-36"].reason == "SFS register (4 of 4 acts read): every act's CELEX field read"
    assert "1 other EU act(s) named" in result.reason


def test_a_register_without_any_celex_number_is_suspect(register, make_ctx):
    register(FakeRegister([entry("2013:9901"), entry("2014:9902"), entry("2015:9903")]))
    result = se.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.findings == [] and result.coverage[0].status == "suspect" and result.status == "suspect"
    assert "no act carries a CELEX number" in result.coverage[0].reason


def test_an_implausibly_small_register_is_suspect(register, make_ctx):
    register(FakeRegister([entry("2013:9901", "32011L0036")]))
    result = se.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.coverage[0].status == "suspect" and "implausibly few" in result.coverage[0].reason
    assert result.findings and result.findings[0].kind == "national-measure"  # the finding is kept


def test_a_walk_that_ends_early_or_fails_covers_nothing(register, make_ctx):
    register(FakeRegister([entry("2013:9901", "32011L0036"), entry("2014:9902"), entry("2015:9903")], total=9))
    result = se.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.coverage[0].status == "failed" and "3 of 9" in result.coverage[0].reason
    assert result.status == "failed"


def test_an_error_answer_fails_every_directive(make_ctx, monkeypatch):
    monkeypatch.setattr(se, "SFSR_PACER", Pacer(0))
    with respx.mock() as router:
        router.post(f"https://{HOST}/elasticsearch/SearchEsByRawJson").mock(return_value=httpx.Response(
            200, json={"error": {"reason": "Result window is too large"}, "status": 400}))
        result = se.refresh(make_ctx(measure_ids=["thb-directive-2011-36", "prum-ii"]))
    assert result.status == "failed" and "Result window is too large" in result.reason
    assert [(c.measure_id, c.status) for c in result.coverage] == [("thb-directive-2011-36", "failed")]


def test_other_states_and_no_celex(register, make_ctx):
    fake = register(FakeRegister([]))
    assert "not among" in se.refresh(make_ctx(member_states=["DK"])).reason
    assert fake.bodies == []


# --- import --------------------------------------------------------------------------------------


def test_cli_import_of_the_real_entry(run_cli, tmp_path):
    cat = watch_catalogue(tmp_path, IPR)
    path = tmp_path / REAL
    path.write_bytes(fixture_bytes("gazette-se", REAL))
    code, out, err = run_cli("import", "--source", "gazette-se", str(path), "--dry-run", "--format", "json",
                             "--catalogue", str(tmp_path / "watch.yaml"))
    assert code == 0, err
    doc = json.loads(out)
    assert [(f["key"], f["measure"], f["kind"]) for f in doc["findings"]] == [
        ("SFS 2009:111", f"celex-{IPR.lower()}", "national-measure")]
    assert cat.measures  # the watch entry is what the import matched
    path.write_bytes(b'{"error": {"reason": "boom"}}')
    code, _, err = run_cli("import", "--source", "gazette-se", str(path), "--dry-run")
    assert code == 2 and "boom" in err and "Traceback" not in err


# --- robustness ----------------------------------------------------------------------------------

_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
_value = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["hits", "total", "value", "_source", "sort", "beteckning", "register", "celexnummer",
                     "andringsforfattningar", "rubrik", "error", "x"]), inner, max_size=5), max_leaves=20)


def _mutated(data) -> bytes:  # noqa: ANN001
    doc = copy.deepcopy(real_entry())
    doc["andringsforfattningar"] = doc["andringsforfattningar"][:3] + [data]
    doc["register"] = {"celexnummer": data if isinstance(data, str) else None}
    return json.dumps(doc).encode()


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=120), _value.map(lambda v: json.dumps(v).encode()), _value.map(_mutated)))
def test_parser_raises_only_project_errors(data):
    try:
        page = se.parse_page(data)
    except ComplianceError:
        return
    for act in page.acts:
        json.dumps(act.describe())
