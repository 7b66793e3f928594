"""European Parliament source (OEIL procedure files + EP Open Data): parsers on the real samples and
on constructed pages, error and challenge pages, refresh against respx, import, fuzzing, and the
whole path refresh -> `compliance check -m EU` (COM-001).

No test uses the network. The constructed fixtures are described in tests/fixtures/README.md.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.catalogue import load as catalogue
from compliance.config.settings import load_settings
from compliance.errors import BlockedError, ParseError, SourceError
from compliance.http import HostPolicy, HttpClient, HttpSettings, PreviousFetch
from compliance.sources import SOURCES, oeil
from compliance.sources.base import SourceContext
from compliance.store.archive import Archive

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oeil"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
OEIL_SAMPLES = SAMPLES / "oeil"
needs_samples = pytest.mark.skipif(
    not OEIL_SAMPLES.is_dir(), reason=f"real samples not present at {OEIL_SAMPLES} (fresh clone)"
)
COD_SAMPLE = "howtheyvote__oeil-procedure-file_2024-0258-cod.html"
REG_SAMPLE = "howtheyvote__oeil_2024-2006-reg.html"
ODP_COD_SAMPLE = "howtheyvote__odp-procedure_2025-0260.json"
ODP_REG_SAMPLE = "howtheyvote__odp-procedure_2024-2006.json"

OEIL_URL = "https://oeil.test/oeil/en/procedure-file"
ODP_URL = "https://odp.test/api/v2/procedures"
INFO_EXCHANGE = "procedure_2021-0411-COD_constructed.html"
OPERATIONAL = "procedure_2021-0415-CNS_constructed.html"
ONGOING = "procedure_2099-0001-COD_ongoing_constructed.html"
ODP_INFO_EXCHANGE = "odp_2021-0411_constructed.json"
# The AWS WAF stub markers (sources.md 1.9; europarl.europa.eu sits behind the same WAF kind).
WAF_STUB = (b'<!DOCTYPE html><html><head><script>window.awsWafCookieDomainList = [];'
            b'window.gokuProps = {"key":"x"};</script></head><body><div id="challenge-container"></div>'
            b'<script src="https://example.token.awswaf.com/challenge.js"></script></body></html>')


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sample(name: str) -> bytes:
    return (OEIL_SAMPLES / name).read_bytes()


def user_catalogue_file(tmp_path: Path, changes: dict[str, dict[str, Any]], extra: list[dict] | None = None) -> Path:
    """A user catalogue: built-in entries copied whole with their `identifiers` changed, plus extras."""
    from importlib import resources

    builtin = yaml.safe_load(resources.files("compliance.catalogue.data").joinpath("measures.yaml").read_text("utf-8"))
    entries = []
    for raw in builtin["measures"]:
        if raw["id"] in changes:
            entry = dict(raw)
            entry["identifiers"] = {**(raw.get("identifiers") or {}), **changes[raw["id"]]}
            entries.append(entry)
    path = tmp_path / "my-catalogue.yaml"
    path.write_text(yaml.safe_dump({"measures": entries + (extra or [])}, allow_unicode=True, sort_keys=False),
                    "utf-8")
    return path


def info_exchange_catalogue(tmp_path: Path) -> Path:
    return user_catalogue_file(tmp_path, {"pcc-info-exchange-directive": {"procedure": "2021/0411(COD)"}})


@pytest.fixture
def make_ctx(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_OEIL", OEIL_URL)
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_EP_OPEN_DATA", ODP_URL)
    cfg = load_settings()
    client = HttpClient(HttpSettings(max_retries=1, default_host=HostPolicy(min_interval=0)),
                        Archive(tmp_path / "archive"), sleep=lambda _s: None)

    def make(measure_ids: list[str] | None = None, cat: catalogue.Catalogue | None = None,
             http: HttpClient | None = client) -> SourceContext:
        messages: list[str] = []
        ctx = SourceContext(settings=cfg, catalogue=cat or catalogue.load(), http=http, measure_ids=measure_ids,
                            progress=messages.append)
        ctx.messages = messages  # type: ignore[attr-defined]
        return ctx

    return make


class FakeEP:
    """Answers OEIL (by ?reference=) and EP Open Data (by path id) from tables; records requests."""

    def __init__(self) -> None:
        self.oeil: dict[str, httpx.Response] = {}
        self.odp: dict[str, httpx.Response] = {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "oeil.test":
            return self.oeil.get(request.url.params.get("reference", ""), httpx.Response(404))
        return self.odp.get(request.url.path.rsplit("/", 1)[-1], httpx.Response(404))


@pytest.fixture
def ep():
    fake = FakeEP()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="oeil.test").mock(side_effect=fake)
        router.route(host="odp.test").mock(side_effect=fake)
        yield fake


def html(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, headers={"Content-Type": "text/html;charset=UTF-8"}, content=body)


def jsonld(body: bytes) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Type": "application/ld+json"}, content=body)


# --- module surface --------------------------------------------------------------------------


def test_module_surface(make_ctx, monkeypatch):
    assert oeil.INFO is SOURCES["oeil"] and oeil.INFO.module == oeil.__name__
    assert oeil.INFO.endpoint_names == ("OEIL", "EP_OPEN_DATA")
    assert oeil.INFO.evidence_kinds == {"proposal", "adoption"}
    ctx = make_ctx()
    assert (oeil.oeil_endpoint(ctx), oeil.odp_endpoint(ctx)) == (OEIL_URL, ODP_URL)
    monkeypatch.delenv("COMPLIANCE_ENDPOINT_OEIL")
    monkeypatch.delenv("COMPLIANCE_ENDPOINT_EP_OPEN_DATA")
    ctx = make_ctx()
    assert oeil.oeil_endpoint(ctx) == "https://oeil.europarl.europa.eu/oeil/en/procedure-file"
    assert oeil.odp_endpoint(ctx) == "https://data.europarl.europa.eu/api/v2/procedures"


def test_references_and_com_numbers():
    assert oeil.odp_id("2021/0411(COD)") == "2021-0411"
    with pytest.raises(ValueError):
        oeil.check_procedure("2021/411(COD)")
    assert oeil.com_numbers("COM(2021)0782 and COM(2021) 782, COM/2022/731") == ["COM(2021) 782", "COM(2022) 731"]
    assert oeil.com_numbers("SWD(2021) 74") == []


# --- the real samples ------------------------------------------------------------------------


@pytest.mark.samples
@needs_samples
def test_real_cod_procedure_file():
    proc = oeil.parse_procedure_html(sample(COD_SAMPLE), "2024/0258(COD)")
    assert proc.reference == "2024/0258(COD)"
    assert proc.title == "Establishing the Reform and Growth Facility for Moldova"
    assert proc.sections == ["Basic information", "Key players", "Key events", "Technical information",
                             "Documentation gateway", "Final act"]
    assert proc.procedure_type == "COD - Ordinary legislative procedure (ex-codecision procedure)"
    assert proc.instrument == "Regulation" and proc.stage == "Procedure completed"
    assert len(proc.events) == 14 and proc.notes == []
    assert (proc.events[0].date, proc.events[0].event, proc.events[0].references) == (
        date(2024, 10, 9), "Legislative proposal published", ["COM(2024)0469"])
    assert proc.com_references() == ["COM(2024) 469"]
    m = proc.milestones()
    assert m.proposal_date == date(2024, 10, 9) and m.proposal_com == ["COM(2024) 469"]
    assert m.signature_date == date(2025, 3, 18) and m.council_adoption_date == date(2025, 3, 18)
    assert (m.adoption_date, m.adoption_event) == (date(2025, 3, 18), "Final act signed")
    assert m.oj_date == date(2025, 3, 21)
    assert m.final_act.celex == "32025R0535" and m.final_act.title == "Regulation 2025/0535"
    assert m.final_act.oj_date == date(2025, 3, 21)
    ec = [d for d in proc.documents if d.institution == "EC"]
    assert [(d.type, d.references, d.date) for d in ec] == [
        ("Legislative proposal", ["COM(2024)0469"], date(2024, 10, 9)),
        ("Commission response to text adopted in plenary", ["SP(2025)04"], date(2025, 4, 30)),
    ]
    json.dumps(proc.summary())


@pytest.mark.samples
@needs_samples
def test_real_reg_procedure_file_has_no_commission_milestones():
    proc = oeil.parse_procedure_html(sample(REG_SAMPLE))
    assert proc.reference == "2024/2006(REG)"
    # the page writes "EP&nbsp;Rules": whitespace is normalised
    assert proc.title == ("EP Rules of Procedure: training on preventing conflict and harassment in the workplace "
                          "and on good office management")
    assert "Final act" not in proc.sections and proc.final_acts == []
    assert [(e.date, e.event) for e in proc.events] == [
        (date(2024, 4, 3), "Vote in committee"),
        (date(2024, 4, 4), "Committee report tabled for plenary"),
        (date(2024, 4, 10), "Committee referral announced in Parliament"),
        (date(2024, 4, 24), "Decision by Parliament"),
        (date(2024, 4, 24), "Results of vote in Parliament"),
    ]
    assert proc.events[3].references == ["T9-0315/2024"]
    assert proc.procedure_type == "REG - Parliament's Rules of Procedure"
    m = proc.milestones()
    assert m.proposal_date is None and m.adoption_date is None and m.final_act is None


@pytest.mark.samples
@needs_samples
def test_real_odp_samples():
    cod = oeil.parse_odp_procedure(sample(ODP_COD_SAMPLE), "2025/0260(COD)")
    assert (cod.id, cod.reference, cod.process_type, cod.current_stage, cod.year) == (
        "eli/dl/proc/2025-0260", "2025/0260(COD)", "COD", "RDG1", "2025")
    assert cod.title == "Non-application of customs duties on imports of certain goods"
    assert len(cod.events) == 23 and len(cod.titles) >= 20
    assert cod.summary()["latest_event"] == "2026-06-16"
    first = cod.events[0]
    assert (first.date, first.type) == (date(2026, 3, 19), "COMMITTEE_ADOPTING_REPORT")
    reg = oeil.parse_odp_procedure(sample(ODP_REG_SAMPLE))
    assert (reg.reference, reg.process_type, len(reg.events)) == ("2024/2006(REG)", "REG", 7)
    assert reg.title.startswith("Amendments to Parliament’s Rules of Procedure concerning the training")
    # one event has no had_activity_type: read with type None, not dropped
    assert sum(1 for e in reg.events if e.type is None) == 1
    with pytest.raises(ParseError, match="not 2021/0411"):
        oeil.parse_odp_procedure(sample(ODP_REG_SAMPLE), "2021/0411(COD)")


@pytest.mark.samples
@needs_samples
def test_real_page_for_another_procedure_is_refused():
    with pytest.raises(ParseError, match="is for procedure 2024/0258"):
        oeil.parse_procedure_html(sample(COD_SAMPLE), "2021/0411(COD)")


@pytest.mark.samples
@needs_samples
def test_import_real_samples(make_ctx, tmp_path):
    extra = [{"id": "moldova-facility", "title": "Reform and Growth Facility for Moldova (test entry)",
              "kind": "regulation", "celex": "32025R0535", "identifiers": {"procedure": "2024/0258(COD)"},
              "strategy": "user", "action": "test", "sources": ["https://oeil.europarl.europa.eu/"]},
             {"id": "customs-duties", "title": "Non-application of customs duties (test entry)",
              "kind": "regulation", "identifiers": {"procedure": "2025/0260(COD)"},
              "strategy": "user", "action": "test", "sources": ["https://oeil.europarl.europa.eu/"]}]
    cat = catalogue.load([user_catalogue_file(tmp_path, {}, extra)])
    result = oeil.parse_import(sample(COD_SAMPLE), COD_SAMPLE, make_ctx(cat=cat))
    got = {f.kind: f for f in result.findings}
    assert (got["proposal"].date, got["proposal"].reference) == (date(2024, 10, 9), "COM(2024) 469")
    assert (got["adoption"].date, got["adoption"].celex) == (date(2025, 3, 18), "32025R0535")
    assert all(f.member_state == "EU" and f.measure_id == "moldova-facility" and f.fetch is None
               for f in result.findings)
    assert result.coverage == []
    odp = oeil.parse_import(sample(ODP_COD_SAMPLE), ODP_COD_SAMPLE, make_ctx(cat=cat))
    assert odp.findings == [] and "no findings" in odp.reason and "23 Parliament event(s)" in odp.reason
    with pytest.raises(ParseError, match="2025/0260.* does not fit moldova-facility: the catalogue gives"):
        oeil.parse_import(sample(ODP_COD_SAMPLE), ODP_COD_SAMPLE, make_ctx(["moldova-facility"], cat=cat))
    with pytest.raises(ParseError, match="no catalogued measure"):
        oeil.parse_import(sample(REG_SAMPLE), REG_SAMPLE, make_ctx())


# --- constructed pages and error pages -------------------------------------------------------


def test_constructed_cod_page():
    proc = oeil.parse_procedure_html(fixture(INFO_EXCHANGE), "2021/0411(COD)")
    m = proc.milestones()
    # the Commission's document date (08/12) is a day before the "published" key event (09/12)
    assert m.proposal_date == date(2021, 12, 8)
    assert m.proposal_sources == ["Commission document 'Legislative proposal': 2021-12-08",
                                  "key event 'Legislative proposal published': 2021-12-09"]
    assert (m.adoption_date, m.council_adoption_date, m.oj_date) == (date(2023, 5, 10), date(2023, 4, 24),
                                                                     date(2023, 5, 22))
    assert m.final_act.celex == "32023L0977"


def test_constructed_cns_page_adoption_is_the_council_act():
    m = oeil.parse_procedure_html(fixture(OPERATIONAL)).milestones()
    assert m.signature_date is None
    assert (m.adoption_date, m.adoption_event) == (date(2022, 6, 9),
                                                   "Act adopted by Council after consultation of Parliament")
    assert m.final_act.celex == "32022H0915"


def test_ongoing_procedure_has_a_proposal_and_no_adoption():
    proc = oeil.parse_procedure_html(fixture(ONGOING))
    m = proc.milestones()
    assert m.proposal_date == date(2099, 5, 3) and m.adoption_date is None and m.final_act is None
    assert proc.stage == "Awaiting committee decision"


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"", ParseError, "empty body"),
        (b"\xff\xfe<html>", ParseError, "not UTF-8"),
        (b"<html><body>hello</body></html>", ParseError, "not an OEIL procedure-file page"),
        (WAF_STUB, BlockedError, "bot challenge"),
        (b'<html><body><h2 class="es_title-h1">2021/0411(COD)</h2></body></html>', ParseError,
         "section\\(s\\) Key events, Technical information not found"),
        (b'<html><body><h2 class="es_title-h1">not a reference</h2></body></html>', ParseError,
         "no procedure reference"),
    ],
)
def test_bad_procedure_pages(body, error, message):
    with pytest.raises(error, match=message):
        oeil.parse_procedure_html(body)


def test_soft_404_is_a_parse_error():
    with pytest.raises(ParseError, match="soft 404"):
        oeil.parse_procedure_html(fixture("soft404_constructed.html"), "2021/0411(COD)")


def test_changed_key_events_columns_are_refused():
    body = fixture(INFO_EXCHANGE).replace(b'scope="col">Event</th>', b'scope="col">Happening</th>')
    with pytest.raises(ParseError, match="Key events columns"):
        oeil.parse_procedure_html(body)


def test_bad_date_is_a_note_not_a_date():
    body = fixture(INFO_EXCHANGE).replace(b">10/05/2023<", b">31/02/2023<")
    proc = oeil.parse_procedure_html(body)
    assert any("'31/02/2023' is not a date" in n for n in proc.notes)
    m = proc.milestones()
    assert m.signature_date is None and m.adoption_date == date(2023, 4, 24)  # falls back on the Council


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"", ParseError, "empty body"),
        (b"not json", ParseError, "not JSON"),
        (b"<html><body>Service unavailable</body></html>", BlockedError, "HTML page instead of JSON-LD"),
        (WAF_STUB, BlockedError, "bot challenge"),
        (b"{", ParseError, "not JSON"),
        (b"[]", ParseError, "no 'data' list"),
        (b'{"data": []}', ParseError, "holds no procedure"),
        (b'{"data": [{"label": "x"}]}', ParseError, "not a procedure reference"),
        (b'{"data": [{"label": 7}]}', ParseError, "not a procedure reference"),
    ],
)
def test_bad_odp_bodies(body, error, message):
    with pytest.raises(error, match=message):
        oeil.parse_odp_procedure(body)


def test_deeply_nested_odp_json_is_a_parse_error():
    with pytest.raises(ParseError):
        oeil.parse_odp_procedure(b"[" * 100_000 + b"]" * 100_000)


# --- refresh ---------------------------------------------------------------------------------


def test_refresh_reads_the_procedure_and_cross_checks_with_open_data(ep, make_ctx, tmp_path):
    ep.oeil["2021/0411(COD)"] = html(fixture(INFO_EXCHANGE))
    ep.odp["2021-0411"] = jsonld(fixture(ODP_INFO_EXCHANGE))
    cat = catalogue.load([info_exchange_catalogue(tmp_path)])
    result = oeil.refresh(make_ctx(["pcc-info-exchange-directive"], cat=cat))
    assert result.status == "ok" and result.reason is None
    got = {f.kind: f for f in result.findings}
    proposal, adoption = got["proposal"], got["adoption"]
    assert (proposal.key, proposal.date, proposal.reference, proposal.member_state) == (
        "2021/0411(COD):proposal", date(2021, 12, 8), "COM(2021) 782", "EU")
    assert proposal.title == "Commission proposal COM(2021) 782 (2021/0411(COD)): Law enforcement information exchange"
    assert (adoption.key, adoption.date, adoption.celex, adoption.reference) == (
        "2021/0411(COD):adoption", date(2023, 5, 10), "32023L0977", "Directive 2023/0977")
    assert adoption.data["oj_publication_date"] == "2023-05-22"
    assert adoption.data["council_adoption_date"] == "2023-04-24"
    assert adoption.url.endswith("numdoc=32023L0977")
    assert proposal.data["ep_open_data"]["label"] == "2021/0411(COD)"
    assert proposal.data["ep_open_data"]["sha256"] == result.fetches[1].sha256
    assert proposal.fetch is result.fetches[0] and proposal.url == result.fetches[0].url
    (cov,) = result.coverage
    assert (cov.measure_id, cov.status, cov.member_state) == ("pcc-info-exchange-directive", "ok", "EU")
    assert "proposal 2021-12-08" in cov.reason and "adopted 2023-05-10 (Final act signed)" in cov.reason
    oeil_req, odp_req = ep.requests
    assert oeil_req.url.params["reference"] == "2021/0411(COD)"
    assert odp_req.url.path == "/api/v2/procedures/2021-0411"
    assert odp_req.url.params["format"] == "application/ld+json"
    assert odp_req.headers["accept"] == "application/ld+json"
    json.dumps([f.data for f in result.findings])


def test_refresh_of_the_whole_catalogue_lists_the_skipped_measures(ep, make_ctx):
    ep.oeil["2021/0415(CNS)"] = html(fixture(OPERATIONAL))  # EP Open Data answers 404: a note only
    ep.oeil["2023/0135(COD)"] = html(fixture("soft404_constructed.html"))
    result = oeil.refresh(make_ctx(["pcc-operational-recommendation", "anti-corruption-directive",
                                    "forced-labour-regulation", "medicrime-ratification"]))
    cov = {c.measure_id: c for c in result.coverage}
    assert set(cov) == {"pcc-operational-recommendation", "anti-corruption-directive"}
    ok = cov["pcc-operational-recommendation"]
    assert ok.status == "ok" and "EP Open Data not read" in ok.reason and "HTTP 404" in ok.reason
    assert cov["anti-corruption-directive"].status == "failed" and "soft 404" in cov["anti-corruption-directive"].reason
    assert {(f.measure_id, f.kind, f.date) for f in result.findings} == {
        ("pcc-operational-recommendation", "proposal", date(2021, 12, 8)),
        ("pcc-operational-recommendation", "adoption", date(2022, 6, 9)),
    }
    assert result.status == "ok"
    assert "1 of 2 procedure(s) not ok; first: anti-corruption-directive: failed: " in result.reason
    assert "OEIL has no lookup by COM number (first: forced-labour-regulation)" in result.reason
    assert len(result.reason) < 400
    assert "medicrime-ratification" not in result.reason  # no COM number: not a candidate


def test_measures_without_a_procedure_give_no_request(ep, make_ctx):
    result = oeil.refresh(make_ctx(["forced-labour-regulation"]))
    assert ep.requests == [] and result.findings == [] and result.coverage == []
    assert result.status == "ok"
    assert result.reason.startswith("no selected measure has a procedure identifier; 1 measure(s) skipped")


def test_a_procedure_that_contradicts_the_catalogue_is_suspect_without_findings(ep, make_ctx, tmp_path):
    ep.oeil["2021/0411(COD)"] = html(fixture(INFO_EXCHANGE))
    # prum-ii is COM(2021) 784 / CELEX 32024R0982: the 2021/0411 file names COM(2021) 782 and 32023L0977
    cat = catalogue.load([user_catalogue_file(tmp_path, {"prum-ii": {"procedure": "2021/0411(COD)"}})])
    result = oeil.refresh(make_ctx(["prum-ii"], cat=cat))
    (cov,) = result.coverage
    assert cov.status == "suspect" and result.findings == []
    assert "COM(2021) 784" in cov.reason and "32023L0977" in cov.reason
    assert result.status == "suspect"


def test_a_file_without_a_commission_proposal_is_suspect(ep, make_ctx, tmp_path):
    body = (fixture(INFO_EXCHANGE).replace(b"Legislative proposal published", b"Proposal received")
            .replace(b'normal">Legislative proposal<', b'normal">Proposal<'))
    ep.oeil["2021/0411(COD)"] = html(body)
    cat = catalogue.load([info_exchange_catalogue(tmp_path)])
    result = oeil.refresh(make_ctx(["pcc-info-exchange-directive"], cat=cat))
    (cov,) = result.coverage
    assert cov.status == "suspect" and "no dated Commission proposal" in cov.reason
    assert result.findings == []


def test_waf_challenge_blocks_and_stops_the_run(ep, make_ctx, tmp_path):
    ep.oeil["2021/0411(COD)"] = html(WAF_STUB, status=202)
    ep.oeil["2021/0415(CNS)"] = html(fixture(OPERATIONAL))
    cat = catalogue.load([info_exchange_catalogue(tmp_path)])
    result = oeil.refresh(make_ctx(["pcc-info-exchange-directive", "pcc-operational-recommendation"], cat=cat))
    assert result.status == "blocked" and result.findings == []
    assert {c.status for c in result.coverage} == {"blocked"} and len(result.coverage) == 2
    assert len(ep.requests) == 1  # the second procedure was not tried against the wall


@pytest.mark.parametrize(("status", "expected"), [(403, "blocked"), (500, "failed"), (404, "failed")])
def test_http_errors(ep, make_ctx, status, expected):
    ep.oeil["2021/0415(CNS)"] = html(b"<html>nope</html>", status=status)
    result = oeil.refresh(make_ctx(["pcc-operational-recommendation"]))
    (cov,) = result.coverage
    assert cov.status == expected and result.status == expected and f"HTTP {status}" in cov.reason


def test_unreachable_endpoint_fails(make_ctx):
    with respx.mock() as router:
        router.route(host="oeil.test").mock(side_effect=httpx.ConnectError("refused"))
        result = oeil.refresh(make_ctx(["pcc-operational-recommendation"]))
    assert result.status == "failed" and result.coverage[0].status == "failed"
    assert "ConnectError" in result.coverage[0].reason


def test_not_modified_pages_are_parsed_again(make_ctx, tmp_path):
    body = fixture(OPERATIONAL)
    with respx.mock() as router:
        router.route(host="oeil.test").mock(return_value=html(body))
        router.route(host="odp.test").mock(return_value=httpx.Response(404))
        first = oeil.refresh(make_ctx(["pcc-operational-recommendation"]))
    fetch = first.fetches[0]

    def validators(source: str, url: str, key: str) -> PreviousFetch | None:
        return PreviousFetch('"v1"', None, fetch.sha256, fetch.content_type) if key == fetch.request_key else None

    client = HttpClient(HttpSettings(max_retries=0, default_host=HostPolicy(min_interval=0)),
                        Archive(tmp_path / "archive"), validators, sleep=lambda _s: None)
    with respx.mock() as router:
        router.route(host="oeil.test").mock(return_value=httpx.Response(304))
        router.route(host="odp.test").mock(return_value=httpx.Response(404))
        second = oeil.refresh(make_ctx(["pcc-operational-recommendation"], http=client))
    assert [f.key for f in second.findings] == [f.key for f in first.findings]
    assert second.findings[0].fetch.not_modified is True and second.coverage[0].status == "ok"


# --- import ----------------------------------------------------------------------------------


def test_import_by_procedure_identifier(make_ctx):
    result = oeil.parse_import(fixture(OPERATIONAL), "saved.html", make_ctx())
    assert {(f.measure_id, f.kind) for f in result.findings} == {
        ("pcc-operational-recommendation", "proposal"), ("pcc-operational-recommendation", "adoption")}
    assert result.coverage == [] and all(f.fetch is None for f in result.findings)


def test_import_with_measure_checks_the_catalogue(make_ctx):
    # the built-in entry's procedure, COM number and CELEX agree with the file
    result = oeil.parse_import(fixture(INFO_EXCHANGE), "saved.html", make_ctx(["pcc-info-exchange-directive"]))
    assert [f.kind for f in result.findings] == ["proposal", "adoption"]
    with pytest.raises(ParseError, match="does not fit prum-ii: the catalogue gives procedure 2021/0410"):
        oeil.parse_import(fixture(INFO_EXCHANGE), "saved.html", make_ctx(["prum-ii"]))
    # without --measure the procedure identifier finds the measure
    assert oeil.parse_import(fixture(INFO_EXCHANGE), "saved.html", make_ctx()).findings


def test_import_open_data_gives_no_findings(make_ctx, tmp_path):
    cat = catalogue.load([info_exchange_catalogue(tmp_path)])
    result = oeil.parse_import(fixture(ODP_INFO_EXCHANGE), "odp.json", make_ctx(cat=cat))
    assert result.findings == [] and "2021/0411(COD) read" in result.reason


@pytest.mark.parametrize(
    ("body", "error"),
    [(WAF_STUB, BlockedError), (b"garbage", ParseError), (b'{"data": 1}', ParseError), (b"\xff", ParseError)],
)
def test_import_rejects_other_files(make_ctx, body, error):
    with pytest.raises(error):
        oeil.parse_import(body, "file", make_ctx(["pcc-info-exchange-directive"]))


def test_cli_import(run_cli, tmp_path):
    path = tmp_path / "procedure.html"
    path.write_bytes(fixture(OPERATIONAL))
    code, out, err = run_cli("import", "--source", "oeil", str(path), "--format", "json")
    assert code == 0, err
    assert "pcc-operational-recommendation" in out
    bad = tmp_path / "challenge.html"
    bad.write_bytes(WAF_STUB)
    code, _, err = run_cli("import", "--source", "oeil", str(bad))
    assert code == 2 and "bot challenge" in err and "Traceback" not in err


def _nle_variant() -> bytes:
    """The CNS page with the key events of a non-legislative (NLE) file (CONSTRUCTED): the
    "Legislative proposal published" event is a Council document (06543/2022, made up) of
    25/02/2022, 80 days after the Commission's COM(2021)0780, which comes as a "Preparatory
    document" event of 08/12/2021; the Commission's gateway row is not typed "Legislative proposal"."""
    proposal = (b'<td class="align-middle" >08/12/2021</td>\n                        <td class="align-middle">'
                b'Legislative proposal published</td>')
    body = fixture(OPERATIONAL)
    assert proposal in body
    row = (b'<tr>\n                        <td class="align-middle" >08/12/2021</td>\n'
           b'                        <td class="align-middle">Preparatory document</td>\n'
           b'                        <td class="align-middle text-center">\n'
           b'                            <a href="https://www.europarl.europa.eu/doc/COM(2021)0780" target="_blank">'
           b'COM(2021)0780</a>\n\n                        </td>\n'
           b'                        <td class="align-middle"></td>\n                </tr>\n                ')
    body = body.replace(proposal, proposal.replace(b"08/12/2021", b"25/02/2022"), 1)
    body = body.replace(b'doc/COM(2021)0780" target="_blank">COM(2021)0780</a>',
                        b'doc/06543/2022" target="_blank">06543/2022</a>', 1)
    body = body.replace(b'normal">Legislative proposal<', b'normal">Document attached to the procedure<', 1)
    start = body.index(b"<tr>", body.index(b"<tbody>"))
    return body[:start] + row + body[start:]


