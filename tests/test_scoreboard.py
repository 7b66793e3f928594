"""The scoreboard's figures against hand-computed expectations, on CONSTRUCTED snapshots and
assessments (tests/scoreboard_helpers.py), and the `scoreboard` command in every format."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from bs4 import BeautifulSoup

from compliance.catalogue.load import load
from compliance.checks.waivers import Waiver
from compliance.config.settings import load_settings
from compliance.report.scoreboard import Item, build, score_states, waived_status
from compliance.report.trends import trend
from compliance.store.engine import Store

from .export_helpers import seeded  # noqa: F401 - fixture
from .scoreboard_helpers import CASE, NOW, current_reports, write_runs
from .series import THB, at, clock_fixture, env_fixture, fake_fixture, standard_series  # noqa: F401


@pytest.fixture
def constructed():
    settings = load_settings()
    store = Store.open(settings.db_url)
    return store, load(), write_runs(store)


def _by(states):  # noqa: ANN001, ANN202
    return {s.member_state: s for s in states}


def test_figures_by_hand_unknown_and_waived_apart():
    d = date(2026, 1, 1)
    items = [
        Item("DK", "a", "t", "overdue", d), Item("DK", "b", "t", "met", d), Item("DK", "c", "t", "met-late", d),
        Item("DK", "d", "t", "unknown", d), Item("DK", "e", "t", "infringement", date(2025, 12, 2), cases=("C1",)),
        Item("DK", "f", "t", "not-due", date(2027, 1, 1)), Item("DK", "g", None, "not-applicable", None),
        Item("DK", "h", "t", "met", date(2026, 3, 1)),  # met early: not yet due, not counted
        Item("SE", "a", "t", "unknown", d), Item("SE", "b", "t", "waived", d),
        Item("FI", "a", "t", "met", d), Item("FI", "b", "t", "met", d), Item("FI", "c", "t", "overdue", d),
        Item("FI", "d", "t", "infringement", d, cases=("C1", "C2")), Item("FI", "e", "t", "infringement", d,
                                                                         cases=("C2",)),
        Item("AT", "a", "t", "met", d), Item("AT", "b", "t", "met", d), Item("AT", "c", "t", "overdue", d),
        Item("AT", "d", "t", "overdue", d),
    ]
    states = _by(score_states(items, date(2026, 2, 1), ["DK", "SE", "FI", "AT"]))
    dk = states["DK"]
    # Due: a b c d e (f not yet, g not applicable, h met before its deadline). Met b c; not met a e; unknown d.
    assert (dk.due, dk.met, dk.not_met, dk.unknown, dk.waived, dk.not_yet_due) == (5, 2, 2, 1, 0, 2)
    assert dk.counts == {"infringement": 1, "overdue": 1, "met": 1, "met-late": 1, "unknown": 1, "waived": 0}
    assert dk.deficit == 2 / 4  # the unknown is neither in the numerator nor the denominator
    assert dk.deficit_range == (2 / 5, 3 / 5)  # all unknowns met / all not met
    assert dk.delays == [61, 31] and dk.average_delay == 46 and dk.longest_delay == 61
    assert dk.open_cases == ["C1"]
    se = states["SE"]
    assert (se.due, se.assessed, se.deficit, se.rank, se.average_delay) == (2, 0, None, None, None)
    assert se.deficit_range == (0.0, 1.0)
    fi = states["FI"]
    assert fi.deficit == 3 / 5 and fi.open_cases == ["C1", "C2"] and fi.longest_delay == 31
    at_ = states["AT"]
    assert at_.deficit == 2 / 4
    # DK and AT tie at 50 %: both rank 1; FI (60 %) is third; SE (nothing assessed) is not ranked.
    assert (dk.rank, at_.rank, fi.rank, se.rank) == (1, 1, 3, None)


def test_waivers_apply_to_snapshot_rows_as_on_their_day():
    w = [Waiver("TRN-001", None, "DK", "notification pending", date(2026, 3, 1))]
    assert waived_status(w, "DK", "m-a", "TRN-001", "overdue", date(2026, 2, 1)) == "waived"
    assert waived_status(w, "DK", "m-a", "TRN-001", "overdue", date(2026, 3, 2)) == "overdue"  # expired
    assert waived_status(w, "DK", "m-a", "TRN-001", "met", date(2026, 2, 1)) == "met"  # not mutable
    assert waived_status(w, "SE", "m-a", "TRN-001", "overdue", date(2026, 2, 1)) == "overdue"


def test_trend_from_constructed_snapshots(constructed):
    store, catalogue, runs = constructed
    t = trend(store, catalogue)
    # One point per day: of the two runs on 2026-04-01, the later one.
    assert [(p.day, p.run.id) for p in t.points] == [
        (date(2026, 2, 1), runs[0]), (date(2026, 3, 15), runs[1]), (date(2026, 4, 1), runs[3])]
    first, second, third = t.points
    # Feb 1: DK a overdue (due) -> 100 %; SE a met -> 0 %; FI a unknown -> none. EU: mean(100, 0) = 50 %.
    assert (first.deficits["DK"], first.deficits["SE"], first.deficits["FI"]) == (1.0, 0.0, None)
    assert first.eu_deficit == 0.5
    # Mar 15: DK 2/2, SE 0/2, FI 1/1 (b unknown): mean(100, 0, 100).
    assert second.eu_deficit == pytest.approx(2 / 3)
    # Apr 1 (20:00): DK 1/2 (a infringement, b met-late), SE 0/2, FI 0/1: mean(50, 0, 0).
    assert third.deficits["DK"] == 0.5 and third.eu_deficit == pytest.approx(1 / 6)
    assert {k: v for k, v in third.counts["DK"].items() if v} == {"infringement": 1, "met-late": 1, "not-due": 1}
    assert t.statuses("DK") == ["infringement", "overdue", "due-soon", "met-late", "not-due"]
    assert all(p.deficits["AT"] is None for p in t.points)  # no rows at all
    until = trend(store, catalogue, until=datetime(2026, 3, 31, tzinfo=UTC))
    assert [p.day for p in until.points] == [date(2026, 2, 1), date(2026, 3, 15)]


def test_scoreboard_now_and_change_since_a_snapshot(constructed):
    store, catalogue, runs = constructed
    board = build(current_reports(), as_of=NOW, generated_at=datetime(2026, 4, 20, tzinfo=UTC),
                  shown=["DK", "SE", "FI"], catalogue=catalogue, store=store,
                  since=datetime(2026, 3, 20, tzinfo=UTC))
    assert board.then_run.id == runs[1]  # the last snapshot at or before Mar 20 is Mar 15's
    s = _by(board.states)
    dk, se, fi = s["DK"], s["SE"], s["FI"]
    # DK: a infringement (100 days late on Apr 20), b met-late, c not due -> 1/2.
    assert (dk.due, dk.met, dk.not_met, dk.deficit, dk.not_yet_due) == (2, 1, 1, 0.5, 1)
    assert (dk.average_delay, dk.longest_delay, dk.open_cases) == (100, 100, [CASE])
    # SE: a met, b overdue (50 days) -> 1/2. FI: a met-late, b unknown, d waived -> 0/1.
    assert (se.deficit, se.longest_delay) == (0.5, 50)
    assert (fi.deficit, fi.unknown, fi.waived, fi.deficit_range) == (0.0, 1, 1, (0.0, 0.5))
    assert (fi.rank, dk.rank, se.rank) == (1, 2, 2)
    assert [r.member_state for r in board.rows] == ["FI", "DK", "SE"]
    # Then (Mar 15): DK 2/2, SE 0/2, FI 1/1 -> ranks SE 1, DK 2, FI 2.
    assert dk.change() == {"deficit_points": -50.0, "not_met": -1, "unknown": 0, "rank": 0}
    assert se.change() == {"deficit_points": 50.0, "not_met": 1, "unknown": 0, "rank": 1}
    assert fi.change() == {"deficit_points": -100.0, "not_met": -1, "unknown": 0, "rank": -1}
    assert [(c.label, c.before, c.after) for c in dk.changes] == [("m-b / transposition", "overdue", "met-late")]
    assert [(c.label, c.before, c.after) for c in fi.changes] == [
        ("m-a / transposition", "overdue", "met-late"), ("m-d / transposition", None, "waived")]
    eu = board.eu()
    assert eu["deficit"] == round(1 / 3, 4) and eu["deficit_then"] == round(2 / 3, 4)
    assert eu["change_points"] == -33.3 and eu["not_met"] == 2 and eu["open_infringement_cases"] == 1
    data = board.to_dict()
    assert [m["member_state"] for m in data["member_states"]] == ["FI", "DK", "SE"]
    dk_json = data["member_states"][1]
    assert dk_json["assessments"]["infringement"][0] == {
        "measure": "m-a", "obligation": "transposition", "deadline": "2026-01-10", "days_late": 100, "rule": "INF-001"}
    assert "left out of the denominator" in data["definition"]


def test_no_snapshot_before_since_says_so(constructed):
    store, catalogue, _ = constructed
    board = build(current_reports(), as_of=NOW, generated_at=datetime(2026, 4, 20, tzinfo=UTC), shown=["DK"],
                  catalogue=catalogue, store=store, since=datetime(2026, 1, 1, tzinfo=UTC))
    assert board.then_run is None and board.rows[0].change() is None
    assert "no snapshot stored at or before 2026-01-01" in board.notes[0]


# -- the command, on a real refresh series (fake source) -------------------------------------------------


def _sb(run_cli, *args: str) -> str:
    code, out, err = run_cli("scoreboard", "--measure", THB, "--as-of", "2026-08-09", *args)
    assert code == 0, err
    return out


def test_scoreboard_command_every_format(env, clock, fake, run_cli):
    standard_series(env, clock, fake)
    # Aug 9: THB (deadline Jul 15) is met-late in SE (found Aug 1), overdue elsewhere (searched Aug 1, fresh),
    # not applicable to DK (Protocol 22). Compared with Jul 20's snapshot: SE was overdue then.
    data = json.loads(_sb(run_cli, "--since", "2026-07-25", "--format", "json"))
    rows = {m["member_state"]: m for m in data["member_states"]}
    assert len(rows) == 27 and (rows["DK"]["due"], rows["DK"]["rank"]) == (0, None)
    se, fi = rows["SE"], rows["FI"]
    assert (se["rank"], se["deficit"], se["met"], se["counts"]["met-late"]) == (1, 0.0, 1, 1)
    assert (fi["rank"], fi["deficit"], fi["not_met"], fi["longest_delay_days"]) == (2, 1.0, 1, 25)  # Jul 15 -> Aug 9
    # Then all 26 bound states were overdue: all tied at rank 1, as SE is now.
    assert se["change"] == {"deficit_points": -100.0, "not_met": -1, "unknown": 0, "rank": 0}
    assert data["compared_with_run"]["started_at"].startswith("2026-07-20")
    assert data["eu"]["deficit"] == round(25 / 26, 4)  # 25 states at 100 %, SE at 0 %, DK not ranked
    assert data["trend"]["points"][0]["day"] == "2026-07-01"

    text = _sb(run_cli, "--since", "2026-07-25", "-m", "SE", "-m", "FI")
    lines = [line.split() for line in text.splitlines() if line.strip().startswith(("1 ", "2 "))]
    assert lines[0][:7] == ["1", "SE", "0.0%", "-", "1", "1", "0"]
    assert lines[1][:7] == ["2", "FI", "100.0%", "-", "1", "0", "1"]
    assert "left out of the denominator" in text and "change since run" in text

    rows_csv = list(csv.DictReader(io.StringIO(_sb(run_cli, "--format", "csv", "-m", "FI"))))
    assert [(r["member_state"], r["deficit_percent"], r["overdue"], r["rank"]) for r in rows_csv] == [
        ("FI", "100.0", "1", "2")]
    assert "unknown and waived left out" in rows_csv[0]["deficit_denominator"]

    md = _sb(run_cli, "--format", "markdown", "-m", "SE")
    assert "| 1 | Sweden \\(SE\\) | 0.0% |" in md and "left out of the denominator" in md


def test_scoreboard_text_as_wide_as_the_screen(env, clock, fake, run_cli, monkeypatch):
    """Every count from 160 columns; without the met/not-met breakdown at 140; blocks below."""
    standard_series(env, clock, fake)

    def header_and_width(columns: str) -> tuple[list[str], int, str]:
        monkeypatch.setenv("COLUMNS", columns)
        text = _sb(run_cli, "--since", "2026-07-25", "-m", "SE", "-m", "FI")
        header = next((line.split("  ") for line in text.splitlines() if line.strip().startswith("Rank")), [])
        return [h.strip() for h in header if h.strip()], max(len(line) for line in text.splitlines()), text

    header, widest, _ = header_and_width("160")
    assert header[7:13] == ["INF", "OVD", "MET", "LATE", "UNK", "WVD"] and widest <= 160
    header, widest, text = header_and_width("140")
    assert header[5:9] == ["Met", "Not met", "UNK", "WVD"] and header[-1] == "Δ rank" and widest <= 140
    assert "Columns: UNK unknown, WVD waived;" in text
    _, widest, text = header_and_width("80")
    assert widest <= 80 and "Δ rank" not in text
    se = text.split("  1  SE  ", 1)[1].split("\n  2  FI", 1)[0].splitlines()
    assert se[0] == "deficit 0.0%"
    assert " ".join(se[1].split()) == "due 1: met 1, not met 0; INF 0, OVD 0, MET 0, LATE 1, UNK 0, WVD 0"
    assert " ".join(se[3].split()) == "change: deficit -100.0 pt, not met -1, rank 0"
    assert "  2  FI  deficit 100.0%" in text and "average 25, longest 25" in text


def test_scoreboard_html_links_every_number_to_its_assessments(env, clock, fake, run_cli):
    standard_series(env, clock, fake)
    page = BeautifulSoup(_sb(run_cli, "--since", "2026-07-25", "--format", "html"), "html.parser")
    table = page.find("table", class_="scoreboard")
    cells = table.find("tbody").find_all("td")
    numbers = [c for c in cells if c.get_text(strip=True) not in ("",) and c.find("a") is None]
    # Only the rank and the rank change are plain numbers; everything else is a link.
    assert all(c.get_text(strip=True).lstrip("+-").isdigit() or c.get_text(strip=True) == "-" for c in numbers)
    for link in table.find_all("a"):
        target = page.find(id=link["href"].lstrip("#"))
        assert target is not None, link["href"]
    fi_overdue = page.find(id="sb-FI-status-overdue").find_next("table")
    (row,) = fi_overdue.find_all("tr", class_="assessment")
    assert row["data-key"] == f"{THB} / transposition" and "25" in row.get_text()
    se_met = page.find(id="sb-SE-met")
    assert "https://example.org/se/1" in {a["href"] for a in se_met.find_all("a")}
    assert page.find(id="sb-SE-change").find("li").get_text() == f"{THB} / transposition: overdue → met-late"
    assert page.find(id="chart-EU").find("svg") is not None
    assert page.find(id="chart-SE").find("svg") is not None
    assert not page.find_all("script")


def test_scoreboard_errors_are_one_line(run_cli):
    for args, message in ((("--since", "soon"), "--since 'soon'"), (("-m", "EU"), "has no row"),
                          (("-m", "XX"), "unknown Member State"), (("--measure", "nope"), "nope")):
        code, _, err = run_cli("scoreboard", *args)
        assert code == 2 and message in err and "Traceback" not in err, err
    # An empty store: only the curated facts give a known status; nothing else is ranked, no trend.
    code, out, _ = run_cli("scoreboard", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["trend"]["points"] == [] and data["eu"]["unknown"] > 10 * data["eu"]["not_met"]
    assert all((m["rank"] is None) == (m["assessed"] == 0) for m in data["member_states"])


def test_hostile_titles_are_inert(run_cli, tmp_path, seeded):  # noqa: F811
    from .export_helpers import hostile_catalogue

    cat = hostile_catalogue(tmp_path)
    code, out, err = run_cli("scoreboard", "--catalogue", str(cat), "--measure", "hostile-act", "--format", "html",
                             "-m", "SE")
    assert code == 0, err
    assert "<script>alert(1)</script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    code, out, _ = run_cli("scoreboard", "--catalogue", str(cat), "--measure", "formula-act", "--format", "csv")
    assert code == 0 and all(not v.startswith(("=", "+", "@")) for r in csv.reader(io.StringIO(out)) for v in r)



# -- in the export bundle --------------------------------------------------------------------------------


def test_export_has_the_scoreboard_in_its_overview_and_files(run_cli, seeded, tmp_path):  # noqa: F811
    from .export_helpers import AS_OF

    out = tmp_path / "bundle"
    code, _, err = run_cli("export", "--out", str(out), "--as-of", AS_OF, "-m", "SE", "--measure", THB,
                           "--format", "html,json,csv,markdown")
    assert code == 0, err
    index = BeautifulSoup((out / "index.html").read_text("utf-8"), "html.parser")
    board_page = BeautifulSoup((out / "scoreboard.html").read_text("utf-8"), "html.parser")
    table = index.find(id="scoreboard").find_next("table", class_="scoreboard")
    links = table.find_all("a")
    assert links and all(a["href"].startswith("scoreboard.html#sb-") for a in links)
    for a in links:
        assert board_page.find(id=a["href"].split("#", 1)[1]) is not None, a["href"]
    assert index.find(id="chart-EU").find("svg") is not None  # one snapshot: the seeded refresh
    report = BeautifulSoup((out / "SE/report.html").read_text("utf-8"), "html.parser")
    assert report.find(id="chart-SE").find("svg") is not None
    data = json.loads((out / "scoreboard.json").read_text("utf-8"))
    se = next(m for m in data["member_states"] if m["member_state"] == "SE")
    assert (se["rank"], se["deficit"], se["met"]) == (1, 0.0, 1)  # met on time (found Jul 1 for Jul 15)
    rows = list(csv.DictReader(io.StringIO((out / "scoreboard.csv").read_text("utf-8"))))
    assert len(rows) == 27 and rows[0]["member_state"] == "SE"
    assert "Scoreboard as of" in (out / "scoreboard.md").read_text("utf-8")
    code, stdout, _ = run_cli("verify", str(out))
    assert code == 0 and "intact" in stdout
