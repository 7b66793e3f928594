"""Commission infringement decisions register: parser (CONSTRUCTED payloads: no real one exists, see
../shared/samples/OTHER_SOURCES.md), error envelopes, date windows, paging and the total-count check, a
refresh against a respx-mocked register, import, fuzzing, and the way through the rules to `check`.

No test uses the network. The constructed fixtures are described in tests/fixtures/README.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.catalogue import load as catalogue
from compliance.config.settings import load_settings
from compliance.errors import BlockedError, ParseError, SourceError
from compliance.http import HostPolicy, HttpClient, HttpSettings
from compliance.sources import SOURCES, infringements
from compliance.sources.base import SourceContext
from compliance.store.archive import Archive

from .concurrency import InFlight, snapshot
from .concurrency import client as concurrency_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "infringements"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "infringements"
FAKE_ENDPOINT = "https://infr.test/search-infringement-decisions/api/decisions"
PCC = "Non-communication of measures transposing Directive (EU) 2023/977 on the exchange of information"


def fixture(name: str = "decisions_constructed.json") -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_records() -> list[dict[str, Any]]:
    return json.loads(fixture())["records"]


def record(number: str, ms: str, when: str, dtype: str, title: str = PCC, **extra: Any) -> dict[str, Any]:
    """A record in the documented shape (sources.md §6); values are made up."""
    return {
        "infringementNumber": number, "memberState": ms, "leadDg": "Migration and Home Affairs",
        "caseType": "Non-communication", "title": title, "activeInfringementCase": "Yes",
        "nonCommunicationCase": "Yes", "decisionDate": when, "decisionType": dtype, "pressRelease": None,
        "pressReleaseURL": None, "memo": None, "memoURL": None, "normalCuriaReference": None,
        "normalCuriaReferenceURL": None, "policyAreas": [], **extra,
    }


def answer(records: list[dict[str, Any]], total: int | None = None) -> bytes:
    return json.dumps({"totalRows": len(records) if total is None else total, "records": records}).encode()


def _dmy(text: str | None) -> date | None:
    if not text:
        return None
    d, m, y = (int(x) for x in text.split("/"))
    return date(y, m, min(d, 28))  # the fixture's impossible 31/02 is filed under late February


class FakeRegister:
    """A respx side effect answering POST api/decisions from a list of records, like the service:
    filter by decisionDateFrom/To (inclusive), then page/size over the filtered list."""

    def __init__(self, records: list[dict[str, Any]] | None = None) -> None:
        self.records = list(records or [])
        self.bodies: list[dict[str, Any]] = []
        self.probe_extra = 0  # added to totalRows of the whole-span probe (a count that does not reconcile)
        self.ignore_dates = False  # behave as if the date filter were not applied
        self.status = 200
        self.raw: bytes | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if self.status != 200:
            return httpx.Response(self.status, text="Internal Server Error")
        if self.raw is not None:
            return httpx.Response(200, content=self.raw, headers={"content-type": "text/html"})
        start, end = _dmy(body["decisionDateFrom"]), _dmy(body["decisionDateTo"])
        rows = [
            r for r in self.records
            if self.ignore_dates or (start is None or _dmy(r["decisionDate"]) >= start)
            and (end is None or _dmy(r["decisionDate"]) <= end)
        ]
        page, size = body["page"], body["size"]
        total = len(rows) + (self.probe_extra if body["decisionDateTo"] == "31/12/2100" and start.year < 2020 else 0)
        return httpx.Response(200, json={"totalRows": total, "records": rows[page * size:(page + 1) * size]})

    @property
    def windows(self) -> list[tuple[str, str, int]]:
        return [(b["decisionDateFrom"], b["decisionDateTo"], b["page"]) for b in self.bodies]


@pytest.fixture
def register():
    fake = FakeRegister()
    with respx.mock(assert_all_called=False) as router:
        router.post(FAKE_ENDPOINT).mock(side_effect=fake)
        yield fake


@pytest.fixture
def make_ctx(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_INFRINGEMENTS", FAKE_ENDPOINT)
    settings_ = load_settings()
    cat = catalogue.load()
    client = HttpClient(HttpSettings(max_retries=1, default_host=HostPolicy(min_interval=0)),
                        Archive(tmp_path / "archive"), sleep=lambda _s: None)

    def make(measure_ids: list[str] | None = None, member_states: list[str] | None = None,
             http: HttpClient | None = client) -> SourceContext:
        messages: list[str] = []
        ctx = SourceContext(settings=settings_, catalogue=cat, http=http, member_states=member_states,
                            measure_ids=measure_ids, progress=messages.append)
        ctx.messages = messages  # type: ignore[attr-defined]
        return ctx

    return make


# --- module surface, request, windows ----------------------------------------------------------


def test_module_surface_and_endpoint(make_ctx, monkeypatch):
    assert infringements.INFO is SOURCES["infringements"]
    assert infringements.INFO.module == infringements.__name__
    assert infringements.endpoint(make_ctx()) == FAKE_ENDPOINT
    monkeypatch.delenv("COMPLIANCE_ENDPOINT_INFRINGEMENTS")
    assert infringements.endpoint(make_ctx()) == (
        "https://ec.europa.eu/implementing-eu-law/search-infringement-decisions/api/decisions"
    )


def test_query_body_has_every_documented_field():
    body = infringements.query_body(date(2024, 1, 1), date(2024, 12, 31), page=2)
    assert set(body) == {
        "refId", "relatedPetition", "petition", "decisionDateFrom", "decisionDateTo", "langCode", "memberState",
        "decisionCategory", "infringementType", "activeCase", "pressRelease", "page", "size", "title",
        "legalBasis", "dg", "policyArea", "courtFinancialSanctions", "order", "sortColumns",
    }
    assert (body["decisionDateFrom"], body["decisionDateTo"]) == ("01/01/2024", "31/12/2024")
    assert (body["langCode"], body["page"], body["size"]) == ("EN", 2, 5000)
    with pytest.raises(ValueError):
        infringements.query_body(None, None, size=5001)
    with pytest.raises(ValueError):
        infringements.query_body(None, None, page=-1)


def test_year_windows_and_months():
    windows = infringements.year_windows(date(2023, 5, 10), date(2026, 11, 22))
    assert [w.label for w in windows] == [
        "10/05/2023-31/12/2023", "01/01/2024-31/12/2024", "01/01/2025-31/12/2025", "01/01/2026-31/12/2026",
        "01/01/2027-31/12/2100",
    ]
    months = infringements.Window(date(2024, 1, 1), date(2024, 12, 31)).months()
    assert len(months) == 12 and months[1].label == "01/02/2024-29/02/2024"
    assert months[-1].end == date(2024, 12, 31)


# --- parsing ---------------------------------------------------------------------------------


def test_parse_constructed_decisions():
    page = infringements.parse_decisions(fixture())
    assert page.total == 14 and page.rows == 14
    assert len(page.decisions) == 13
    assert page.problems == ["record 13: INFR(2025)9009: decisionDate '31/02/2025' is not a DD/MM/YYYY date"]
    assert page.problem_celex == {"32023L0977"}
    by = {(d.number, d.decision_date.isoformat()): d for d in page.decisions}
    lfn = by[("INFR(2025)9001", "2025-01-30")]
    assert (lfn.member_state, lfn.stage, lfn.article, lfn.non_communication, lfn.active) == (
        "DK", "letter-of-formal-notice", "258", True, True)
    assert (lfn.celex, lfn.celex_from) == (["32023L0977"], "title")
    assert lfn.key == "INFR(2025)9001|letter-of-formal-notice|2025-01-30"
    aro = by[("INFR(2025)9002", "2025-10-02")]
    assert (aro.member_state, aro.stage, aro.additional) == ("EL", "reasoned-opinion", True)
    assert by[("INFR(2025)9003", "2025-05-15")].stage == "closure"
    art260 = by[("INFR(2013)9004", "2015-06-19")]
    assert (art260.member_state, art260.stage, art260.article, art260.non_communication) == (
        "CZ", "referral", "260", False)
    withdrawal = by[("INFR(2013)9004", "2016-03-16")]
    assert withdrawal.stage is None and withdrawal.key == (
        "INFR(2013)9004|other-withdrawal-of-the-referral|2016-03-16")
    amending = by[("INFR(2026)9005", "2026-01-29")]
    assert amending.member_state == "EL"  # the register's own code for Greece
    assert amending.celex == ["32024L1712"] and amending.cited == ["32024L1712", "32011L0036"]
    field = by[("INFR(2022)9006", "2022-01-27")]
    assert (field.celex, field.celex_from) == (["32019L1153"], "field")
    assert by[("INFR(2012)9007", "2012-11-22")].member_state is None and page.not_eu == 1
    data = lfn.data()
    json.dumps(data)
    assert data["record"]["leadDg"] == "Migration and Home Affairs" and data["decision_type"].startswith("Formal")


@pytest.mark.parametrize(("text", "stage"), [
    ("Formal notice Art. 258 TFEU", "letter-of-formal-notice"),
    ("Letter of formal notice Art. 226 EC", "letter-of-formal-notice"),
    ("Additional formal notice Art. 258 TFEU", "letter-of-formal-notice"),
    ("Reasoned opinion Art. 258 TFEU", "reasoned-opinion"),
    ("Additional reasoned opinion Art. 258 TFEU", "reasoned-opinion"),
    ("Referral to the Court Art. 258 TFEU", "referral"),
    ("Referral to the Court - Art. 260(3) TFEU (financial sanctions)", "referral"),
    ("Formal notice Art. 260 TFEU", "letter-of-formal-notice"),
    ("Closing of the case", "closure"),
    ("LFN", "letter-of-formal-notice"), ("RO", "reasoned-opinion"), ("RTC", "referral"), ("CLOSURES", "closure"),
    ("Withdrawal of the referral", None),
    ("Something else", None),
])
def test_stage_mapping(text, stage):
    assert infringements.stage_of(text)[0] == stage


def test_member_state_names_and_codes():
    got = [infringements.member_state_code(x) for x in
           ("Greece", "EL", "GR", "Czechia", "Czech Republic", "The Netherlands", "Luxemburg", "United Kingdom",
            "UK", "", None, "Narnia")]
    assert got == ["EL", "EL", "EL", "CZ", "CZ", "NL", "LU", None, None, None, None, None]


def test_concerned_acts_keeps_lists_and_drops_amended_acts():
    assert infringements.concerned_acts("Directives 2011/36/EU and 2012/29/EU") == (
        ["32011L0036", "32012L0029"], ["32011L0036", "32012L0029"])
    assert infringements.concerned_acts("Directive (EU) 2024/1712 amending Directive 2011/36/EU")[0] == ["32024L1712"]
    assert infringements.concerned_acts("Failure to communicate measures") == ([], [])


@pytest.mark.parametrize(("body", "error", "message"), [
    (b"", SourceError, "empty body"),
    (b"   \n", SourceError, "empty body"),
    (b"<!DOCTYPE html><html><body>The requested URL was not found</body></html>", SourceError, "HTML page"),
    (b"<html><head><title>Just a moment...</title></head><body>cf-chl</body></html>", BlockedError, "bot challenge"),
    (b'{"timestamp":"2026-10-01T10:00:00","status":500,"error":"Internal Server Error","path":"/api/decisions"}',
     SourceError, "Internal Server Error"),
    (b'{"message":"Invalid date"}', SourceError, "Invalid date"),
    (b"{not json", ParseError, "not JSON"),
    (b'{"totalRows": 3}', ParseError, "no 'records'"),
    (b'{"totalRows": "x", "records": []}', ParseError, "totalRows"),
    (b'{"totalRows": -1, "records": []}', ParseError, "negative"),
    ('{"totalRows": "\u00b9", "records": []}'.encode(), ParseError, "not a whole number"),  # found by hypothesis
    (b'{"totalRows": Infinity, "records": []}', ParseError, "not a whole number"),
    (b'{"totalRows": 1, "records": {}}', ParseError, "not a list"),
    (b'"records"', ParseError, "expected a JSON object"),
    (b"\xff\xfe{}", ParseError, "not UTF-8"),
])
def test_error_envelopes_and_malformed_bodies(body, error, message):
    with pytest.raises(error, match=message):
        infringements.parse_decisions(body)


def test_deeply_nested_json_is_a_parse_error():
    with pytest.raises(ParseError):
        infringements.parse_decisions(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.samples
@pytest.mark.skipif(not SAMPLES.is_dir() or not any(SAMPLES.glob("*.json")),
                    reason=f"no real infringement register payload at {SAMPLES} (none captured yet: "
                           "see ../shared/samples/OTHER_SOURCES.md)")
def test_real_payloads_if_captured():
    for path in sorted(SAMPLES.glob("*.json")):
        page = infringements.parse_decisions(path.read_bytes(), path.name)
        assert page.rows == len(page.decisions) + len(page.problems)
        assert all(d.stage in (*infringements.STAGES, None) for d in page.decisions)


# --- refresh ---------------------------------------------------------------------------------


def test_refresh_reads_windows_and_matches_by_celex(register, make_ctx):
    register.records = fixture_records()
    ctx = make_ctx()
    result = infringements.refresh(ctx)
    assert result.status == "ok", result.reason
    # probe + one window per year from 2004 (the oldest catalogued act) + the future window, each
    # asked for once; they are asked for at once, so only the fetches of the result are in order.
    probe = ("01/01/2004", "31/12/2100", 0)
    assert [b["size"] for b in register.bodies if (b["decisionDateFrom"], b["decisionDateTo"], b["page"]) == probe] == [
        10]
    assert ("01/01/2004", "31/12/2004", 0) in register.windows
    assert len(set(register.windows)) == len(register.windows) == 2 + (2026 - 2004 + 1)
    asked = [(f.request["json"]["decisionDateFrom"], f.request["json"]["decisionDateTo"]) for f in result.fetches]
    assert asked[:2] == [probe[:2], ("01/01/2004", "31/12/2004")] and asked[-1][1] == "31/12/2100"
    assert asked[1:] == sorted(asked[1:], key=lambda w: _dmy(w[0]))  # the windows in date order
    cov = {(c.measure_id, c.member_state): c for c in result.coverage}
    directives = [m.id for m in ctx.catalogue.measures.values() if m.celex and m.kind in ("directive", "regulation")]
    assert set(cov) == {(m, "*") for m in directives}
    assert ("pcc-operational-recommendation", "*") not in cov  # a recommendation cannot be infringed
    pcc = cov[("pcc-info-exchange-directive", "*")]
    assert pcc.status == "suspect" and "could not be read" in pcc.reason  # the record with 31/02/2025
    assert cov[("thb-directive-2011-36", "*")].status == "ok"
    assert "1 decision(s) concern states that are not EU Member States" in result.reason
    keys = {(f.measure_id, f.member_state, f.stage, f.date.isoformat()) for f in result.findings}
    assert ("pcc-info-exchange-directive", "DK", "letter-of-formal-notice", "2025-01-30") in keys
    assert ("pcc-info-exchange-directive", "SE", "closure", "2025-05-15") in keys
    assert ("thb-directive-2024-1712", "EL", "letter-of-formal-notice", "2026-01-29") in keys
    assert ("financial-information-2019-1153", "BE", "letter-of-formal-notice", "2022-01-27") in keys
    assert not any(f.measure_id == "thb-directive-2011-36" and f.member_state == "EL" for f in result.findings)
    assert not any(f.member_state is None for f in result.findings)
    dk = next(f for f in result.findings if f.key == "INFR(2025)9001|reasoned-opinion|2025-07-24")
    assert (dk.kind, dk.reference, dk.url, dk.celex) == ("infringement", "INFR(2025)9001", None, "32023L0977")
    assert dk.data["record"]["pressRelease"] == "INF/25/9999"
    assert dk.fetch is not None and dk.fetch.method == "POST" and dk.fetch.request["json"]["decisionDateFrom"] == (
        "01/01/2025")
    assert len(result.fetches) == len(register.bodies)


def test_keys_are_stable_across_runs(register, make_ctx):
    register.records = fixture_records()
    first = {f.key for f in infringements.refresh(make_ctx()).findings}
    second = {f.key for f in infringements.refresh(make_ctx()).findings}
    assert first == second and len(first) >= 10


def test_a_big_year_is_read_month_by_month_and_a_big_month_page_by_page(register, make_ctx, monkeypatch):
    monkeypatch.setattr(infringements, "PAGE_SIZE", 2)
    register.records = [
        record(f"INFR(2025)90{i:02d}", "Denmark", f"{day:02d}/03/2025", "Formal notice Art. 258 TFEU")
        for i, day in enumerate((3, 4, 5, 6, 7), start=10)
    ] + [record("INFR(2025)9020", "Austria", "10/06/2025", "Formal notice Art. 258 TFEU")]
    result = infringements.refresh(make_ctx(measure_ids=["pcc-info-exchange-directive"]))
    assert result.status == "ok", result.reason
    assert ("01/01/2025", "31/12/2025", 0) in register.windows
    assert [w for w in register.windows if w[0] == "01/03/2025"] == [
        ("01/03/2025", "31/03/2025", 0), ("01/03/2025", "31/03/2025", 1), ("01/03/2025", "31/03/2025", 2)]
    assert sorted(f.member_state for f in result.findings) == ["AT", "DK", "DK", "DK", "DK", "DK"]


def _failing_years(fake: FakeRegister, years: set[int]) -> Callable[[httpx.Request], httpx.Response]:
    """`fake`, but a broken answer for the windows that start in `years` (the probe still answers)."""

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["decisionDateTo"] != "31/12/2100" and _dmy(body["decisionDateFrom"]).year in years:
            return httpx.Response(200, content=b'{"totalRows": ')
        return fake(request)

    return answer


SCENARIOS = {
    "fixture": {},
    "months-and-pages": {"page_size": 2},  # 2025 read month by month, March page by page
    "ignored-date-filter": {"ignore_dates": True},  # every window answers everything: duplicates
    "two-failing-windows": {"failing": {2010, 2015}},  # the first failure in date order is reported
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_windows_are_read_at_once_with_the_same_result(make_ctx, tmp_path, monkeypatch, scenario):
    options = SCENARIOS[scenario]
    records = fixture_records()
    if "page_size" in options:
        monkeypatch.setattr(infringements, "PAGE_SIZE", options["page_size"])
        records = records + [
            record(f"INFR(2025)90{i:02d}", "Denmark", f"{day:02d}/03/2025", "Formal notice Art. 258 TFEU")
            for i, day in enumerate((3, 4, 5, 6, 7), start=10)]
    results, overlap, asked = {}, {}, {}
    for concurrency in (1, 4):
        fake = FakeRegister(records)
        fake.ignore_dates = options.get("ignore_dates", False)
        watch = InFlight(_failing_years(fake, options.get("failing", set())), hold=0.05 if concurrency > 1 else 0)
        with respx.mock(assert_all_called=False) as router:
            router.post(FAKE_ENDPOINT).mock(side_effect=watch)
            results[concurrency] = snapshot(infringements.refresh(
                make_ctx(http=concurrency_client(tmp_path, concurrency, f"{scenario}-{concurrency}"))))
        overlap[concurrency], asked[concurrency] = watch.max, fake.windows
    assert overlap[1] == 1 and overlap[4] > 1
    assert results[4] == results[1]
    if "failing" in options:
        assert results[1]["status"] == "failed" and "01/01/2010-31/12/2010" in results[1]["reason"]
        assert set(asked[1]) <= set(asked[4])  # at once, some later windows may be asked for as well
    else:
        assert sorted(asked[4]) == sorted(asked[1])
        assert results[1]["findings"] and len(results[1]["fetches"]) == len(asked[1])
    if scenario == "ignored-date-filter":
        assert "came back in two windows" in results[1]["reason"]


def test_counts_that_do_not_reconcile_make_the_source_suspect(register, make_ctx):
    register.records = [record("INFR(2025)9001", "Denmark", "30/01/2025", "Formal notice Art. 258 TFEU")]
    register.probe_extra = 3
    result = infringements.refresh(make_ctx())
    assert result.status == "suspect"
    assert "reports 4 decisions" in result.reason and "add up to 1" in result.reason
    assert {c.status for c in result.coverage} == {"suspect"}
    assert [f.member_state for f in result.findings] == ["DK"]  # kept, but coverage cannot show absence


def test_an_ignored_date_filter_is_noticed(register, make_ctx):
    register.records = [record("INFR(2025)9001", "Denmark", "30/01/2025", "Formal notice Art. 258 TFEU")]
    register.ignore_dates = True
    result = infringements.refresh(make_ctx(measure_ids=["pcc-info-exchange-directive"]))
    assert result.status == "suspect"
    assert "outside the window" in result.reason or "came back in two windows" in result.reason


def test_an_empty_register_is_suspect(register, make_ctx):
    result = infringements.refresh(make_ctx(measure_ids=["pcc-info-exchange-directive"]))
    assert result.status == "suspect" and "no decision at all" in result.reason
    assert [c.status for c in result.coverage] == ["suspect"]


@pytest.mark.parametrize(("status", "expected"), [(500, "HTTP 500"), (404, "HTTP 404")])
def test_outage_fails_every_measure_never_empty(register, make_ctx, status, expected):
    register.status = status
    ctx = make_ctx()
    result = infringements.refresh(ctx)
    assert result.status == "failed" and expected in result.reason
    assert result.findings == []
    assert result.coverage and {c.status for c in result.coverage} == {"failed"}
    assert {c.measure_id for c in result.coverage} >= {"pcc-info-exchange-directive", "thb-directive-2011-36"}


def test_html_and_challenge_pages_in_200(register, make_ctx):
    register.raw = b"<!DOCTYPE html><html><body><div id='app'></div></body></html>"
    result = infringements.refresh(make_ctx(measure_ids=["pcc-info-exchange-directive"]))
    assert result.status == "failed" and "HTML page" in result.reason
    register.raw = b"<html><body>Request Rejected. The requested URL was rejected.</body></html>"
    result = infringements.refresh(make_ctx(measure_ids=["pcc-info-exchange-directive"]))
    assert result.status == "blocked" and [c.status for c in result.coverage] == ["blocked"]


def test_member_state_filter_gives_per_state_coverage(register, make_ctx):
    register.records = fixture_records()
    result = infringements.refresh(make_ctx(measure_ids=["pcc-info-exchange-directive"], member_states=["DK", "EU"]))
    assert [(c.member_state, c.status) for c in result.coverage] == [("DK", "suspect")]
    assert {f.member_state for f in result.findings} == {"DK"}
    assert infringements.refresh(make_ctx(member_states=["EU"])).coverage == []


def test_nothing_to_search(make_ctx):
    result = infringements.refresh(make_ctx(measure_ids=["medicrime-ratification"]))
    assert result.status == "ok" and result.coverage == [] and "no selected directive" in result.reason


# --- import ----------------------------------------------------------------------------------


def test_parse_import_gives_findings_but_no_coverage(make_ctx):
    result = infringements.parse_import(fixture(), "decisions.json", make_ctx(http=None))
    assert result.coverage == [] and all(f.fetch is None for f in result.findings)
    assert {f.measure_id for f in result.findings} == {
        "pcc-info-exchange-directive", "thb-directive-2011-36", "thb-directive-2024-1712",
        "financial-information-2019-1153"}
    assert "could not be read" in result.reason and "concern no catalogued act" in result.reason
    only = infringements.parse_import(fixture(), "d.json", make_ctx(measure_ids=["thb-directive-2011-36"], http=None))
    assert {(f.member_state, f.stage) for f in only.findings} == {("CZ", "letter-of-formal-notice"),
                                                                  ("CZ", "referral"), ("CZ", None)}


def test_parse_import_of_bare_list_and_of_unrelated_decisions(make_ctx):
    bare = json.dumps([record("INFR(2025)9001", "Denmark", "30/01/2025", "Formal notice Art. 258 TFEU")]).encode()
    assert len(infringements.parse_import(bare, "list.json", make_ctx(http=None)).findings) == 1
    other = answer([record("INFR(2021)9008", "France", "23/09/2021", "Formal notice Art. 258 TFEU",
                           title="Directive (EU) 2019/944 electricity")])
    with pytest.raises(ParseError, match="none of the 1 decision"):
        infringements.parse_import(other, "other.json", make_ctx(http=None))


def test_cli_import(run_cli, tmp_path):
    path = tmp_path / "decisions.json"
    path.write_bytes(fixture())
    code, out, err = run_cli("import", "--source", "infringements", str(path), "--format", "json")
    assert code == 0, err
    assert "INFR(2025)9001" in out
    bad = tmp_path / "bad.json"
    bad.write_text("<html><body>oops</body></html>")
    code, _, err = run_cli("import", "--source", "infringements", str(bad))
    assert code == 2 and "HTML page" in err and "Traceback" not in err


# --- fuzzing ---------------------------------------------------------------------------------

_scalar = st.none() | st.booleans() | st.integers() | st.text(max_size=30)
_record = st.fixed_dictionaries(
    {},
    optional={
        "infringementNumber": _scalar | st.just("INFR(2025)0001"),
        "memberState": _scalar | st.sampled_from(["Greece", "EL", "GR", "Denmark", "United Kingdom"]),
        "decisionDate": _scalar | st.sampled_from(["30/01/2025", "31/02/2025", "2025-01-30", "1/1/1"]),
        "decisionType": _scalar | st.sampled_from(["Formal notice Art. 258 TFEU", "Closing of the case", "RO"]),
        "title": _scalar | st.sampled_from([PCC, "Directive 2011/36/EU and Directive", "Directive (EU) 2023/"]),
        "celexNumber": _scalar | st.lists(_scalar, max_size=3),
        "nonCommunicationCase": _scalar, "activeInfringementCase": _scalar, "caseType": _scalar,
    },
)
_answer = st.builds(
    lambda total, records: json.dumps({"totalRows": total, "records": records}).encode(),
    _scalar | st.floats(allow_nan=False), st.lists(_record | _scalar, max_size=4),
)
_json = st.recursive(
    _scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
).map(lambda v: json.dumps(v).encode())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=120), _json, _answer))
def test_parsers_raise_only_project_errors(body):
    try:
        page = infringements.parse_decisions(body)
    except (ParseError, SourceError):  # BlockedError is a SourceError
        return
    for decision in page.decisions:
        json.dumps(decision.data())
        assert decision.stage in (*infringements.STAGES, None)
        assert decision.key


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_text_helpers_never_raise(text):
    infringements.stage_of(text)
    infringements.member_state_code(text)
    infringements.concerned_acts(text)
    assert infringements.parse_date(text) is None or isinstance(infringements.parse_date(text), date)



# --- end to end: refresh -> store -> rules -> `compliance check` -------------------------------


def _transposition(run_cli) -> dict[str, Any]:  # noqa: ANN001
    code, out, err = run_cli("check", "-m", "DK", "--measure", "pcc-info-exchange-directive", "--format", "json")
    assert "Traceback" not in err and code in (0, 1, 3), err
    (data,) = json.loads(out)
    return next(a for a in data["assessments"] if a["obligation"] == "transposition")


@pytest.fixture
def e2e(tmp_path, register):
    """compliance.toml pointing the source at the fake register, with no politeness delay."""
    (tmp_path / "compliance.toml").write_text(
        f'[endpoints]\nINFRINGEMENTS = "{FAKE_ENDPOINT}"\n\n[http]\nmax_retries = 0\n\n'
        '[http.hosts."infr.test"]\nmin_interval = 0\n', "utf-8")
    from compliance.refresh.run import run_refresh
    from compliance.store.engine import Store

    settings_ = load_settings()
    cat = catalogue.load()
    store = Store.open(settings_.db_url)

    def refresh_now():
        return run_refresh(settings_, cat, store, sources=["infringements"])

    return register, refresh_now


def test_end_to_end_open_case_supersedes_curated_then_closure_ends_it(run_cli, e2e):
    register, refresh_now = e2e
    before = _transposition(run_cli)
    assert before["status"] == "infringement"  # from the curated letters of 2025 (no live source yet)
    assert {e["source"] for e in before["evidence"]} == {"curated"}

    register.records = [
        record("INFR(2025)9001", "Denmark", "30/01/2025", "Formal notice Art. 258 TFEU"),
        record("INFR(2025)9003", "Sweden", "30/01/2025", "Formal notice Art. 258 TFEU"),
    ]
    summary = refresh_now()
    assert summary.status == "ok", summary.sources
    live = _transposition(run_cli)
    assert live["status"] == "infringement" and live["rule"] == "INF-001"
    assert "INFR(2025)9001" in live["reason"] and "source infringements" in live["reason"]
    sources = [e["source"] for e in live["evidence"]]
    assert "curated" not in sources  # the live search replaced the curated facts
    [case] = [e for e in live["evidence"] if e["source"] == "infringements"]
    assert case["reference"] == "INFR(2025)9001" and case["date"] == "2025-01-30"
    assert case["stage"] == "letter-of-formal-notice" and case["sha256"] and case["retrieved_at"]

    register.records.append(record("INFR(2025)9001", "Denmark", "12/06/2025", "Closing of the case",
                                   activeInfringementCase="No"))
    assert refresh_now().status == "ok"
    closed = _transposition(run_cli)
    assert closed["status"] != "infringement"
    assert "INFR(2025)9001" not in closed["reason"]


def test_end_to_end_outage_keeps_curated_and_says_unknown_sources(run_cli, e2e):
    register, refresh_now = e2e
    register.status = 500
    summary = refresh_now()
    assert summary.status == "failed" and "HTTP 500" in summary.sources[0].reason
    after = _transposition(run_cli)
    # A failed search is not a closure: the curated case still stands, marked as curated.
    assert after["status"] == "infringement"
    assert {e["source"] for e in after["evidence"]} == {"curated"}