def test_nle_proposal_date_is_the_com_documents_not_the_councils(run_cli, tmp_path):
    """Issue 13: in an NLE file the finding named the COM proposal but carried the Council
    document's date (80 days late instead of on time)."""
    body = _nle_variant()
    m = oeil.parse_procedure_html(body).milestones()
    assert m.proposal_date == date(2021, 12, 8) and m.proposal_com == ["COM(2021) 780"]
    assert m.proposal_sources == [
        "key event 'Preparatory document': 2021-12-08",
        "key event 'Legislative proposal published' naming 06543/2022, not a COM document: 2022-02-25",
        "the earliest date of a COM document is the proposal's"]
    path = tmp_path / "procedure.html"
    path.write_bytes(body)
    code, out, err = run_cli("import", "--source", "oeil", str(path), "--format", "json")
    assert code == 0, err
    (proposal,) = [f for f in json.loads(out)["findings"] if f["kind"] == "proposal"]
    assert (proposal["reference"], proposal["date"]) == ("COM(2021) 780", "2021-12-08")
    code, out, err = run_cli("check", "-m", "EU", "--measure", "pcc-operational-recommendation", "--format",
                             "json", "--fail-on", "never")
    assert code == 0, err
    (a,) = [a for a in json.loads(out)[0]["assessments"] if a["obligation"] == "commission-proposal"]
    assert a["status"] == "met" and "2021-12-08, on time" in a["reason"]


