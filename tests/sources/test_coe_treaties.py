"""Council of Europe Treaty Office: chart parser (CONSTRUCTED payloads: no raw one exists, see
../shared/samples/OTHER_SOURCES.md), the run-time token (environment or the public page, never in the code),
error envelopes, a refresh against respx, import, fuzzing, and the way through the rules to `check`.

The tokens used here are dummies. No test uses the network; fixtures are described in tests/fixtures/README.md.
"""

from __future__ import annotations

import json
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
from compliance.sources import SOURCES, coe_treaties
from compliance.sources.base import SourceContext
from compliance.store.archive import Archive

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "coe_treaties"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "coe"
WS = "https://coe.test/WS_LFRConventions/"
PAGE = "https://page.test/en/web/conventions/full-list?module=signatures-by-treaty&treatynum={cets}"
ENV_TOKEN = "dummy-env-token-42"
PAGE_TOKEN = "dummy-test-token-0001"  # what the constructed page carries


def chart_bytes() -> bytes:
    return (FIXTURES / "signatures_211_constructed.json").read_bytes()


def chart_doc() -> list[list[dict[str, Any]]]:
    return json.loads(chart_bytes())


def as_cets(doc: list[list[dict[str, Any]]], cets: str) -> list[list[dict[str, Any]]]:
    return [[{**row, "NumSTE": cets} for row in bucket] for bucket in doc]


