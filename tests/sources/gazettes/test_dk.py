"""Denmark (Retsinformation): LexDania and harvest parsers, service hours, the 10-second pace,
a refresh against respx, imports, and fuzzing. No test uses the network."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.errors import ComplianceError, ParseError, SourceError
from compliance.sources import SOURCES
from compliance.sources.gazettes import dk
from compliance.sources.gazettes._runs import Pacer

from .conftest import fixture_bytes, needs_samples, sample

REAL = "retsinformation-eli-lta-2024-227-lexdania.xml"
API = "https://api.retsinformation.dk"
WWW = "https://www.retsinformation.dk"
# 2026-06-12 10:00 in Copenhagen (CEST, UTC+2): inside the service hours.
OPEN_NOW = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)


def lov() -> bytes:
    return fixture_bytes("gazette-dk", "lov_eu-note_constructed.xml")


class FakeClock:
    """A monotonic clock that only moves when the pacer sleeps; records every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def pace(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(dk, "HARVEST_PACER", Pacer(dk.HARVEST_INTERVAL, fake.clock, fake.sleep))
    monkeypatch.setattr(dk, "_now", lambda: OPEN_NOW)
    return fake


# --- module surface ------------------------------------------------------------------------------


def test_module_is_the_registered_source():
    assert dk.INFO is SOURCES["gazette-dk"]
    assert dk.INFO.module == dk.__name__
    assert dk.ENDPOINT_NAME in dk.INFO.endpoint_names
    assert dk.HARVEST_INTERVAL >= 10 and dk.HARVEST_DAYS == 10


# --- LexDania ------------------------------------------------------------------------------------


@pytest.mark.samples
@needs_samples("dk")
def test_parse_real_lexdania_sample():
    act = dk.parse_lexdania(sample("dk", REAL))
    assert act.key == "https://www.retsinformation.dk/eli/lta/2024/227"
    assert act.url == act.key
    assert act.title == "Bekendtgørelse om beregning af og fradrag i fleksløntilskud"
    assert act.type == "BEK"
    assert act.data["document_type"] == "BEK H#LOKDOK04"
    assert act.data["accession_number"] == "B20240022705"
    assert (act.adopted, act.published, act.in_force) == (date(2024, 3, 7), date(2024, 3, 7), date(2024, 3, 7))
    assert act.data["status"] == "Historic"
    assert act.data["announced_in"] == "Lovtidende A"
    assert act.reference == "BEK nr. 227 af 07/03/2024"
    assert act.references == []  # the sample has no EU note (SOURCES.md says so)
    assert act.consolidated is False
    assert act.date() == (date(2024, 3, 7), "publication")
    json.dumps(act.describe())


def test_parse_constructed_lexdania_with_eu_note():
    act = dk.parse_lexdania(lov())
    assert act.key == "https://www.retsinformation.dk/eli/lta/2026/9991"
    assert act.type == "LOV"
    assert (act.adopted, act.published, act.in_force) == (date(2026, 6, 10), date(2026, 6, 12), date(2026, 7, 1))
    bases = {c: sorted(b) for c, b in act.bases.items()}
    assert bases == {
        "32024L1712": ["eu-note"],  # "… der gennemfører dele af … direktiv (EU) 2024/1712"
        "32024L1260": ["eu-note"],  # second directive of the same note
        "32011L0036": ["text"],  # only named in the title of 2024/1712 ("om ændring af direktiv 2011/36/EU")
        "32009L0052": ["text"],  # named in a provision (§ 1), not in the note
    }
    assert act.data["eu_note_references"] == ["32024L1260", "32024L1712"]


def test_findings_are_one_per_catalogued_act_and_mentions_are_citations(make_ctx):
    ctx = make_ctx()
    items = dk.findings_for(dk.parse_lexdania(lov()), ctx, None)
    got = {f.measure_id: f for f in items}
    assert set(got) == {"thb-directive-2024-1712", "asset-recovery", "thb-directive-2011-36",
                        "employers-sanctions-2009-52"}
    assert got["thb-directive-2024-1712"].kind == "national-measure"
    assert got["asset-recovery"].kind == "national-measure"
    assert got["thb-directive-2011-36"].kind == "citation"
    assert got["employers-sanctions-2009-52"].kind == "citation"
    f = got["thb-directive-2024-1712"]
    assert (f.member_state, f.date) == ("DK", date(2026, 6, 12))
    assert f.key == "https://www.retsinformation.dk/eli/lta/2026/9991"
    assert f.title.startswith("Lov om ændring af straffeloven")
    assert f.reference == "LOV nr. 9991 af 10/06/2026"
    assert f.data["references"] == ["32009L0052", "32011L0036", "32024L1260", "32024L1712"]
    assert f.data["directive"] == "32024L1712" and f.data["basis"] == ["eu-note"]
    assert f.data["dates"] == {"adoption": "2026-06-10", "publication": "2026-06-12", "entry_into_force": "2026-07-01"}
    json.dumps([i.data for i in items])


def test_consolidated_lbk_has_no_date():
    body = lov().replace(b"LOV H#LOKDOK01", b"LBK H#LOKDOK02")
    act = dk.parse_lexdania(body)
    assert act.consolidated and act.date()[0] is None
    assert act.describe()["dates"]["publication"] == "2026-06-12"  # kept in data


def test_document_outside_lovtidende_a_is_keyed_by_accession():
    body = lov().replace(b"<AnnouncedIn>Lovtidende A</AnnouncedIn>", b"<AnnouncedIn>Ministerialtidende</AnnouncedIn>")
    assert dk.parse_lexdania(body).key == "https://www.retsinformation.dk/eli/accn/A20269990001"


@pytest.mark.parametrize("body, message", [
    (b"", "empty"),
    (b"<html><body>Vedligeholdelse</body></html>", "not a LexDania document"),
    (b"<Dokument><Titel/></Dokument>", "without <Meta>"),
    (b"<Dokument><Meta><Year>2024</Year></Meta></Dokument>", "no stable id"),
    (b"<Dokument><Meta>", "not well-formed"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><Dokument>&e;</Dokument>', "unsafe XML"),
    (b"\xff\xfe<Dokument/>", "not well-formed"),
])
def test_bad_lexdania_is_a_parse_error(body, message):
    with pytest.raises(ParseError, match=message):
        dk.parse_lexdania(body)


def test_eli_metadata_transposes():
    parsed = dk.parse_eli_metadata(fixture_bytes("gazette-dk", "eli-metadata_transposes_constructed.json"))
    assert parsed["celex"] == ["32024L1260", "32024L1712"]
    assert "https://www.retsinformation.dk/eli/lta/2025/1111" not in parsed["values"]  # eli:changes is not read
    assert dk.parse_eli_metadata(b'{"eli:title": "x"}') == {"values": [], "celex": []}


# --- harvest list --------------------------------------------------------------------------------


def test_parse_constructed_harvest():
    listed = dk.parse_harvest(fixture_bytes("gazette-dk", "harvest_constructed.json"), "2026-06-12")
    assert [i.accession for i in listed.items] == ["A20269990001", "B20240022705", "B20269990003"]
    assert listed.items[1].accession == "B20240022705"  # taken from the href when the field is missing
    assert listed.items[2].reason == "RemovedDocument"
    assert listed.items[0].document_type == "LOV" and listed.items[0].harvest_date == "2026-06-12"
    assert listed.notes == ["item 3: no usable accession number (none); skipped"]
    assert dk.parse_harvest(b"[]").items == []  # nothing changed that day: valid


@pytest.mark.parametrize("body, error, message", [
    (b'{"message": "The API is closed"}', SourceError, "error answer: The API is closed"),
    (b'{"documents": []}', ParseError, "expected a JSON array"),
    (b"[1]", ParseError, "item 0 is not an object"),
    (b"<html>Bad Request</html>", ParseError, "instead of JSON"),
    (b"", ParseError, "empty"),
    (b"[", ParseError, "not JSON"),
])
def test_bad_harvest_answers(body, error, message):
    with pytest.raises(error, match=message):
        dk.parse_harvest(body)


# --- service hours -------------------------------------------------------------------------------


@pytest.mark.parametrize("utc, is_open", [
    (datetime(2026, 6, 12, 0, 59, tzinfo=UTC), False),  # 02:59 CEST
    (datetime(2026, 6, 12, 1, 0, tzinfo=UTC), True),  # 03:00 CEST
    (datetime(2026, 6, 12, 21, 44, tzinfo=UTC), True),  # 23:44 CEST
    (datetime(2026, 6, 12, 21, 45, tzinfo=UTC), False),  # 23:45 CEST
    (datetime(2026, 1, 12, 2, 0, tzinfo=UTC), True),  # 03:00 CET (winter: UTC+1)
    (datetime(2026, 1, 12, 1, 59, tzinfo=UTC), False),  # 02:59 CET
    (datetime(2026, 1, 12, 22, 50, tzinfo=UTC), False),  # 23:50 CET
])
def test_service_hours_in_danish_time(utc, is_open):
    reason = dk.closed_reason(dk.danish_time(utc))
    assert (reason is None) is is_open
    if reason:
        assert "03:00-23:45 Danish time" in reason and "Europe/Copenhagen" in reason


def test_harvest_dates_are_the_last_ten_days():
    days = dk.harvest_dates(date(2026, 6, 12))
    assert len(days) == 10 and days[0] == date(2026, 6, 3) and days[-1] == date(2026, 6, 12)


def test_outside_hours_is_unavailable_not_empty(make_ctx, monkeypatch):
    monkeypatch.setattr(dk, "_now", lambda: datetime(2026, 6, 12, 22, 0, tzinfo=UTC))  # 00:00 in Copenhagen
    with respx.mock(assert_all_called=False) as router:
        route = router.route(host="api.retsinformation.dk").mock(return_value=httpx.Response(200, json=[]))
        result = dk.refresh(make_ctx())
    assert route.call_count == 0
    assert result.status == "unavailable"
    assert "03:00-23:45 Danish time" in result.reason and "2026-06-13 00:00" in result.reason
    assert result.findings == [] and result.coverage == [] and result.fetches == []


# --- refresh -------------------------------------------------------------------------------------


def mock_retsinformation(router, *, harvest=None, documents=None, eli=None):  # noqa: ANN001
    """Harvest answers per date (default []), document XML per accession, ELI JSON per 'y/n'."""
    harvest, documents, eli = harvest or {}, documents or {}, eli or {}
    calls: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/Documents"
        day = request.url.params["date"]
        calls.append(day)
        answer = harvest.get(day, [])
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)

    def www(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/eli/accn/") and path.endswith("/xml"):
            accn = path.split("/")[3]
            answer = documents.get(accn, httpx.Response(404))
            return answer if isinstance(answer, httpx.Response) else httpx.Response(
                200, content=answer, headers={"content-type": "application/xml"})
        if path.startswith("/eli/lta/") and path.endswith(".json"):
            answer = eli.get(path[len("/eli/lta/"):-len(".json")], httpx.Response(404))
            return answer if isinstance(answer, httpx.Response) else httpx.Response(
                200, content=answer, headers={"content-type": "application/json"})
        raise AssertionError(f"unexpected request {request.url}")

    router.route(host="api.retsinformation.dk").mock(side_effect=api)
    router.route(host="www.retsinformation.dk").mock(side_effect=www)
    return calls


def harvest_item(accn: str, reason: str = "New") -> dict:
    return {"documentId": accn, "accessionsnummer": accn, "reasonForChange": reason,
            "changeDate": "2026-06-12T06:00:00", "documentType": {"id": 1, "shortName": "LOV"},
            "href": f"{WWW}/eli/accn/{accn}/xml"}


def test_refresh_harvests_paced_reads_documents_and_emits_no_coverage(make_ctx, pace):
    with respx.mock(assert_all_called=False) as router:
        calls = mock_retsinformation(
            router,
            harvest={"2026-06-11": [harvest_item("A20269990001")],
                     "2026-06-12": [harvest_item("A20269990001"), harvest_item("B20269990003", "RemovedDocument")]},
            documents={"A20269990001": lov()},
            eli={"2026/9991": fixture_bytes("gazette-dk", "eli-metadata_transposes_constructed.json")},
        )
        ctx = make_ctx()
        result = dk.refresh(ctx)
    assert result.status == "ok", result.reason
    assert calls == [f"2026-06-{d:02d}" for d in range(3, 13)]  # ten days, oldest first
    # ONE call per 10 s: every harvest call after the first waited out the interval.
    assert len(pace.sleeps) == 9 and all(s >= 10 for s in pace.sleeps)
    assert result.coverage == []  # the harvest can never show an absence
    assert "no coverage" in result.reason and "10 of 10 days" in result.reason
    got = {f.measure_id: f for f in result.findings}
    assert got["thb-directive-2024-1712"].kind == "national-measure"
    assert got["asset-recovery"].kind == "national-measure"
    assert set(got["asset-recovery"].data["basis"]) == {"eu-note", "eli-transposes"}
    f = got["thb-directive-2024-1712"]
    assert f.fetch is not None and f.fetch.source == "gazette-dk"
    assert f.fetch.url == f"{WWW}/eli/accn/A20269990001/xml" and f.fetch.sha256
    assert f.data["harvest"]["reason_for_change"] == "New"
    assert f.data["eli_metadata"]["transposes"] == ["http://data.europa.eu/eli/dir/2024/1260/oj",
                                                    "http://data.europa.eu/eli/dir/2024/1712/oj"]
    assert len(result.fetches) == 10 + 2  # ten harvest days, one XML, one ELI JSON (removed doc not read)
    assert all(f.fetch is not None for f in result.findings)


def test_pacer_waits_between_refreshes_too():
    fake = FakeClock()
    pacer = Pacer(10.0, fake.clock, fake.sleep)
    pacer.wait()
    fake.now += 4
    pacer.wait()
    assert fake.sleeps == [6.0]
    fake.now += 30
    pacer.wait()
    assert fake.sleeps == [6.0]  # the interval had passed: no wait


def test_harvest_400_is_unavailable(make_ctx, pace):
    with respx.mock(assert_all_called=False) as router:
        mock_retsinformation(router, harvest={f"2026-06-{d:02d}": httpx.Response(400) for d in range(3, 13)})
        result = dk.refresh(make_ctx())
    assert result.status == "unavailable"
    assert "HTTP 400" in result.reason and "service hours" in result.reason


def test_window_closing_mid_run_stops_and_says_so(make_ctx, pace, monkeypatch):
    times = iter([datetime(2026, 6, 12, 21, 44, tzinfo=UTC)] * 4 + [datetime(2026, 6, 12, 21, 45, tzinfo=UTC)] * 20)
    monkeypatch.setattr(dk, "_now", lambda: next(times))
    with respx.mock(assert_all_called=False) as router:
        calls = mock_retsinformation(router)
        result = dk.refresh(make_ctx())
    assert len(calls) == 2  # initial check + date, then two calls, then 23:45
    assert result.status == "unavailable"
    assert "8 harvest day(s)" in result.reason and "23:45" in result.reason


def test_failed_document_fails_the_run_but_keeps_other_findings(make_ctx, pace):
    with respx.mock(assert_all_called=False) as router:
        mock_retsinformation(
            router,
            harvest={"2026-06-12": [harvest_item("A20269990001"), harvest_item("A20269990002")]},
            documents={"A20269990001": lov(), "A20269990002": httpx.Response(500)},
        )
        result = dk.refresh(make_ctx())
    assert result.status == "failed"
    assert "1 document(s) could not be read" in result.reason and "A20269990002" in result.reason
    assert {f.measure_id for f in result.findings} >= {"thb-directive-2024-1712"}
    assert result.coverage == []


def test_failed_eli_metadata_keeps_the_document(make_ctx, pace):
    with respx.mock(assert_all_called=False) as router:
        mock_retsinformation(router, harvest={"2026-06-12": [harvest_item("A20269990001")]},
                             documents={"A20269990001": lov()}, eli={"2026/9991": b"<html>oops</html>"})
        result = dk.refresh(make_ctx())
    assert result.status == "ok", result.reason
    f = next(f for f in result.findings if f.measure_id == "asset-recovery")
    assert "error" in f.data["eli_metadata"] and f.data["basis"] == ["eu-note"]


def test_other_member_states_or_no_client(make_ctx, pace):
    result = dk.refresh(make_ctx(member_states=["AT"]))
    assert result.status == "ok" and "not among the selected" in result.reason and not result.fetches
    with pytest.raises(SourceError) as err:
        dk.refresh(make_ctx(http=None))
    assert err.value.status == "unavailable"


def test_endpoints_are_configurable(make_ctx, pace, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_DK", "http://replay.test/dk-api/")
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_DK_ELI", "http://replay.test/dk-www")
    from compliance.config.settings import load_settings

    ctx = make_ctx()
    ctx.settings = load_settings()
    assert dk.endpoint(ctx) == "http://replay.test/dk-api"
    assert dk.eli_endpoint(ctx) == "http://replay.test/dk-www"


# --- import --------------------------------------------------------------------------------------


def test_import_constructed_document(make_ctx):
    result = dk.parse_import(lov(), "lov.xml", make_ctx(http=None))
    assert {f.measure_id for f in result.findings if f.kind == "national-measure"} == {
        "thb-directive-2024-1712", "asset-recovery"}
    assert result.coverage == [] and all(f.fetch is None for f in result.findings)
    only = dk.parse_import(lov(), "lov.xml", make_ctx(http=None, measure_ids=["asset-recovery"]))
    assert [f.measure_id for f in only.findings] == ["asset-recovery"]
    with pytest.raises(ParseError, match="import the document's LexDania XML"):
        dk.parse_import(b"[]", "harvest.json", make_ctx(http=None))


@pytest.mark.samples
@needs_samples("dk")
def test_cli_import_of_the_real_sample(run_cli, tmp_path):
    path = tmp_path / REAL
    path.write_bytes(sample("dk", REAL))
    code, out, err = run_cli("import", "--source", "gazette-dk", str(path), "--dry-run", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["stored"] is False and doc["findings"] == []  # this act names no EU act


def test_cli_import_stores_a_constructed_document(run_cli, tmp_path):
    path = tmp_path / "lov.xml"
    path.write_bytes(lov())
    code, out, err = run_cli("import", "--source", "gazette-dk", str(path), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["stored"] is True and doc["new"] == 4
    keys = {(f["measure"], f["kind"]) for f in doc["findings"]}
    assert ("thb-directive-2024-1712", "national-measure") in keys
    code, _out, err = run_cli("import", "--source", "gazette-dk", str(tmp_path / "missing.xml"))
    assert code == 2 and "cannot read" in err


def test_cli_import_of_garbage_is_one_line(run_cli, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_bytes(b"<Dokument><Meta>")
    code, out, err = run_cli("import", "--source", "gazette-dk", str(path), "--dry-run")
    assert code == 2 and "Traceback" not in err and "not well-formed" in err


# --- robustness ----------------------------------------------------------------------------------

_xml_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
_lexdania = st.builds(
    lambda tag, y, n, note, a: (
        f"<Dokument><Meta><{tag}>x</{tag}><Year>{y}</Year><Number>{n}</Number><AnnouncedIn>{a}</AnnouncedIn>"
        f"<AccessionNumber>A2026{n}</AccessionNumber><DiesEdicti>{y}</DiesEdicti></Meta>"
        f"<X><Char>{note}</Char></X></Dokument>"
    ).encode("utf-8", "surrogatepass"),
    st.sampled_from(["DocumentType", "DocumentTitle", "Status"]),
    st.text(max_size=6), st.text(max_size=6), _xml_text.map(lambda t: t.replace("<", "").replace("&", "")),
    st.sampled_from(["Lovtidende A", "", "x"]),
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["accessionsnummer", "href", "documentType", "eli:transposes", "@id", "message", "x"]),
        inner, max_size=4),
    max_leaves=15,
).map(lambda v: json.dumps(v).encode())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=150), _lexdania, _json))
def test_parsers_raise_only_project_errors(body):
    for parse in (dk.parse_lexdania, dk.parse_harvest, dk.parse_eli_metadata):
        try:
            parse(body)
        except ComplianceError:
            continue