def test_a_council_document_alone_still_dates_the_proposal_and_says_so():
    body = _nle_variant().replace(b"Preparatory document", b"Committee referral announced")
    m = oeil.parse_procedure_html(body).milestones()
    assert m.proposal_date == date(2022, 2, 25) and m.proposal_com == []
    assert m.proposal_sources == [
        "key event 'Legislative proposal published' naming 06543/2022, not a COM document: 2022-02-25"]


# --- end to end: refresh, then `check -m EU` ---------------------------------------------------


def test_refresh_then_check_shows_the_proposal_from_oeil(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_OEIL", OEIL_URL)
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_EP_OPEN_DATA", ODP_URL)
    cat_file = info_exchange_catalogue(tmp_path)
    (before,) = json.loads(run_cli("check", "-m", "EU", "--measure", "pcc-info-exchange-directive",
                                   "--format", "json")[1])
    assert [e["source"] for e in before["assessments"][0]["evidence"]] == ["curated"]

    with respx.mock() as router:
        router.route(host="oeil.test", params={"reference": "2021/0411(COD)"}).mock(
            return_value=html(fixture(INFO_EXCHANGE)))
        router.route(host="odp.test", path="/api/v2/procedures/2021-0411").mock(
            return_value=jsonld(fixture(ODP_INFO_EXCHANGE)))
        code, out, err = run_cli("refresh", "--source", "oeil", "--measure", "pcc-info-exchange-directive",
                                 "--catalogue", str(cat_file), "--format", "json")
    assert code == 0, err
    (summary,) = json.loads(out)["sources"]
    assert summary["status"] == "ok" and summary["new"] == 2 and summary["requests"] == 2

    for extra in ((), ("--catalogue", str(cat_file))):
        code, out, err = run_cli("check", "-m", "EU", "--measure", "pcc-info-exchange-directive",
                                 "--format", "json", *extra)
        assert code == 0, err
        (assessment,) = json.loads(out)[0]["assessments"]
        assert assessment["rule"] == "COM-001" and assessment["status"] == "met"
        assert "first on 2021-12-08, on time" in assessment["reason"]
        sources = {(e["source"], e["kind"]) for e in assessment["evidence"]}
        assert sources == {("oeil", "proposal"), ("oeil", "adoption")}  # the curated fact is superseded
        proposal = next(e for e in assessment["evidence"] if e["kind"] == "proposal")
        assert proposal["reference"] == "COM(2021) 782" and proposal["date"] == "2021-12-08"
        assert proposal["sha256"] and proposal["retrieved_at"]


# --- robustness: bad input raises the project's errors, nothing else ---------------------------

_cell = st.text(alphabet=st.sampled_from(list("0123456789/ ()COMabc<>&;\u00a0")), max_size=16)
_html = st.builds(
    lambda ref, d, ev, refs, celex, section: (
        f'<html><h2 class="es_title-h1">{ref}</h2><h2 class="es_title-h2">T</h2>'
        f'<div class="oeil-spy-section"><h2>{section}</h2><table><thead><tr><th>Date</th><th>Event</th></tr></thead>'
        f"<tbody><tr><td>{d}</td><td>{ev}</td><td><a>{refs}</a></td></tr><tr><td>{d}</td></tr></tbody></table></div>"
        f'<div class="oeil-spy-section"><h2>Technical information</h2><table><tr><th>Procedure reference</th>'
        f"<td>{ref}</td></tr></table></div>"
        f'<div class="oeil-spy-section"><h2>Final act</h2><div class="es_links-list"><ul><li>'
        f'<a href="x?numdoc={celex}">{refs}</a><a href="/oj/?ojDate={d}">{d}</a></li></ul></div></div>'
        f'<div class="oeil-spy-section"><h2>Documentation gateway</h2><div id="es_accordion-item-doc-gateway-EC">'
        f"<table><tbody><tr><th>Legislative proposal</th><td>{refs}</td><td>{d}</td></tr></tbody></table></div></div>"
        f"</html>"
    ).encode(),
    st.sampled_from(["2021/0411(COD)", "2021/411(COD)", ""]), _cell,
    st.sampled_from(["Legislative proposal published", "Final act signed", "Act adopted by Council x", "x"]),
    _cell, st.sampled_from(["32023L0977", "3", "32023L09771"]), st.sampled_from(["Key events", "Other"]),
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["data", "label", "id", "consists_of", "activity_date", "process_title", "en",
                         "had_activity_type", "identifierYear", "x"]), inner, max_size=5),
    max_leaves=20,
).map(lambda v: json.dumps(v).encode())
_odp = st.builds(
    lambda label, events, title: json.dumps({"data": [{"label": label, "consists_of": events,
                                                       "process_title": title}]}).encode(),
    st.sampled_from(["2021/0411(COD)", "2021-0411", ""]),
    st.lists(st.dictionaries(st.sampled_from(["activity_date", "had_activity_type", "id",
                                              "based_on_a_realization_of"]),
                             st.one_of(st.text(max_size=12), st.integers(), st.lists(st.text(max_size=5)))),
             max_size=4),
    st.one_of(st.dictionaries(st.text(max_size=2), st.text(max_size=5)), st.text(max_size=5)),
)


