"""`compliance scoreboard` output: text, JSON, CSV, markdown and HTML. Renders a
scoreboard.Scoreboard (and its trend charts); computes no figure."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..report.scoreboard import APART, DUE_STATUSES, Scoreboard, StateScore
from .overview import ABBREVIATIONS

if TYPE_CHECKING:
    from ..report.trends import Trend

ABBR = {s.value: a for s, a in ABBREVIATIONS.items()}

CSV_COLUMNS = [
    "rank", "member_state", "name", "deficit_percent", "deficit_low_percent", "deficit_high_percent", "due",
    "assessed", "met", "not_met", *(s for s in DUE_STATUSES), "not_yet_due", "average_delay_days",
    "longest_delay_days", "open_infringement_cases", "change_deficit_points", "change_not_met", "change_rank",
    "as_of", "compared_with_run", "deficit_denominator",
]
DENOMINATOR = "met + met-late + overdue + infringement (unknown and waived left out)"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def signed(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if value == 0:
        return f"0{unit}"
    return f"{value:+g}{unit}" if isinstance(value, int) else f"{value:+.1f}{unit}"


def days(value: float | int | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if isinstance(value, float) else str(value)


def deficit_range(s: StateScore) -> str:
    rng = s.deficit_range
    return "-" if rng is None or rng[0] == rng[1] else f"{percent(rng[0])}-{percent(rng[1])}"


def _change(s: StateScore) -> dict[str, Any]:
    return s.change() or {"deficit_points": None, "not_met": None, "rank": None, "unknown": None}


def heading(board: Scoreboard) -> str:
    scope = f"; measures: {', '.join(board.measure_ids)}" if board.measure_ids else ""
    return f"Scoreboard as of {board.as_of.isoformat()}{scope}"


def eu_line(board: Scoreboard) -> str:
    eu = board.eu()
    ranked = sum(1 for s in board.states if s.deficit is not None)
    states = "Member State" if ranked == 1 else "Member States"
    text = (f"EU: deficit {percent(board.eu_deficit)} (mean of {ranked} {states}); due {eu['due']}, "
            f"met {eu['met']}, not met {eu['not_met']}, unknown {eu['unknown']}, waived {eu['waived']}, "
            f"open infringement cases {eu['open_infringement_cases']}")
    if board.then_run is not None:
        text += f"; change {signed(eu['change_points'], ' points')} (then {percent(board.eu_deficit_then)})"
    return text


# -- text -------------------------------------------------------------------------------------------


def render_text(board: Scoreboard, width: int | None = None) -> str:
    """A table as wide as `width` allows: every status count; without the met and not-met
    breakdown (INF, OVD, MET, LATE) when that does not fit; else a block per Member State."""
    from .texttable import clean, width_of, wrap

    width = width or 140
    for shown in (DUE_STATUSES, APART, None):
        out = _blocks(board, width) if shown is None else _table(board, shown, width)
        if max(map(width_of, out)) <= width:
            break
    legend = ", ".join(f"{ABBR[s]} {s}" for s in shown or DUE_STATUSES)
    for paragraph in (eu_line(board), f"Columns: {legend}; delays in days; If unknown: the deficit if every "
                      "unknown were met / not met.", f"Definition: {board.definition}",
                      *(f"note: {n}" for n in board.notes)):
        out += wrap(clean(paragraph), width)
    return "\n".join(out) + "\n"


def _table(board: Scoreboard, statuses: tuple[str, ...], width: int) -> list[str]:
    """The table with a count column for each of `statuses` (numbers are never folded: it can be
    wider than `width`)."""
    from .texttable import Column, clean, table

    columns = [Column("Rank", wrap=False, right=True), Column("MS", wrap=False),
               Column("Deficit", wrap=False, right=True), Column("If unknown", wrap=False, right=True),
               Column("Due", wrap=False, right=True), Column("Met", wrap=False, right=True),
               Column("Not met", wrap=False, right=True),
               *(Column(ABBR[s], wrap=False, right=True) for s in statuses),
               Column("Avg delay", wrap=False, right=True), Column("Longest", wrap=False, right=True),
               Column("Cases", wrap=False, right=True)]
    if board.then_run is not None:
        columns += [Column("Δ deficit", wrap=False, right=True), Column("Δ not met", wrap=False, right=True),
                    Column("Δ rank", wrap=False, right=True)]
    rows = []
    for s in board.rows:
        counts = s.counts
        row = [str(s.rank) if s.rank else "-", s.member_state, percent(s.deficit), deficit_range(s), str(s.due),
               str(s.met), str(s.not_met), *(str(counts[st]) for st in statuses), days(s.average_delay),
               days(s.longest_delay), str(len(s.open_cases))]
        if board.then_run is not None:
            c = _change(s)
            row += [signed(c["deficit_points"], " pt"), signed(c["not_met"]), signed(c["rank"])]
        rows.append(row)
    return table(clean(heading(board)), "bold", columns, rows, width=width, color=False)


def _blocks(board: Scoreboard, width: int) -> list[str]:
    """The table's figures as one block per Member State, for a width the table does not fit."""
    from .texttable import clean, wrap

    out = [clean(heading(board)), ""]
    for s in board.rows:
        rng = deficit_range(s)
        lines = [f"{s.rank or '-':>3}  {s.member_state}  deficit {percent(s.deficit)}"
                 + (f" (if unknown {rng})" if rng != "-" else ""),
                 f"due {s.due}: met {s.met}, not met {s.not_met}; "
                 + ", ".join(f"{ABBR[st]} {s.counts[st]}" for st in DUE_STATUSES),
                 f"delay in days: average {days(s.average_delay)}, longest {days(s.longest_delay)}; "
                 f"open cases {len(s.open_cases)}"]
        if board.then_run is not None:
            c = _change(s)
            lines.append(f"change: deficit {signed(c['deficit_points'], ' pt')}, not met {signed(c['not_met'])}, "
                         f"rank {signed(c['rank'])}")
        out += wrap(lines[0], width)
        for line in lines[1:]:
            out += wrap("       " + line, width)
    out.append("")
    return out


