"""Trend charts drawn with matplotlib: the EU-wide deficit over time, and a Member State's status
counts over time. SVG for HTML pages, PNG for mail (clients do not show inline SVG).

matplotlib is imported here only, and this module only by the commands that draw (scoreboard,
export, digest): never on the path of `compliance check`. The object API (Figure, no pyplot)
keeps no global figure state; rendering holds a lock because the rc settings are global.
"""

from __future__ import annotations

import io
import threading
from datetime import date
from typing import TYPE_CHECKING, Literal

from .svgmap import COLOURS

if TYPE_CHECKING:
    from ..report.trends import Trend

Kind = Literal["svg", "png"]
_LOCK = threading.Lock()
_RC = {
    "svg.fonttype": "none",  # text stays text (selectable, searchable), not glyph outlines
    "svg.hashsalt": "compliance",  # the same chart gives the same bytes (bundle hashes stay stable)
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
STATUS_COLOURS = {s.value: c for s, c in COLOURS.items()}
DEFICIT_COLOUR = "#0b4f9c"


def _save(fig, kind: Kind) -> str | bytes:  # noqa: ANN001 - matplotlib Figure
    out = io.BytesIO()
    metadata = {"Date": None} if kind == "svg" else {"Software": None}
    fig.savefig(out, format=kind, metadata=metadata, dpi=110 if kind == "png" else 72, bbox_inches="tight")
    data = out.getvalue()
    if kind == "svg":
        text = data.decode("utf-8")
        start = text.find("<svg")  # drop the XML declaration and doctype: the SVG goes inline in HTML
        return text[start:] if start >= 0 else text
    return data


def _figure(width: float, height: float):  # noqa: ANN202
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _dates_axis(ax, days: list[date]) -> None:  # noqa: ANN001
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if len(days) == 1:  # a single snapshot: a visible day either side
        from datetime import timedelta

        ax.set_xlim(days[0] - timedelta(days=1), days[0] + timedelta(days=1))


def eu_deficit_chart(trend: Trend, kind: Kind = "svg") -> str | bytes | None:
    """The mean deficit of the Member States at each snapshot day (None: no snapshot yet)."""
    points = [p for p in trend.points if p.eu_deficit is not None]
    if not points:
        return None
    from matplotlib import rc_context
    from matplotlib.ticker import PercentFormatter

    days = [p.day for p in points]
    values = [p.eu_deficit * 100 for p in points]
    with _LOCK, rc_context(_RC):
        fig = _figure(7.5, 2.6)
        ax = fig.add_subplot()
        ax.plot(days, values, color=DEFICIT_COLOUR, linewidth=2, marker="o", markersize=3.5, label="EU deficit")
        ax.set_ylim(0, max(100.0, max(values) * 1.05) if max(values) > 50 else max(10.0, max(values) * 1.25))
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.set_ylabel("deficit (mean of Member States)")
        ax.set_title("EU-wide deficit over time", loc="left", fontsize=10, fontweight="bold")
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        _dates_axis(ax, days)
        return _save(fig, kind)


def status_chart(trend: Trend, member_state: str, name: str | None = None, kind: Kind = "svg") -> str | bytes | None:
    """A Member State's assessments by status at each snapshot day, stacked (None: no snapshot yet)."""
    statuses = trend.statuses(member_state)
    if not trend.points or not statuses:
        return None
    from matplotlib import rc_context
    from matplotlib.ticker import MaxNLocator

    days = [p.day for p in trend.points]
    series = [[p.counts.get(member_state, {}).get(s, 0) for p in trend.points] for s in statuses]
    with _LOCK, rc_context(_RC):
        fig = _figure(7.5, 2.8)
        ax = fig.add_subplot()
        if len(days) == 1:
            bottom = 0
            for status, values in zip(statuses, series, strict=True):
                ax.bar(days, values, bottom=bottom, width=0.6, color=STATUS_COLOURS[status], label=status)
                bottom += values[0]
        else:
            # Steps: a count holds until the next snapshot; the last one is drawn for one day.
            from datetime import timedelta

            steps = [*days, days[-1] + timedelta(days=1)]
            ax.stackplot(steps, [[*v, v[-1]] for v in series], colors=[STATUS_COLOURS[s] for s in statuses],
                         labels=statuses, step="post")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("assessments")
        ax.set_title(f"{name or member_state} ({member_state}): assessments by status", loc="left", fontsize=10,
                     fontweight="bold")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8, reverse=True)
        _dates_axis(ax, days)
        return _save(fig, kind)


def scoreboard_charts(trend: Trend, member_states: list[str]) -> dict[str, str]:
    """SVG charts by key: "EU" for the EU-wide deficit, a code for that Member State's statuses."""
    from ..catalogue.memberstates import lookup

    charts: dict[str, str] = {}
    eu = eu_deficit_chart(trend)
    if eu is not None:
        charts["EU"] = eu  # type: ignore[assignment]
    for code in member_states:
        ms = lookup(code)
        chart = status_chart(trend, code, ms.name if ms else None)
        if chart is not None:
            charts[code] = chart  # type: ignore[assignment]
    return charts
