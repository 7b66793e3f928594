"""The text report: an aligned table per status (a block per assessment below 100 columns),
wrapped cells, identifiers never broken, scraped text kept inert."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from rich.cells import cell_len

from compliance.checks.crosscheck import Discrepancy
from compliance.model import Assessment, Severity, Status
from compliance.render import Format, render
from compliance.render import texttable as tt
from compliance.report.assembly import Report

from .checks.helpers import measure, obligation

AS_OF = date(2026, 11, 22)
SGR = re.compile(r"\x1b\[(?:0|1|2|31|32|33|34|35|36|1;31)m")
HEADERS = ["Measure", "/", "obligation", "Deadline", "Status", "Reason", "Ev."]
DAYS = r"\d+ (late|left|early)|on time"


def _a(status: Status = Status.OVERDUE, *, mid: str = "test-directive", label: str = "transposition",
       reason: str = "deadline passed; nothing notified", deadline: date | None = date(2024, 12, 12),
       notes: tuple[str, ...] = (), verified: bool = True, deadline_verified: bool = True) -> Assessment:
    return Assessment(
        member_state="SE", measure=replace(measure(), id=mid),
        obligation=obligation(id=label, date_=deadline, verified=deadline_verified),
        status=status, rule="TRN-001", severity=Severity.HIGH, reason=reason, deadline=deadline,
        verified=verified, notes=notes,
    )


def _report(*assessments: Assessment, **kw) -> Report:  # noqa: ANN003
    return Report("SE", "Sweden", AS_OF, datetime(2026, 11, 22, tzinfo=UTC), 90, "test", list(assessments), **kw)


def _text(*assessments: Assessment, width: int = 140, color: bool = False) -> str:
    return render([_report(*assessments)], Format.TEXT, width=width, color=color)


def _tables(text: str) -> list[list[str]]:
    """Each table's lines: header, rule, rows (up to the blank line that ends it)."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.split() == HEADERS]
    return [lines[s:lines.index("", s)] for s in starts]


def _col(line: str, index: int) -> int:
    """Display column of a character index."""
    return cell_len(line[:index])


def _columns(header: str) -> dict[str, tuple[int, int]]:
    """Display start and end of each header word."""
    return {m.group(): (_col(header, m.start()), _col(header, m.end())) for m in re.finditer(r"\S+", header)}


def _cell_at(line: str, start: int) -> str:
    """The text from display column `start` to the next run of 3 spaces (a column gap)."""
    i = 0
    while i < len(line) and _col(line, i) < start:
        i += 1
    return re.split(r" {3,}", line[i:])[0].strip()


def _assert_aligned(text: str, width: int) -> None:
    tables = _tables(text)
    assert tables
    for header, rule, *rows in tables:
        cols = _columns(header)
        edge = cols["Ev."][1]
        assert set(rule.strip()) == {"─"} and cell_len(rule) == edge + 1
        assert rows
        for line in rows:
            assert cell_len(line) <= max(width, edge), line
            assert line == line.rstrip(), line
            deadline = _cell_at(line, cols["Deadline"][0])
            status = _cell_at(line, cols["Status"][0])
            if _first(line, edge):  # a row's first line: Ev. right-justified under its header
                assert cell_len(line) == edge, line
                assert re.fullmatch(r"\d+", line.split()[-1])
                assert re.fullmatch(r"(\d{4}-\d\d-\d\d\*?|-)", deadline), line
                assert status.split(" ")[0] in {s.value for s in Status}, line
                assert line[2] != " ", line  # the measure id at the left edge
            else:  # continuation: the obligation (indented), the days, "(unverified)", the reason
                assert line[2] == " ", line
                assert re.fullmatch(f"({DAYS})?", deadline), line
                assert status in ("", "(unverified)"), line


def _first(line: str, edge: int) -> bool:
    """Whether this is the first line of a row (the one with the evidence count)."""
    return cell_len(line) == edge and line[-1].isdigit()


def _reason_lines(text: str) -> list[str]:
    header, _, *rows = _tables(text)[0]
    start = _columns(header)["Reason"][0]
    edge = _columns(header)["Ev."][1]
    out = []
    for line in rows:
        i = 0
        while i < len(line) and _col(line, i) < start:
            i += 1
        cell = line[i:]
        if _first(line, edge):
            cell = re.sub(r" +\d+$", "", cell)
        out.append(cell.rstrip())
    return out


