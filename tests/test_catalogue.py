"""The catalogue: the built-in data validates, and bad files fail with the file and entry named."""

from __future__ import annotations

import textwrap
from datetime import date

import pytest

from compliance.catalogue.load import load, parse_measures
from compliance.errors import CatalogueError

GOOD_ENTRY = """
  - id: my-directive
    title: Directive (EU) 2019/1937 (whistleblowers), watched by a user
    kind: directive
    celex: 32019L1937
    strategy: user
    action: watched by the user
    obligations:
      - id: transposition
        type: transposition
        addressee: member-states
        date: 2021-12-17
        verified: true
    applicability:
      default: bound
      exceptions:
        gr: {status: not-bound, basis: "example basis", verified: false}
    sources: ["https://eur-lex.europa.eu/eli/dir/2019/1937/oj"]
"""


def _file(tmp_path, body: str, name: str = "mine.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), "utf-8")
    return path


def test_builtin_catalogue_loads_every_measure_of_the_fact_sheet():
    cat = load()
    assert len(cat.measures) == 45
    dk_ti = cat.measures["thb-directive-2024-1712"]
    assert dk_ti.celex == "32024L1712"
    assert dk_ti.applicability("DK").status == "not-bound"
    assert "Protocol" in dk_ti.applicability("DK").basis
    assert dk_ti.applicability("IE").status == "bound"
    transposition = [o for o in dk_ti.obligations if o.type == "transposition"]
    assert transposition[0].date == date(2026, 7, 15) and transposition[0].verified


def test_builtin_catalogue_keeps_unverified_flags():
    cat = load()
    thb = cat.measures["thb-directive-2011-36"]
    assert not [o for o in thb.obligations if o.type == "transposition"][0].verified
    assert cat.measures["anti-corruption-directive"].celex_verified is False


def test_several_deadlines_and_commission_promises_are_typed():
    cat = load()
    aml = cat.measures["aml-directive-2024-1640"]
    dates = sorted(o.date for o in aml.obligations if o.type == "transposition")
    assert dates[0] == date(2025, 7, 10) and dates[-1] == date(2029, 7, 10)
    prum = cat.measures["prum-ii"]
    promise = [o for o in prum.obligations if o.addressee == "commission"]
    assert promise and promise[0].date == date(2021, 12, 31)


def test_curated_evidence_is_marked_and_dated():
    cat = load()
    dk_lfn = [e for e in cat.curated if e.measure_id == "pcc-info-exchange-directive" and e.member_state == "DK"]
    assert dk_lfn and dk_lfn[0].curated and dk_lfn[0].kind == "infringement"
    assert dk_lfn[0].recorded == date(2026, 11, 22)
    assert all(e.url for e in cat.curated)


def test_user_file_extends_and_overrides(tmp_path):
    override = GOOD_ENTRY.replace("my-directive", "thb-directive-2011-36")
    path = _file(tmp_path, "version: mine-1\nmeasures:" + GOOD_ENTRY + override)
    cat = load([path])
    assert "my-directive" in cat.measures
    assert cat.measures["thb-directive-2011-36"].celex == "32019L1937"
    assert cat.measures["my-directive"].applicability("EL").status == "not-bound"  # gr accepted
    assert cat.version.endswith("+mine-1")
    assert cat.measures["my-directive"].origin == str(path)


def test_user_may_watch_an_act_by_celex_alone(tmp_path):
    path = _file(tmp_path, """
        measures:
          - id: watch-psd2
            celex: 32015L2366
            sources: ["user"]
    """)
    measure = load([path]).measures["watch-psd2"]
    assert measure.kind == "directive" and measure.strategy == "user"
    assert "32015L2366" in measure.title


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (("kind: directive", "kind: directive\n    colour: red"), "colour: Extra inputs are not permitted"),
        (("date: 2021-12-17", "date: 2021-13-45"), "not a valid date"),
        (("date: 2021-12-17", "date: 17.12.2021"), "expected an ISO date"),
        (("date: 2021-12-17", "date: 2021"), "expected an ISO date"),
        (("gr: {", "xx: {"), "unknown Member State code 'xx'"),
        (("celex: 32019L1937", "celex: 2019/1937"), "not a CELEX number"),
        (("type: transposition", "type: transposal"), "obligations.0.type"),
        (("    sources: [\"https://eur-lex.europa.eu/eli/dir/2019/1937/oj\"]", "    sources: []"), "sources"),
    ],
)
def test_bad_entries_name_the_file_and_entry(tmp_path, mutation, message):
    old, new = mutation
    assert old in GOOD_ENTRY
    path = _file(tmp_path, "measures:" + GOOD_ENTRY.replace(old, new))
    with pytest.raises(CatalogueError) as err:
        load([path])
    text = str(err.value)
    assert str(path) in text and "my-directive" in text
    assert message in text


def test_duplicate_ids_are_an_error(tmp_path):
    path = _file(tmp_path, "measures:" + GOOD_ENTRY + GOOD_ENTRY)
    with pytest.raises(CatalogueError, match=r"mine.yaml: entry 'my-directive': duplicate id"):
        load([path])


def test_obligation_without_date_needs_a_reason(tmp_path):
    path = _file(tmp_path, "measures:" + GOOD_ENTRY.replace("date: 2021-12-17", "date: null"))
    with pytest.raises(CatalogueError, match="needs date_text"):
        load([path])


def test_not_yaml_and_missing_file(tmp_path):
    path = _file(tmp_path, "measures: [unclosed")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load([path])
    with pytest.raises(CatalogueError, match="cannot read catalogue file"):
        load([tmp_path / "absent.yaml"])


def test_top_level_unknown_key(tmp_path):
    with pytest.raises(CatalogueError, match="extra: Extra inputs"):
        parse_measures("measures: []\nextra: 1\n", "x.yaml", "x.yaml")