# -- JSON, CSV, markdown ------------------------------------------------------------------------------


def render_json(board: Scoreboard, trend: Trend | None = None) -> str:
    data = board.to_dict()
    if trend is not None:
        data["trend"] = trend.to_dict()
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def csv_rows(board: Scoreboard) -> list[dict[str, Any]]:
    rows = []
    for s in board.rows:
        f = s.figures()
        rng = f["deficit_range"]
        c = _change(s)
        rows.append({
            "rank": f["rank"], "member_state": s.member_state, "name": s.name,
            "deficit_percent": f["deficit_percent"],
            "deficit_low_percent": None if rng is None else round(rng[0] * 100, 1),
            "deficit_high_percent": None if rng is None else round(rng[1] * 100, 1),
            "due": s.due, "assessed": s.assessed, "met": s.met, "not_met": s.not_met, **s.counts,
            "not_yet_due": s.not_yet_due, "average_delay_days": f["average_delay_days"],
            "longest_delay_days": s.longest_delay, "open_infringement_cases": len(s.open_cases),
            "change_deficit_points": c["deficit_points"], "change_not_met": c["not_met"], "change_rank": c["rank"],
            "as_of": board.as_of.isoformat(), "compared_with_run": board.then_run.id if board.then_run else None,
            "deficit_denominator": DENOMINATOR,
        })
    return rows


def render_csv(board: Scoreboard) -> str:
    from .csv_ import write_csv

    return write_csv(CSV_COLUMNS, ({k: "" if v is None else v for k, v in row.items()} for row in csv_rows(board)))


def render_markdown(board: Scoreboard) -> str:
    from .neutralise import md_text as md_escape

    lines = [f"# {md_escape(heading(board))}", ""]
    head = ["Rank", "Member State", "Deficit", "If unknown", "Due", "Met", "Not met",
            *DUE_STATUSES, "Avg delay (days)", "Longest (days)", "Open cases"]
    if board.then_run is not None:
        head += ["Δ deficit", "Δ not met", "Δ rank"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in board.rows:
        counts = s.counts
        cells = [str(s.rank) if s.rank else "-", md_escape(f"{s.name} ({s.member_state})"), percent(s.deficit),
                 deficit_range(s), str(s.due), str(s.met), str(s.not_met), *(str(counts[st]) for st in DUE_STATUSES),
                 days(s.average_delay), days(s.longest_delay), str(len(s.open_cases))]
        if board.then_run is not None:
            c = _change(s)
            cells += [signed(c["deficit_points"], " pt"), signed(c["not_met"]), signed(c["rank"])]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", md_escape(eu_line(board)), "", f"Definition: {md_escape(board.definition)}", ""]
    lines += [f"- note: {md_escape(n)}" for n in board.notes]
    return "\n".join(lines).rstrip("\n") + "\n"


# -- HTML ------------------------------------------------------------------------------------------------


def html_context(board: Scoreboard, charts: dict[str, str] | None = None,
                 detail_href: str | None = "") -> dict[str, Any]:
    """What the scoreboard templates need: the board, its SVG charts (markup made by render/charts.py,
    which escapes its text), the helpers, and where the lists behind the numbers are."""
    from markupsafe import Markup

    return {"board": board, "charts": {k: Markup(v) for k, v in (charts or {}).items()},
            "due_statuses": DUE_STATUSES, "abbr": ABBR, "percent": percent, "signed": signed, "days": days,
            "deficit_range": deficit_range, "change": _change, "eu_line": eu_line(board), "heading": heading(board),
            "detail_href": detail_href}


def render_html(board: Scoreboard, *, charts: dict[str, str] | None = None, meta: Any = None) -> str:
    """A self-contained page: the table (each number a link to the assessments behind it, listed
    below per Member State), the EU trend and each Member State's status chart (SVG, when given)."""
    from .export_html import _env

    return _env().get_template("scoreboard.html.j2").render(meta=meta, **html_context(board, charts))


def render(board: Scoreboard, fmt: str, *, trend: Trend | None = None, charts: dict[str, str] | None = None,
           width: int | None = None, meta: Any = None) -> str:
    if fmt == "json":
        return render_json(board, trend)
    if fmt == "csv":
        return render_csv(board)
    if fmt == "markdown":
        return render_markdown(board)
    if fmt == "html":
        return render_html(board, charts=charts, meta=meta)
    return render_text(board, width)