@functools.cache
def _builtin() -> catalogue.Catalogue:
    return catalogue.load()


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), _html, _json, _odp))
def test_parsers_raise_only_project_errors(body):
    ctx = SourceContext(settings=load_settings(), catalogue=_builtin(), http=None,
                        measure_ids=["pcc-info-exchange-directive"])
    for parse in (oeil.parse_procedure_html, oeil.parse_odp_procedure,
                  lambda b: oeil.parse_import(b, "fuzz", ctx)):
        try:
            result = parse(body)
        except (ParseError, SourceError):  # BlockedError is a SourceError
            continue
        if isinstance(result, oeil.OeilProcedure):
            json.dumps(result.summary())
            m = result.milestones()
            measure = ctx.catalogue.measures["pcc-info-exchange-directive"]
            json.dumps([f.data for f in oeil.items(measure, result, m, None, None)], default=str)
        elif isinstance(result, oeil.OdpProcedure):
            json.dumps(result.summary())


def test_procedures_are_read_at_once_with_the_same_result(make_ctx, tmp_path):
    """Procedure files after the first are read at once, up to the host's concurrency; what the
    source reports (findings, coverage, fetches, reasons, in order) is what one read after another gives."""
    from .concurrency import InFlight, snapshot
    from .concurrency import client as concurrency_client

    results, overlap = {}, {}
    for concurrency in (1, 4):
        fake = FakeEP()
        watch = InFlight(fake, hold=0.05 if concurrency > 1 else 0)
        with respx.mock(assert_all_called=False) as router:
            router.route(host="oeil.test").mock(side_effect=watch)
            router.route(host="odp.test").mock(side_effect=watch)
            results[concurrency] = snapshot(oeil.refresh(
                make_ctx(http=concurrency_client(tmp_path, concurrency, f"c{concurrency}"))))
        overlap[concurrency] = watch.max
    assert overlap[1] == 1 and overlap[4] > 1
    assert results[1] == results[4] and len(results[1]["coverage"]) > 2
