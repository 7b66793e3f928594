"""Germany (NeuRIS): parsers on constructed and real payloads, a refresh against respx, import, and
fuzzing. No test uses the network."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from urllib.parse import parse_qs

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
from compliance.sources.gazettes import _support, de

from .conftest import SAMPLES, fixture_bytes, needs_samples, sample

API = "https://neuris.test"


def fx(name: str) -> bytes:
    return fixture_bytes("gazette-de", name)


def test_module_and_search_term(make_ctx):
    assert de.INFO is SOURCES["gazette-de"] and de.INFO.endpoint_names == ("GAZETTE_DE",)
    assert de.endpoint(make_ctx()) == "https://testphase.rechtsinformationen.bund.de"
    assert de.search_term("32011L0036") == '"2011/36/EU"'
    assert de.search_term("32024L1712") == '"(EU) 2024/1712"'
    assert de.search_term("32009L0052") == '"2009/52/EG"'


def test_parse_constructed_search():
    (stgb, vo), total = de.parse_search(fx("search_2011-36_constructed.json"))
    assert total == 2
    assert stgb.key == stgb.eli == "eli/bund/bgbl-1/1998/s9901" and stgb.national_id == "BGBl I, 1998 9901"
    assert (stgb.adopted, stgb.published) == (date(1998, 11, 13), date(1998, 11, 20))
    assert stgb.url == "https://testphase.rechtsinformationen.bund.de/v1/legislation/eli/bund/bgbl-1/1998/s9901/2025-01-01/1/deu"
    assert stgb.link_for("32011L0036") == (_support.IMPLEMENTS, "Umsetzung der")
    # "Formular Nr. 2011/36" is not an EU act.
    assert vo.references == [] and vo.extra["abbreviation"] is None


def test_findings_have_no_date_in_consolidated_law(make_ctx):
    stgb, _ = de.parse_search(fx("search_2011-36_constructed.json"))[0]
    [item] = _support.findings_for(stgb, make_ctx(), None)
    assert item.kind == "national-measure" and item.date is None
    assert item.data["date_kind"].startswith("consolidated text")
    assert item.data["dates"]["publication"] == "1998-11-20"


def test_errors():
    with pytest.raises(SourceError, match="size must be between 1 and 300"):
        de.parse_search(fx("error_constructed.json"))
    with pytest.raises(ParseError, match="no totalItems"):
        de.parse_search(b'{"member": []}')
    with pytest.raises(ParseError, match="not a Legislation"):
        de.parse_legislation(b'{"@type": "hydra:Collection"}')


@pytest.mark.samples
@needs_samples("de")
def test_real_samples():
    (bdsg, drk), total = de.parse_search(sample("de", "neuris-legislation-search-bdsg.json"))
    assert total == 78
    assert bdsg.key == "eli/bund/bgbl-1/2017/s2097" and bdsg.national_id == "BGBl I, 2017 2097"
    assert (bdsg.adopted, bdsg.published) == (date(2017, 6, 30), date(2017, 7, 5))
    assert bdsg.extra["abbreviation"] == "BDSG" and bdsg.extra["legal_force"] == "InForce"
    assert drk.extra["alternate_name"] == "DRK-Suchdienstdatenschutzgesetz"  # repaired: no "Ã" assumed
    assert bdsg.notes == ["double-encoded UTF-8 (mojibake) in the file was repaired"]
    act = de.parse_legislation(sample("de", "neuris-legislation-bdsg.json"))
    assert act.key == "eli/bund/bgbl-1/2017/s2097" and act.title == "Bundesdatenschutzgesetz"
    # The part headlines name Regulation (EU) 2016/679 and Directive (EU) 2016/680.
    assert act.celex() == ["32016L0680", "32016R0679"]
    assert act.link_for("32016L0680")[0] == _support.CITES


@pytest.mark.samples
@needs_samples("de")
def test_cli_import_real_sample(run_cli, tmp_path):
    watch = tmp_path / "watch.yaml"
    watch.write_text('measures:\n  - id: led\n    celex: 32016L0680\n    sources: ["https://eur-lex.europa.eu/"]\n')
    code, out, err = run_cli("import", "--source", "gazette-de", str(SAMPLES / "de" / "neuris-legislation-bdsg.json"),
                             "--catalogue", str(watch), "--dry-run", "--format", "json")
    assert code == 0, err
    [item] = json.loads(out)["findings"]
    assert item["measure"] == "led" and item["kind"] == "citation" and item["date"] is None
    assert item["key"] == "eli/bund/bgbl-1/2017/s2097" and item["reference"] == "BGBl I, 2017 2097"


class FakeNeuris:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.fail: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail is not None:
            return self.fail
        term = parse_qs(request.url.query.decode())["searchTerm"][0]
        if term == '"2011/36/EU"':
            return httpx.Response(200, content=fx("search_2011-36_constructed.json"))
        return httpx.Response(200, json={"@type": "hydra:Collection", "totalItems": 0, "member": []})


@pytest.fixture
def neuris(monkeypatch):
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_GAZETTE_DE", API)
    fake = FakeNeuris()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="neuris.test").mock(side_effect=fake)
        yield fake


def test_refresh(neuris, make_ctx):
    result = de.refresh(make_ctx(measure_ids=["thb-directive-2011-36", "thb-directive-2024-1712"]))
    assert result.status == "ok" and result.coverage == []
    [item] = result.findings
    assert item.key == "eli/bund/bgbl-1/1998/s9901" and item.kind == "national-measure" and item.date is None
    assert item.fetch.url.startswith(API + "/v1/legislation?")
    assert "eli/bund/bgbl-1/2012/s9902" in result.reason and "ignored" in result.reason
    params = parse_qs(neuris.requests[0].url.query.decode())
    assert params["size"] == ["100"] and params["pageIndex"] == ["0"]
    neuris.fail = httpx.Response(400, json={"errors": [{"message": "bad"}]})
    result = de.refresh(make_ctx(measure_ids=["thb-directive-2011-36"]))
    assert result.status == "failed" and "400" in result.reason


def test_import(make_ctx):
    result = de.parse_import(fx("search_2011-36_constructed.json"), "s.json", make_ctx(http=None))
    assert [(f.key, f.kind) for f in result.findings] == [("eli/bund/bgbl-1/1998/s9901", "national-measure")]
    with pytest.raises(ParseError, match="neither a NeuRIS"):
        de.parse_import(b'{"x": 1}', "x.json", make_ctx(http=None))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["member", "totalItems", "item", "textMatches", "@type", "@id", "legislationIdentifier",
                         "exampleOfWork", "isPartOf", "name", "text", "hasPart", "headline", "errors"]),
        inner, max_size=5),
    max_leaves=20,
).map(lambda v: json.dumps(v).encode())


@cache
def import_ctx() -> SourceContext:
    return SourceContext(settings=load_settings(), catalogue=catalogue.load(), http=None)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), _json))
def test_parsers_raise_only_project_errors(body):
    for parse in (de.parse_search, de.parse_legislation, lambda b: de.parse_import(b, "f", import_ctx())):
        try:
            parse(body)
        except ComplianceError:
            continue