class FakeTreatyOffice:
    """respx side effects: the public page (with its key) and api/signatures (wants the key)."""

    def __init__(self) -> None:
        self.charts: dict[str, Any] = {"211": chart_doc()}
        self.page_status = 200
        self.page_body = (FIXTURES / "full-list_page_constructed.html").read_bytes()
        self.chart_status = 200
        self.tokens: list[str | None] = []
        self.page_hits = 0
        self.accepted = {ENV_TOKEN, PAGE_TOKEN}
        self.page_etag: str | None = None  # sent with the page, which is then answered 304 to If-None-Match
        self.page_304 = 0

    def page(self, request: httpx.Request) -> httpx.Response:
        self.page_hits += 1
        if self.page_etag is None:
            return httpx.Response(self.page_status, content=self.page_body, headers={"content-type": "text/html"})
        if request.headers.get("if-none-match") == self.page_etag:
            self.page_304 += 1
            return httpx.Response(304, headers={"etag": self.page_etag})
        return httpx.Response(self.page_status, content=self.page_body,
                              headers={"content-type": "text/html", "etag": self.page_etag})

    def chart(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("token")
        self.tokens.append(token)
        if token not in self.accepted:
            return httpx.Response(401, json={"Message": "Authorization has been denied for this request."})
        if self.chart_status != 200:
            return httpx.Response(self.chart_status, text="error")
        assert request.url.params["langue"] == "ENG"
        doc = self.charts.get(request.url.params["numSTE"])
        return httpx.Response(200, content=doc if isinstance(doc, bytes) else json.dumps(doc).encode(),
                              headers={"content-type": "application/json; charset=utf-8"})


@pytest.fixture
def office():
    fake = FakeTreatyOffice()
    with respx.mock(assert_all_called=False) as router:
        router.get(url__startswith="https://page.test/").mock(side_effect=fake.page)
        router.get(url__startswith=WS + "api/signatures").mock(side_effect=fake.chart)
        yield fake


@pytest.fixture
def make_ctx(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_COE_TREATIES", WS)
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_COE_TREATIES_PAGE", PAGE)
    settings_ = load_settings()
    client = HttpClient(HttpSettings(max_retries=1, default_host=HostPolicy(min_interval=0)),
                        Archive(tmp_path / "archive"), sleep=lambda _s: None)

    def make(measure_ids: list[str] | None = None, member_states: list[str] | None = None,
             cat: catalogue.Catalogue | None = None, http: HttpClient | None = client) -> SourceContext:
        return SourceContext(settings=settings_, catalogue=cat or catalogue.load(), http=http,
                             member_states=member_states, measure_ids=measure_ids)

    return make


def user_convention(tmp_path: Path, cets: str = "197") -> catalogue.Catalogue:
    """The built-in catalogue plus a convention the user watches by its CETS number."""
    path = tmp_path / "conventions.yaml"
    path.write_text(
        "measures:\n"
        f"  - id: coe-convention-{cets}\n"
        f"    title: Council of Europe convention CETS No. {cets} (watched by the user)\n"
        "    kind: convention\n"
        f"    identifiers: {{cets: '{cets}'}}\n"
        "    strategy: user\n"
        "    action: watched by the user\n"
        "    obligations:\n"
        "      - {id: ratification, type: ratification, addressee: member-states, date_text: no deadline,"
        " verified: false}\n"
        "    applicability: {default: voluntary}\n"
        "    sources: ['https://www.coe.int/en/web/conventions/']\n", "utf-8")
    return catalogue.load([path])


# --- helpers ---------------------------------------------------------------------------------


def test_module_surface_and_endpoint(make_ctx, monkeypatch):
    assert coe_treaties.INFO is SOURCES["coe-treaties"] and coe_treaties.INFO.module == coe_treaties.__name__
    assert coe_treaties.endpoint(make_ctx()) == WS
    monkeypatch.delenv("COMPLIANCE_ENDPOINT_COE_TREATIES")
    assert coe_treaties.endpoint(make_ctx()) == "https://conventions-ws.coe.int/WS_LFRConventions/"


def test_no_token_is_written_in_the_source_code():
    text = Path(coe_treaties.__file__).read_text("utf-8")
    assert "conventions_api_key='" not in text.replace("`window.conventions_api_key='…'`", "")
    assert coe_treaties.token_from_page(text) is None


@pytest.mark.parametrize(("raw", "cets"), [("211", "211"), ("CETS 211", "211"), ("ETS No. 5", "005"), (5, "005"),
                                           ("CETS No. 197", "197")])
def test_normalise_cets(raw, cets):
    assert coe_treaties.normalise_cets(raw) == cets


@pytest.mark.parametrize("raw", ["", "21a", "1234", None, "CETS", [211]])
def test_normalise_cets_rejects(raw):
    with pytest.raises(ValueError):
        coe_treaties.normalise_cets(raw)


def test_token_from_page():
    page = (FIXTURES / "full-list_page_constructed.html").read_text("utf-8")
    assert coe_treaties.token_from_page(page) == PAGE_TOKEN
    assert coe_treaties.token_from_page('window.conventions_api_key="abc12345XYZ";') == "abc12345XYZ"
    assert coe_treaties.token_from_page("<html>You need to enable JavaScript</html>") is None
    assert coe_treaties.token_from_page("window.conventions_api_key='<b>';") is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("2016-06-15T00:00:00", date(2016, 6, 15)), ("2016-06-15", date(2016, 6, 15)),
    ("15/06/2016", date(2016, 6, 15)), ("/Date(1465941600000+0200)/", date(2016, 6, 15)),
    ("/Date(1465948800000)/", date(2016, 6, 15)), ("2016-02-30T00:00:00", None), ("soon", None), (None, None),
    (20160615, None),
])
def test_parse_date(raw, expected):
    assert coe_treaties.parse_date(raw) == expected


# --- the chart parser ------------------------------------------------------------------------


def test_parse_constructed_chart():
    chart = coe_treaties.parse_chart(chart_bytes(), "211")
    assert chart.cets == "211" and chart.member_rows == 31 and len(chart.rows) == 34
    eu = {r.member_state: r for r in chart.rows if r.member_state}
    assert len(eu) == 27  # by English name first: "Czech Republic", "Slovak Republic", ROM, SLO, POR ...
    assert (eu["BG"].code, eu["CZ"].name, eu["SK"].name, eu["EL"].code) == (
        "BUL", "Czech Republic", "Slovak Republic", "GRE")
    fr = eu["FR"]
    assert (fr.dates["signature"], fr.dates["consent"], fr.dates["entry_into_force"]) == (
        date(2011, 10, 28), date(2016, 6, 15), date(2016, 10, 1))
    assert fr.flags == ["D"] and fr.notes == []
    others = [r for r in chart.rows if not r.member_state]
    assert {r.name for r in others} == {"Norway", "Ukraine", "Türkiye", "Switzerland", "Israel", "Morocco",
                                        "European Union"}
    assert {r.bucket for r in others if r.name == "European Union"} == {"organisations"}