def test_table_has_the_columns_titles_grouping_summary_and_footnote():
    text = _text(
        _a(Status.INFRINGEMENT, mid="pcc-info-exchange-directive"),
        _a(Status.UNKNOWN, verified=False, deadline_verified=False, notes=("check the gazette",)),
        _a(Status.NOT_APPLICABLE, deadline=None, notes=("a long fact sheet",)),
        _a(Status.OVERDUE),
    )
    lines = text.split("\n")
    assert lines[0] == "Sweden (SE) as of 2026-11-22   horizon 90 days, catalogue test"
    titles = [line for line in lines if re.fullmatch(r"[a-z-]+ \(\d+\)", line)]
    assert titles == ["infringement (1)", "overdue (1)", "unknown (1)", "not-applicable (1)"]  # most urgent first
    assert len(_tables(text)) == 4
    assert "2024-12-12*" in text and "unknown (unverified)" in text and "710 late" in text
    assert "  note: check the gazette" in text
    assert "a long fact sheet" not in text  # not-applicable notes: JSON and HTML only
    assert "SE: 4 assessments: 1 infringement, 1 overdue, 1 unknown, 1 not-applicable" in lines
    assert lines[-2].startswith("* deadline not verified in a listed source")
    assert "\x1b" not in text
    _assert_aligned(text, 140)
    assert "* deadline not verified" not in _text(_a())


def test_discrepancies_and_warnings_are_printed_and_wrapped():
    d = Discrepancy("SE", "test-directive", None, "adopted-not-notified", "found in the gazette " * 10, ())
    report = _report(_a(), warnings=["source eurlex is stale " * 8], discrepancies=[d])
    text = render([report], Format.TEXT, width=110)
    assert "discrepancy (XCK-001) test-directive: found in the gazette" in text
    assert "warning: source eurlex is stale" in text
    assert all(cell_len(line) <= 110 for line in text.split("\n"))
    assert max(cell_len(line) for line in text.split("\n") if "stale" in line) > 90  # wrapped at the width


def test_a_long_reason_wraps_on_spaces_within_its_column():
    reason = " ".join(f"word{i}" for i in range(120))
    text = _text(_a(reason=reason, notes=("first note", "second note")), width=120)
    _assert_aligned(text, 120)
    lines = _reason_lines(text)
    assert len(lines) > 5
    assert " ".join(lines[:-2]) == reason  # no word split or lost
    assert lines[-2:] == ["  note: first note", "  note: second note"]  # notes on their own lines, indented


def test_a_long_unbroken_token_is_folded_and_kept_whole():
    token = "x" * 250
    text = _text(_a(reason=token, mid="m" * 60, label="o" * 40))
    _assert_aligned(text, 140)
    lines = _reason_lines(text)
    assert "".join(lines) == token and len(lines) >= 3
    assert max(map(len, lines)) < 140
    header, _, *rows = _tables(text)[0]
    assert rows[0].startswith("  " + "m" * 60 + " ") and rows[1].startswith("    " + "o" * 40 + " ")  # never folded


def test_identifiers_too_long_for_the_table_give_blocks_and_are_folded_only_past_the_line():
    text = _text(_a(reason="x" * 250, mid="m" * 90, label="o" * 40), width=100)
    assert not _tables(text)
    lines = text.split("\n")
    assert "  " + "m" * 90 in lines and "    " + "o" * 40 in lines
    narrow = _text(_a(mid="m" * 90), width=60).split("\n")
    assert "  " + "m" * 58 in narrow and "  " + "m" * 32 + "  transposition" in narrow  # folded only past the line
    assert all(cell_len(line) <= 60 for line in narrow)


def test_cjk_and_emoji_keep_the_columns_aligned():
    text = _text(
        _a(label="移行期限 (第5条)", reason="国内法の官報公示が見つかりません " * 6 + "✅👍🏽 done"),
        _a(mid="ευρωπαϊκή-οδηγία", reason="Lov nr. 1 om menneskehandel – § 3 “quoted” …"),
        _a(label="обязательство", reason="😀" * 70),
    )
    _assert_aligned(text, 140)
    assert "移行期限 (第5条)" in text and "✅👍🏽 done" in text and "ευρωπαϊκή-οδηγία" in text
    assert "".join(line.strip() for line in _reason_lines(text)[-3:]) == "😀" * 70


@pytest.mark.parametrize("color", [False, True])
def test_control_characters_and_markup_from_scraped_text_stay_inert(color):
    hostile = 'Lov \x1b[31mRED\x1b[0m\r\x07bell\x9b2J \u202eevil\u2066 [bold]x[/] <b>'
    text = _text(_a(mid="id\x1b]0;title\x07", label="art\t1", reason=hostile, notes=("n\x1b[2J",)), color=color)
    bare = SGR.sub("", text)
    for ch in "\x1b\r\x07\x9b\u202e\u2066\t":
        assert ch not in bare
    shown = "Lov \\x1b[31mRED\\x1b[0m\\x07bell\\x9b2J \\u202eevil\\u2066 [bold]x[/] <b>"
    assert " ".join(_reason_lines(bare)[:-1]) == shown  # literally, wrapped in its column
    assert "id\\x1b]0;title\\x07" in bare and "art 1" in bare and "note: n\\x1b[2J" in bare
    _assert_aligned(bare, 140)


