"""Council register source: the result-page parser on CONSTRUCTED pages (no real payload exists:
../shared/samples/council/ is empty on purpose), challenge and error pages, the cap, refresh against
respx, import, and fuzzing. The fixtures are described in tests/fixtures/README.md.

No test uses the network.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.catalogue import load as catalogue
from compliance.config.settings import load_settings
from compliance.errors import BlockedError, ParseError, SourceError
from compliance.http import HostPolicy, HttpClient, HttpSettings
from compliance.sources import SOURCES, council
from compliance.sources.base import SourceContext
from compliance.store.archive import Archive

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "council"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
REGISTER_URL = "https://register.test/en/public-register-search/results/"
RESULTS = "results_2021-0411-COD_constructed.html"
EMPTY = "results_empty_constructed.html"
CHALLENGE = "challenge_cloudflare_constructed.html"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def full_page(start: int, count: int = council.PAGE_SIZE) -> bytes:
    """A constructed result page of `count` rows in the documented row form."""
    rows = "".join(
        f'<li class="gsc-public-register__result-item"><span>ST {n} 2022 INIT</span> - <span>NOTE</span> '
        f'<span>0{1 + n % 9}/03/2022</span> <p>Document {n}</p> <span>Subject matters: JAI, ENFOPOL</span>'
        f'<a href="https://data.consilium.europa.eu/doc/document/ST-{n}-2022-INIT/en/pdf">EN</a></li>'
        for n in range(start, start + count)
    )
    return f'<html><body><div class="gsc-public-register"><ul>{rows}</ul></div></body></html>'.encode()


def page(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, headers={"Content-Type": "text/html; charset=utf-8"}, content=body)


@pytest.fixture
def make_ctx(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_COUNCIL_REGISTER", REGISTER_URL)
    cfg = load_settings()
    client = HttpClient(HttpSettings(max_retries=1, default_host=HostPolicy(min_interval=0)),
                        Archive(tmp_path / "archive"), sleep=lambda _s: None)

    def make(measure_ids: list[str] | None = None, http: HttpClient | None = client) -> SourceContext:
        return SourceContext(settings=cfg, catalogue=catalogue.load(), http=http, measure_ids=measure_ids)

    return make


class FakeRegister:
    """Answers by (InterinstitutionalFiles, page) from a table; records every request."""

    def __init__(self) -> None:
        self.pages: dict[tuple[str, str], httpx.Response] = {}
        self.default: httpx.Response | None = None
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.url.params.get("InterinstitutionalFiles", ""), request.url.params.get("page", ""))
        return self.pages.get(key) or self.default or page(fixture(EMPTY))


@pytest.fixture
def register():
    fake = FakeRegister()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="register.test").mock(side_effect=fake)
        yield fake


# --- module surface and parser ---------------------------------------------------------------


def test_module_surface(make_ctx, monkeypatch):
    assert council.INFO is SOURCES["council"] and council.INFO.module == council.__name__
    assert council.INFO.endpoint_names == ("COUNCIL_REGISTER",)
    assert council.endpoint(make_ctx()) == REGISTER_URL
    monkeypatch.delenv("COMPLIANCE_ENDPOINT_COUNCIL_REGISTER")
    assert council.endpoint(make_ctx()) == council.DEFAULT_ENDPOINT
    assert (council.PAGE_SIZE, council.MAX_PAGES) == (20, 50)  # sources.md §3


def test_no_real_council_sample_exists():
    """OTHER_SOURCES.md: the council folder is empty on purpose; if one appears, test it here."""
    folder = SAMPLES / "council"
    if not SAMPLES.is_dir():
        pytest.skip(f"samples not present at {SAMPLES} (fresh clone)")
    assert not folder.is_dir() or not any(folder.iterdir())


def test_parse_constructed_results():
    parsed = council.parse_results(fixture(RESULTS))
    assert parsed.items == 4
    assert parsed.notes == ["row not in the documented form, skipped: 'Document not publicly accessible'"]
    first, second, third = parsed.documents
    assert (first.id, first.reference, first.document_type, first.date) == (
        "ST-8120-2023-ADD-1", "ST 8120 2023 ADD 1", "'I/A' ITEM NOTE", date(2023, 4, 18))
    assert first.title.startswith("Proposal for a Directive on information exchange")
    assert first.subjects == ["COSI", "ENFOPOL", "IXIM", "CODEC"]
    assert first.other_dates == {"meeting": "2023-04-24"}
    assert first.url == "https://data.consilium.europa.eu/doc/document/ST-8120-2023-ADD-1/en/pdf"
    assert set(first.links) == {"en", "fr"}
    assert (second.id, second.suffix, second.subjects) == ("ST-5102-2022-INIT", "INIT", ["ENFOPOL", "IXIM"])
    assert second.title == "Information exchange directive - Presidency compromise text"  # no "EN FR"
    assert (third.id, third.series, third.suffix, third.subjects) == ("WK-1234-2022-REV-2", "WK", "REV-2", [])
    json.dumps([d.as_dict() for d in parsed.documents])


def test_parse_row_forms():
    doc = council.parse_row("ST 9 2024 ADD 1 REV 2 - NOTE 01/02/2024 A title Subject matters: JAI", {})
    assert (doc.id, doc.suffix) == ("ST-9-2024-ADD-1-REV-2", "ADD-1-REV-2")
    assert doc.url == "https://data.consilium.europa.eu/doc/document/ST-9-2024-ADD-1-REV-2/en/pdf"
    assert doc.as_dict()["url_built"] is True
    assert council.parse_row("ST 9 2024 - NOTE 31/02/2024 impossible date", {}) is None
    assert council.parse_row("Something else 01/02/2024", {}) is None
    odd = council.parse_row("ST 9 2024 - NOTE 01/02/2024 T Subject matters: JAI, not a code", {})
    assert odd.subjects == ["JAI"] and "not a code" in odd.notes[0]
    other = council.parse_row(
        "ST 9 2024 - NOTE 01/02/2024 T", {"en": "https://data.consilium.europa.eu/doc/document/ST-10-2024-INIT/en/"})
    assert "links to ST-10-2024-INIT" in other.notes[0]


def test_empty_result_page():
    parsed = council.parse_results(fixture(EMPTY))
    assert (parsed.items, parsed.documents) == (0, [])


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (fixture(CHALLENGE), BlockedError, "bot challenge"),
        (b"<html><body>Welcome</body></html>", ParseError, "not a register result page"),
        (b"", ParseError, "not a register result page"),
        (b"\xff\xfe", ParseError, "not UTF-8"),
        (b'<div class="gsc-public-register"><li class="gsc-public-register__result-item">changed</li></div>',
         ParseError, "none in the documented form"),
    ],
)
def test_bad_pages(body, error, message):
    with pytest.raises(error, match=message):
        council.parse_results(body)


# --- refresh ---------------------------------------------------------------------------------


def test_refresh_collects_documents_without_coverage(register, make_ctx):
    register.pages[("2021/0415(CNS)", "1")] = page(fixture(RESULTS))
    result = council.refresh(make_ctx(["pcc-operational-recommendation"]))
    assert result.status == "ok" and result.coverage == []
    assert [f.key for f in result.findings] == ["ST-8120-2023-ADD-1", "ST-5102-2022-INIT", "WK-1234-2022-REV-2"]
    f = result.findings[0]
    assert (f.kind, f.member_state, f.measure_id, f.date) == (
        "council-document", "EU", "pcc-operational-recommendation", date(2023, 4, 18))
    assert f.data["procedure"] == "2021/0415(CNS)" and f.data["informational"] is True
    assert f.fetch is result.fetches[0]
    (request,) = register.requests
    assert request.url.params["InterinstitutionalFiles"] == "2021/0415(CNS)" and request.url.params["page"] == "1"
    assert "3 document(s)" in result.reason


def test_refresh_pages_while_full(register, make_ctx):
    register.pages[("2021/0415(CNS)", "1")] = page(full_page(1))
    register.pages[("2021/0415(CNS)", "2")] = page(full_page(100, 5))
    result = council.refresh(make_ctx(["pcc-operational-recommendation"]))
    assert len(result.findings) == 25 and len(register.requests) == 2 and result.status == "ok"
    assert result.findings[-1].fetch is result.fetches[1]


def test_the_cap_is_suspect_and_gives_no_findings(register, make_ctx, monkeypatch):
    monkeypatch.setattr(council, "MAX_PAGES", 3)
    register.default = page(full_page(1))  # every page full: the filter may have been ignored
    result = council.refresh(make_ctx(["pcc-operational-recommendation", "anti-corruption-directive"]))
    assert result.status == "suspect" and result.findings == [] and result.coverage == []
    assert "the register's cap" in result.reason and "InterinstitutionalFiles" in result.reason
    assert len(register.requests) == 6


def test_challenge_is_blocked_and_stops_the_run(register, make_ctx):
    register.default = page(fixture(CHALLENGE), status=403)
    result = council.refresh(make_ctx(["pcc-operational-recommendation", "anti-corruption-directive"]))
    assert result.status == "blocked" and result.findings == [] and result.coverage == []
    assert "cf_chl_opt" in result.reason and "not tried" in result.reason
    assert len(register.requests) == 1


@pytest.mark.parametrize(("status", "expected"), [(403, "blocked"), (503, "failed"), (500, "failed")])
def test_http_errors(register, make_ctx, status, expected):
    register.default = page(b"<html>error</html>", status=status)
    result = council.refresh(make_ctx(["pcc-operational-recommendation"]))
    assert result.status == expected and f"HTTP {status}" in result.reason and result.coverage == []


def test_unreachable_register_fails(make_ctx):
    with respx.mock() as router:
        router.route(host="register.test").mock(side_effect=httpx.ConnectError("refused"))
        result = council.refresh(make_ctx(["pcc-operational-recommendation"]))
    assert result.status == "failed" and "ConnectError" in result.reason and result.coverage == []


def test_no_document_for_any_dossier_is_suspect(register, make_ctx):
    result = council.refresh(make_ctx(["pcc-operational-recommendation", "anti-corruption-directive"]))
    assert result.status == "suspect" and "no document for any of 2 dossier(s)" in result.reason


def test_one_failure_keeps_the_other_dossier(register, make_ctx):
    register.pages[("2021/0415(CNS)", "1")] = page(fixture(RESULTS))
    register.pages[("2023/0135(COD)", "1")] = page(b"<html>changed</html>")
    result = council.refresh(make_ctx(["pcc-operational-recommendation", "anti-corruption-directive"]))
    assert result.status == "ok" and len(result.findings) == 3
    assert "1 of 2 dossier(s) not searched" in result.reason and "anti-corruption-directive: failed" in result.reason


def test_measures_without_a_procedure_give_no_request(register, make_ctx):
    result = council.refresh(make_ctx(["forced-labour-regulation"]))
    assert register.requests == [] and result.findings == [] and "no selected measure" in result.reason


# --- import ----------------------------------------------------------------------------------


def test_import_needs_the_measure(make_ctx):
    with pytest.raises(ParseError, match="pass --measure"):
        council.parse_import(fixture(RESULTS), "page.html", make_ctx())
    result = council.parse_import(fixture(RESULTS), "page.html", make_ctx(["pcc-operational-recommendation"]))
    assert len(result.findings) == 3 and result.coverage == [] and all(f.fetch is None for f in result.findings)
    with pytest.raises(BlockedError):
        council.parse_import(fixture(CHALLENGE), "page.html", make_ctx(["pcc-operational-recommendation"]))


def test_cli_import(run_cli, tmp_path):
    path = tmp_path / "register.html"
    path.write_bytes(fixture(RESULTS))
    code, out, err = run_cli("import", "--source", "council", "--measure", "pcc-operational-recommendation",
                             str(path), "--format", "json")
    assert code == 0, err
    assert "ST-8120-2023-ADD-1" in out
    code, _, err = run_cli("import", "--source", "council", str(path))
    assert code == 2 and "pass --measure" in err and "Traceback" not in err


# --- robustness ------------------------------------------------------------------------------

_text = st.text(alphabet=st.sampled_from(list("STWK0123456789 /-:ADDREVINIT,Subjectmatters<>&'")), max_size=60)
_pages = st.builds(
    lambda rows, href: (
        '<div class="gsc-public-register"><ul>'
        + "".join(f'<li class="gsc-public-register__result-item">{r}<a href="{href}">EN</a></li>' for r in rows)
        + "</ul></div>"
    ).encode(),
    st.lists(st.one_of(_text, st.just("ST 1 2024 ADD 1 - NOTE 01/02/2024 T Subject matters: A, b Date of x: 9/9/9")),
             max_size=4),
    st.sampled_from(["https://data.consilium.europa.eu/doc/document/ST-1-2024-ADD-1/en/pdf", "x", ""]),
)


@functools.cache
def _builtin() -> catalogue.Catalogue:
    return catalogue.load()


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), _pages))
def test_parsers_raise_only_project_errors(body):
    ctx = SourceContext(settings=load_settings(), catalogue=_builtin(), http=None,
                        measure_ids=["pcc-operational-recommendation"])
    for parse in (council.parse_results, lambda b: council.parse_import(b, "fuzz", ctx)):
        try:
            result = parse(body)
        except (ParseError, SourceError):
            continue
        if isinstance(result, council.ResultPage):
            json.dumps([d.as_dict() for d in result.documents])


def test_dossiers_are_searched_at_once_with_the_same_result(make_ctx, tmp_path):
    """Dossiers after the first are searched at once, up to the host's concurrency; what the
    source reports (findings, fetches, reasons, in order) is what one search after another gives."""
    from .concurrency import InFlight, snapshot
    from .concurrency import client as concurrency_client

    measures = [m.id for m in catalogue.load().measures.values() if council._procedure(m)]
    assert len(measures) >= 3
    results, overlap = {}, {}
    for concurrency in (1, 4):
        fake = FakeRegister()
        fake.default = page(fixture(RESULTS))
        watch = InFlight(fake, hold=0.05 if concurrency > 1 else 0)
        with respx.mock(assert_all_called=False) as router:
            router.route(host="register.test").mock(side_effect=watch)
            results[concurrency] = snapshot(council.refresh(
                make_ctx(measures, http=concurrency_client(tmp_path, concurrency, f"c{concurrency}"))))
        overlap[concurrency] = watch.max
    assert overlap[1] == 1 and overlap[4] > 1
    assert results[1] == results[4] and results[1]["findings"]
