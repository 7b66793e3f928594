"""Self-contained HTML pages of an export bundle (also the source of the PDF): one per Member
State with its evidence annex, and the EU overview with the schematic map and the matrix.

Templates: templates/export_*.html.j2, autoescaped (render/html.environment). The map SVG is
the only markup inserted as-is; svgmap.render_map escapes every text it puts in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..model import STATUS_MEANINGS, STATUS_ORDER
from ..report.assembly import Report, rule_title
from .evidence import Annex
from .html import environment
from .overview import ABBREVIATIONS, Overview, worst
from .svgmap import COLOURS


@dataclass(frozen=True)
class Meta:
    """What every page of a bundle states about how it was made."""

    tool_version: str
    catalogue_version: str
    as_of: str
    generated_at: str
    horizon_days: int

    @classmethod
    def of(cls, *, tool_version: str, catalogue_version: str, as_of: date, generated_at: datetime,
           horizon_days: int) -> Meta:
        return cls(tool_version, catalogue_version, as_of.isoformat(),
                   generated_at.isoformat(timespec="seconds"), horizon_days)


def _env():  # noqa: ANN202
    env = environment()
    env.globals.update(colours=COLOURS, meanings=STATUS_MEANINGS, rule_title=rule_title,
                       abbreviations=ABBREVIATIONS, statuses=STATUS_ORDER,
                       worst=lambda r: worst(a.status for a in r.assessments))
    return env


def render_country(report: Report, *, annex: Annex, sources: list[dict], meta: Meta,
                   with_archive: bool, overview_href: str | None = None, archive_prefix: str = "",
                   chart_svg: str | None = None) -> str:
    """`chart_svg`: the Member State's status counts over time (render/charts.py), shown as it is."""
    from markupsafe import Markup

    return _env().get_template("export_country.html.j2").render(
        report=report, annex=annex, sources=sources, meta=meta, with_archive=with_archive,
        overview_href=overview_href, archive_prefix=archive_prefix, chart_svg=Markup(chart_svg) if chart_svg else None,
    )


def render_index(overview: Overview, *, map_svg: str, exported: list[Report], links: dict[str, str],
                 sources: list[dict], meta: Meta, scoreboard: dict | None = None) -> str:
    """`scoreboard`: render.scoreboard.html_context(...) for the overview's scoreboard section."""
    from markupsafe import Markup

    order = ", ".join(s.value for s in STATUS_ORDER)
    return _env().get_template("export_index.html.j2").render(
        overview=overview, map_svg=Markup(map_svg), exported=exported, links=links, sources=sources,
        meta=meta, order=order, scoreboard=scoreboard, **(scoreboard or {}),
    )
