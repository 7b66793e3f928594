"""`compliance map` and the overview: a schematic SVG of the 27, worst status per cell."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from defusedxml import ElementTree

from compliance.catalogue.memberstates import codes, lookup
from compliance.model import Assessment, Severity, Status
from compliance.render.overview import overview, worst
from compliance.render.svgmap import COLOURS, render_map, tiles, xml_text
from compliance.report.assembly import Report

from .checks.helpers import measure, obligation
from .export_helpers import HOSTILE, hostile_catalogue

SVG = "{http://www.w3.org/2000/svg}"


def _tiles(svg_text: str) -> dict[str, ElementTree.Element]:
    root = ElementTree.fromstring(svg_text)
    return {g.get("data-ms"): g for g in root.iter(f"{SVG}g") if g.get("class") == "tile"}


def test_map_has_the_27_tiles_and_says_it_is_schematic(run_cli, tmp_path):
    out = tmp_path / "eu.svg"
    code, _, err = run_cli("map", "--out", str(out), "--as-of", "2026-11-22")
    assert code == 0, err
    text = out.read_text("utf-8")
    root = ElementTree.fromstring(text)
    assert root.tag == f"{SVG}svg"
    found = _tiles(text)
    assert sorted(found) == sorted(codes())
    for code_, g in found.items():
        assert g.find(f"{SVG}title").text.startswith(f"{lookup(code_).name} ({code_}): ")
        assert g.find(f"{SVG}rect").get("fill") == COLOURS[Status(g.get("data-status"))]
    assert "Schematic tile map" in text and "not to scale" in text
    # Denmark's curated letter of formal notice (Directive 2023/977) makes it an infringement
    assert found["DK"].get("data-status") == "infringement"


def test_map_for_one_measure(run_cli, tmp_path):
    code, out, err = run_cli("map", "--measure", "thb-directive-2024-1712", "--as-of", "2026-05-01")
    assert code == 0, err
    found = _tiles(out)
    assert found["DK"].get("data-status") == "not-applicable"  # Protocol 22
    assert found["SE"].get("data-status") == "due-soon"
    assert "thb-directive-2024-1712" in ElementTree.fromstring(out).find(f"{SVG}title").text


def test_hostile_title_is_escaped_in_the_svg(run_cli, tmp_path):
    cat = hostile_catalogue(tmp_path)
    code, out, err = run_cli("map", "--catalogue", str(cat), "--measure", "hostile-act", "--as-of", "2026-11-22")
    assert code == 0, err
    root = ElementTree.fromstring(out)  # still well-formed XML
    assert not list(root.iter(f"{SVG}script")) and "<script>" not in out
    assert root.find(f"{SVG}title").text == f"hostile-act: {HOSTILE}"
    assert _tiles(out)["FI"].get("data-status") == "unknown"


def test_unknown_measure_is_a_usage_error(run_cli):
    code, _, err = run_cli("map", "--measure", "no-such-measure")
    assert code == 2 and "unknown measure 'no-such-measure'" in err


def test_tile_data_is_the_27_on_distinct_tiles():
    grid = tiles()
    assert set(grid) == set(codes()) and len(set(grid.values())) == 27


def test_xml_text_drops_characters_xml_forbids():
    assert xml_text('a\x00b<"&>\x1f') == "ab&lt;&quot;&amp;&gt;"


def _assessment(ms: str, m, status: Status, ob=None) -> Assessment:  # noqa: ANN001
    return Assessment(ms, m, ob, status, "TRN-001", Severity.HIGH, "test", date(2024, 1, 1))


def test_worst_status_per_cell_and_per_state():
    two = measure(obligation("a"), obligation("b"), id="two-deadlines")
    other = measure(id="other")
    now = datetime(2026, 11, 22, tzinfo=UTC)
    reports = [
        Report("SE", "Sweden", date(2026, 11, 22), now, 90, "t", [
            _assessment("SE", two, Status.MET, two.obligations[0]),
            _assessment("SE", two, Status.OVERDUE, two.obligations[1]),
            _assessment("SE", other, Status.UNKNOWN),
        ]),
        Report("FI", "Finland", date(2026, 11, 22), now, 90, "t", [
            _assessment("FI", other, Status.NOT_DUE),
        ]),
    ]
    ov = overview(reports)
    assert ov.cell("SE", "two-deadlines") is Status.OVERDUE
    assert ov.cell("SE", "other") is Status.UNKNOWN
    assert ov.cell("FI", "two-deadlines") is None
    assert [(s.member_state, s.status) for s in ov.states] == [("SE", Status.OVERDUE), ("FI", Status.NOT_DUE)]
    assert ov.states[0].description == "Sweden (SE): overdue (1 overdue, 1 unknown, 1 met)"
    assert worst([]) is None
    svg = render_map(ov.states, title="t", subtitle="s")
    found = _tiles(svg)
    assert found["SE"].get("data-status") == "overdue" and found["DK"].get("data-status") == "none"


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_colour(status):
    assert COLOURS[status].startswith("#")