def test_flat_list_of_rows_is_accepted():
    rows = chart_doc()[0][:3]
    chart = coe_treaties.parse_chart(json.dumps(rows).encode())
    assert chart.cets == "211" and [r.member_state for r in chart.rows] == ["AT", "BE", "BG"]


@pytest.mark.parametrize(("body", "error", "message"), [
    (b"", SourceError, "empty body"),
    (b'{"Message":"Authorization has been denied for this request."}', SourceError, "denied"),
    (b'{"Message":"An error has occurred."}', SourceError, "error has occurred"),
    (b'{"rows": []}', ParseError, "got an object"),
    (b"<!DOCTYPE html><html><body>You need to enable JavaScript to run this app.</body></html>", SourceError,
     "HTML page"),
    (b"<html><head><title>Just a moment...</title></head></html>", BlockedError, "bot challenge"),
    (b"[[], [], [], []]", ParseError, "4 buckets"),
    (b"[[1]]", ParseError, "not an object"),
    (b'[[{"NumSTE": "211"}]]', ParseError, "neither LibPaysOrga nor CodePays"),
    (b'[[{"LibPaysOrga": "France", "NumSTE": "210"}]]', ParseError, "rows are for CETS 210"),
    (b'[[{"LibPaysOrga": "France", "NumSTE": "211"}, {"LibPaysOrga": "Spain", "NumSTE": "197"}]]', ParseError,
     "several treaties"),
    (b'[[{"LibPaysOrga": "France", "NumSTE": "abc"}]]', ParseError, "not a CETS number"),
    (b"42", ParseError, "expected a list"),
    (b"[[", ParseError, "not JSON"),
    (b"\xff\xfe[]", ParseError, "not UTF-8"),
])
def test_error_envelopes_and_malformed_charts(body, error, message):
    with pytest.raises(error, match=message):
        coe_treaties.parse_chart(body, "211")


@pytest.mark.samples
@pytest.mark.skipif(not SAMPLES.is_dir() or not any(SAMPLES.glob("*.json")),
                    reason=f"no raw Treaty Office payload at {SAMPLES} (none captured yet: "
                           "see ../shared/samples/OTHER_SOURCES.md)")
def test_real_charts_if_captured():
    for path in sorted(SAMPLES.glob("*.json")):
        chart = coe_treaties.parse_chart(path.read_bytes())
        assert chart.member_rows > 0 and any(r.member_state for r in chart.rows)


# --- refresh ---------------------------------------------------------------------------------