def test_colour_codes_only_with_color(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    rows = (_a(Status.INFRINGEMENT), _a(Status.MET), _a(Status.WAIVED), _a(Status.UNKNOWN, verified=False))
    plain = _text(*rows)
    coloured = _text(*rows, color=True)
    assert "\x1b" not in plain
    assert SGR.sub("", coloured) == plain  # the same table, styled
    assert "\x1b[1;31minfringement (1)\x1b[0m" in coloured and "\x1b[1;31minfringement\x1b[0m" in coloured
    assert "\x1b[32mmet\x1b[0m" in coloured and "\x1b[2mwaived\x1b[0m" in coloured
    assert "\x1b[35munknown (unverified)\x1b[0m" in coloured
    assert "\x1b[1mMeasure / obligation\x1b[0m" in coloured and "\x1b[1mSE: 4 assessments" in coloured


def test_no_colour_codes_on_a_dumb_terminal(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    assert "\x1b" not in _text(_a(), color=True)


def test_ten_thousand_rows_render():
    statuses = list(Status)
    rows = [_a(statuses[i % len(statuses)], mid=f"measure-{i}", reason=f"reason {i} " * (i % 7 + 1))
            for i in range(10_000)]
    text = _text(*rows, width=140)
    assert "SE: 10000 assessments" in text
    firsts = [line for t in _tables(text) for line in t[2:] if line.startswith("  measure-")]
    assert sorted(int(line.split()[0].split("-")[1]) for line in firsts) == list(range(10_000))


def test_wrap_keeps_the_first_line_indent_and_newlines():
    assert tt.wrap("  note: " + "abc " * 10, 20) == ["  note: abc abc abc", "  abc abc abc abc", "  abc abc abc"]
    assert tt.wrap(" " * 12 + "abc " * 4, 20) == [" " * 12 + "abc abc", "abc abc"]  # an indent of over half: dropped
    assert tt.wrap("a\n\nb", 5) == ["a", "", "b"]
    assert tt.wrap("abcdefghij klm", 4) == ["abcd", "efgh", "ij", "klm"]
    assert tt.wrap("日本語のテキスト", 5) == ["日本", "語の", "テキ", "スト"]
    assert all(cell_len(line) <= 9 for line in tt.wrap("  日本 語の テキスト " * 5, 9))


def test_narrow_characters_are_one_cell_in_rich():
    narrow = [chr(c) for c in range(0x20, 0x2600) if tt._NARROW.fullmatch(chr(c))]
    assert len(narrow) > 1000
    assert [ch for ch in narrow if cell_len(ch) != 1] == []


@pytest.mark.parametrize("width", [80, 100, 120, 140])
def test_the_whole_catalogue_at_each_width_breaks_no_identifier_status_or_date(width):
    from compliance.catalogue.load import load
    from compliance.report.assembly import build_reports

    catalogue = load()
    reports = build_reports(catalogue, None, ["DK", "IE", "SE", "EU"], as_of=AS_OF, horizon_days=90)
    text = render(reports, Format.TEXT, width=width)
    lines = text.split("\n")
    assert all(cell_len(line) <= width and line == line.rstrip() for line in lines)
    tokens = {token for line in lines for token in line.split()}
    ids = {m.id for m in catalogue.measures.values()} | {o.id for m in catalogue.measures.values()
                                                         for o in m.obligations}
    assert ids - {"-"} <= tokens | {t.rstrip(":") for t in tokens}  # each one whole on some line
    from compliance.render.rows import days_text

    for report in reports:
        for a in report.assessments:
            if a.deadline:
                assert a.deadline.isoformat() in tokens or a.deadline.isoformat() + "*" in tokens
                assert re.search(f"(^| ){days_text(a, report)}($| )", text, re.M)
    assert re.search(r"\b\d+\n\s*(late|left|early)\b", text) is None
    statuses = {s.value for s in Status}
    assert not [t for t in tokens if t.startswith(("infringeme", "not-applica")) and t.rstrip(",") not in statuses]
    if width < 100:
        assert not _tables(text)  # one block per assessment
    else:
        assert len(_tables(text)) == sum(len(r.grouped()) for r in reports)
        _assert_aligned(text, width)