def test_refresh_with_token_from_environment(office, make_ctx, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_COE_TOKEN", ENV_TOKEN)
    result = coe_treaties.refresh(make_ctx())
    assert result.status == "ok", result.reason
    assert office.page_hits == 0 and office.tokens == [ENV_TOKEN]
    assert [(c.measure_id, c.member_state, c.status) for c in result.coverage] == [
        ("medicrime-ratification", "*", "ok")]
    assert "27 EU Member States listed, 8 with ratification/accession" in result.coverage[0].reason
    items = {(f.member_state, f.kind): f for f in result.findings}
    fr = items[("FR", "ratification")]
    assert (fr.key, fr.date, fr.reference, fr.measure_id) == (
        "CETS 211|FR|ratification", date(2016, 6, 15), "CETS 211", "medicrime-ratification")
    assert fr.url.endswith("module=signatures-by-treaty&treatynum=211")
    assert fr.data["entry_into_force"] == "2016-10-01" and fr.data["signature"] == "2011-10-28"
    assert fr.data["record"]["CodePays"] == "FRA"
    assert items[("FR", "signature")].date == date(2011, 10, 28)
    assert ("DE", "signature") in items and ("DE", "ratification") not in items
    assert not any(f.member_state in (None, "NO", "UA") for f in result.findings)
    assert {f.member_state for f in result.findings if f.kind == "ratification"} == {
        "BE", "HR", "CY", "FR", "HU", "PT", "SI", "ES"}
    # The token never reaches the request record, the fetch or the reason.
    [fetch] = result.fetches
    assert fetch.request["headers"]["token"] == "REDACTED"
    assert ENV_TOKEN not in json.dumps(fetch.request) + fetch.url + (result.reason or "")


def test_refresh_reads_the_token_from_the_public_page(office, make_ctx):
    result = coe_treaties.refresh(make_ctx())
    assert result.status == "ok", result.reason
    assert office.page_hits == 1 and office.tokens == [PAGE_TOKEN]
    assert len(result.fetches) == 1  # the page is not evidence: only the chart is cited
    assert PAGE_TOKEN not in json.dumps(result.fetches[0].request) + (result.reason or "")


def test_the_page_is_asked_for_conditionally_and_a_refused_old_token_read_again(office, make_ctx, tmp_path):
    """A 304 for the page means its key is the last run's; when the service no longer takes it, the page
    is read once more unconditionally (here a server whose ETag did not follow a new key)."""
    from compliance.http import PreviousFetch

    stored: dict[str, PreviousFetch] = {}
    client = HttpClient(HttpSettings(max_retries=0, default_host=HostPolicy(min_interval=0)),
                        Archive(tmp_path / "archive-conditional"), lambda _s, _u, key: stored.get(key),
                        sleep=lambda _s: None)

    def run() -> object:
        result = coe_treaties.refresh(make_ctx(http=client))
        for fr in client.responses("coe-treaties"):
            stored[fr.request_key] = PreviousFetch(fr.etag, fr.last_modified, fr.sha256, fr.content_type)
        return result

    office.page_etag = '"page-v1"'
    assert run().status == "ok" and office.page_304 == 0
    assert run().status == "ok" and office.page_304 == 1 and office.tokens[-1] == PAGE_TOKEN
    office.accepted = {"dummy-test-token-0002"}
    office.page_body = office.page_body.replace(PAGE_TOKEN.encode(), b"dummy-test-token-0002")
    result = run()
    assert result.status == "ok", result.reason
    assert office.page_304 == 2 and office.tokens[-2:] == [PAGE_TOKEN, "dummy-test-token-0002"]
    assert len([c for c in result.coverage if c.measure_id == "medicrime-ratification"]) == len(
        {c.member_state for c in result.coverage})  # the refused attempt left nothing behind


@pytest.mark.parametrize(("status", "body", "why"), [
    (403, b"<html><title>Attention Required! | Cloudflare</title></html>", "could not be read"),
    (200, b"<html><body>You need to enable JavaScript to run this app.</body></html>", "no longer carries"),
])
def test_no_token_obtainable_is_unavailable(office, make_ctx, status, body, why):
    office.page_status, office.page_body = status, body
    result = coe_treaties.refresh(make_ctx())
    assert result.status == "unavailable" and why in result.reason and "COMPLIANCE_COE_TOKEN" in result.reason
    assert [(c.measure_id, c.status) for c in result.coverage] == [("medicrime-ratification", "unavailable")]
    assert result.findings == [] and office.tokens == []


def test_no_token_without_http(make_ctx):
    result = coe_treaties.refresh(make_ctx(http=None))
    assert result.status == "unavailable" and [c.status for c in result.coverage] == ["unavailable"]


def test_rejected_token_is_unavailable(office, make_ctx, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_COE_TOKEN", "dummy-expired-token")
    result = coe_treaties.refresh(make_ctx())
    assert result.status == "unavailable" and "refused the token (HTTP 401)" in result.reason
    assert "dummy-expired-token" not in result.reason


def test_server_error_fails(office, make_ctx, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_COE_TOKEN", ENV_TOKEN)
    office.chart_status = 500
    result = coe_treaties.refresh(make_ctx())
    assert result.status == "failed" and "HTTP 500" in result.reason
    assert [c.status for c in result.coverage] == ["failed"] and result.findings == []


@pytest.mark.parametrize("doc", [[[], [{"LibPaysOrga": "Israel", "NumSTE": "211"}], []], [], [[]]])
def test_a_chart_without_member_states_is_suspect(office, make_ctx, monkeypatch, doc):
    monkeypatch.setenv("COMPLIANCE_COE_TOKEN", ENV_TOKEN)
    office.charts["211"] = doc
    result = coe_treaties.refresh(make_ctx())
    assert result.status == "suspect" and "lists no member state" in result.reason
    assert [(c.member_state, c.status) for c in result.coverage] == [("*", "suspect")]


def test_a_missing_or_unreadable_state_is_suspect_for_that_state_only(office, make_ctx, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_COE_TOKEN", ENV_TOKEN)
    doc = chart_doc()
    doc[0] = [r for r in doc[0] if r["LibPaysOrga"] != "Malta"]
    for row in doc[0]:
        if row["LibPaysOrga"] == "Spain":
            row["DateConsentement"] = "in 2015"
    office.charts["211"] = doc
    result = coe_treaties.refresh(make_ctx())
    assert result.status == "ok"
    cov = {c.member_state: c for c in result.coverage}
    assert len(cov) == 27 and "*" not in cov
    assert (cov["MT"].status, cov["MT"].reason) == ("suspect", "MT is not listed in the chart")
    assert cov["ES"].status == "suspect" and "'in 2015' is not a date" in cov["ES"].reason
    assert cov["FR"].status == "ok"
    assert not any(f.member_state == "ES" and f.kind == "ratification" for f in result.findings)


def test_a_denunciation_that_took_effect_replaces_the_ratification(office, make_ctx, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_COE_TOKEN", ENV_TOKEN)
    doc = chart_doc()
    for row in doc[0]:
        if row["LibPaysOrga"] == "Portugal":
            row["DateDenonciation"], row["DateEffetDenonciation"] = "2022-01-10T00:00:00", "2022-07-01T00:00:00"
    office.charts["211"] = doc
    kinds = {f.kind for f in coe_treaties.refresh(make_ctx()).findings if f.member_state == "PT"}
    assert kinds == {"signature", "denunciation"}


def test_user_added_convention_is_read_too(office, make_ctx, monkeypatch, tmp_path):
    monkeypatch.setenv("COMPLIANCE_COE_TOKEN", ENV_TOKEN)
    office.charts["197"] = as_cets(chart_doc(), "197")
    result = coe_treaties.refresh(make_ctx(cat=user_convention(tmp_path)))
    assert result.status == "ok", result.reason
    assert {(c.measure_id, c.member_state, c.status) for c in result.coverage} == {
        ("medicrime-ratification", "*", "ok"), ("coe-convention-197", "*", "ok")}
    assert {f.reference for f in result.findings} == {"CETS 211", "CETS 197"}
    assert "CETS 197|FR|ratification" in {f.key for f in result.findings if f.measure_id == "coe-convention-197"}


def test_one_broken_chart_does_not_stop_the_others(office, make_ctx, monkeypatch, tmp_path):
    monkeypatch.setenv("COMPLIANCE_COE_TOKEN", ENV_TOKEN)
    office.charts["197"] = b"{not json"
    result = coe_treaties.refresh(make_ctx(cat=user_convention(tmp_path)))
    cov = {c.measure_id: c for c in result.coverage}
    assert cov["coe-convention-197"].status == "failed" and "unexpected payload" in cov["coe-convention-197"].reason
    assert cov["medicrime-ratification"].status == "ok" and result.status == "ok"


def test_member_state_filter(office, make_ctx, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_COE_TOKEN", ENV_TOKEN)
    result = coe_treaties.refresh(make_ctx(member_states=["FR", "DE"]))
    assert [(c.member_state, c.status) for c in result.coverage] == [("FR", "ok"), ("DE", "ok")]
    assert {f.member_state for f in result.findings} == {"FR", "DE"}
    assert coe_treaties.refresh(make_ctx(measure_ids=["thb-directive-2011-36"])).coverage == []


# --- import ----------------------------------------------------------------------------------


def test_parse_import(make_ctx, tmp_path):
    result = coe_treaties.parse_import(chart_bytes(), "chart.json", make_ctx(http=None))
    assert result.coverage == [] and all(f.fetch is None for f in result.findings)
    assert ("FR", "ratification") in {(f.member_state, f.kind) for f in result.findings}
    unknown = json.dumps(as_cets(chart_doc(), "999")).encode()
    with pytest.raises(ParseError, match="CETS 999"):
        coe_treaties.parse_import(unknown, "c.json", make_ctx(http=None))
    bare = json.dumps([{k: v for k, v in r.items() if k != "NumSTE"} for r in chart_doc()[0]]).encode()
    with pytest.raises(ParseError, match="carry no NumSTE"):
        coe_treaties.parse_import(bare, "b.json", make_ctx(http=None))
    chosen = coe_treaties.parse_import(bare, "b.json", make_ctx(measure_ids=["medicrime-ratification"], http=None))
    assert {f.reference for f in chosen.findings} == {"CETS 211"}


def test_cli_import(run_cli, tmp_path):
    path = tmp_path / "chart.json"
    path.write_bytes(chart_bytes())
    code, out, err = run_cli("import", "--source", "coe-treaties", str(path), "--format", "json")
    assert code == 0, err
    assert "CETS 211" in out
    bad = tmp_path / "bad.json"
    bad.write_text('{"Message": "An error has occurred."}')
    code, _, err = run_cli("import", "--source", "coe-treaties", str(bad))
    assert code == 2 and "error has occurred" in err and "Traceback" not in err


# --- fuzzing ---------------------------------------------------------------------------------

_scalar = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
_row = st.fixed_dictionaries({}, optional={
    "CodePays": _scalar | st.sampled_from(["FRA", "BUL", "EL", "UE"]),
    "LibPaysOrga": _scalar | st.sampled_from(["France", "Czech Republic", "European Union"]),
    "NumSTE": _scalar | st.sampled_from(["211", "0211", "CETS 211"]),
    "DateSignature": _scalar | st.sampled_from(["2011-10-28T00:00:00", "/Date(99999999999999)/", "30/02/2011"]),
    "DateConsentement": _scalar | st.sampled_from(["2016-06-15T00:00:00", "/Date(-1)/"]),
    "DateEffetDenonciation": _scalar, "Reserves": _scalar,
})
_chart = st.lists(st.lists(_row | _scalar, max_size=4) | _row, max_size=4).map(lambda v: json.dumps(v).encode())
_json = st.recursive(
    _scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
).map(lambda v: json.dumps(v).encode())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=120), _json, _chart))
def test_parser_raises_only_project_errors(body):
    try:
        chart = coe_treaties.parse_chart(body, "211")
    except (ParseError, SourceError):  # BlockedError is a SourceError
        return
    cat = catalogue.load()
    for row in chart.rows:
        json.dumps(row.data("211"))
        for item in coe_treaties.row_items(row, "211", cat.measures["medicrime-ratification"], date(2026, 11, 22),
                                           None):
            assert item.member_state and item.key.startswith("CETS 211|")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_text_helpers_never_raise(text):
    coe_treaties.token_from_page(text)
    coe_treaties.parse_date(text)
    coe_treaties.eu_code(text, text)


# --- end to end: refresh -> store -> rules -> `compliance check` -------------------------------


def _ratification(run_cli, ms: str) -> dict[str, Any]:  # noqa: ANN001
    code, out, err = run_cli("check", "-m", ms, "--measure", "medicrime-ratification", "--format", "json")
    assert "Traceback" not in err and code in (0, 1, 3), err
    return json.loads(out)[0]["assessments"][0]


def test_end_to_end_france_ratified(run_cli, office, tmp_path, monkeypatch):
    (tmp_path / "compliance.toml").write_text(
        f'[endpoints]\nCOE_TREATIES = "{WS}"\n\n[http]\nmax_retries = 0\n\n'
        '[http.hosts."coe.test"]\nmin_interval = 0\n', "utf-8")
    monkeypatch.setenv("COMPLIANCE_COE_TOKEN", ENV_TOKEN)
    from sqlalchemy import select

    from compliance.refresh.run import run_refresh
    from compliance.store import tables
    from compliance.store.engine import Store

    before = _ratification(run_cli, "FR")
    assert before["status"] == "met" and {e["source"] for e in before["evidence"]} == {"curated"}

    settings_ = load_settings()
    store = Store.open(settings_.db_url)
    summary = run_refresh(settings_, catalogue.load(), store, sources=["coe-treaties"])
    assert summary.status == "ok", summary.sources

    fr = _ratification(run_cli, "FR")
    assert fr["status"] == "met" and fr["reason"] == "ratified on 2016-06-15"
    [ev] = fr["evidence"]
    assert (ev["source"], ev["reference"], ev["date"], ev["kind"]) == (
        "coe-treaties", "CETS 211", "2016-06-15", "ratification")
    assert ev["sha256"] and ev["url"].endswith("treatynum=211")
    de = _ratification(run_cli, "DE")  # signed, not ratified, and the chart was read completely
    assert de["status"] == "not-due" and "signed, not ratified" in de["reason"]
    with store.session() as session:
        requests = [row.request for row in session.execute(select(tables.Fetch)).scalars()]
    assert requests and all(ENV_TOKEN not in r for r in requests)
