"""`compliance scoreboard`: per Member State the deficit, counts, delays, open cases, rank and the
change since a stored snapshot; with trend charts in HTML."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import click

from ..cli import FORMATS, _parse_date, _write, common_options, output_option, text_width

if TYPE_CHECKING:
    from ..report.assembly import Report
    from ..report.scoreboard import Scoreboard
    from ..report.trends import Trend
    from ._reports import Inputs


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC) - timedelta(microseconds=1)


def compute(inputs: Inputs, *, since: str | None, shown: list[str] | None = None,
            now: datetime | None = None, reports: list[Report] | None = None) -> tuple[Scoreboard, Trend]:
    """The scoreboard as of `inputs.as_of` over all 27 (for the ranks), and its trend up to then.
    `since`: 7d, 2w or a date, counted back from the end of the as-of day (or now, if sooner).
    `reports`: the 27 Member States' reports when the caller has them already."""
    from ..catalogue.memberstates import codes
    from ..clock import utcnow
    from ..report.scoreboard import build
    from ..report.trends import trend
    from ..store.history import parse_since

    now = now or utcnow()
    reference = min(now, end_of(inputs.as_of))
    everyone = list(codes())
    board = build(reports if reports is not None else inputs.reports(everyone), as_of=inputs.as_of,
                  generated_at=now, shown=shown or everyone,
                  catalogue=inputs.catalogue, store=inputs.store,
                  since=parse_since(since, reference) if since else None, waivers=inputs.waivers,
                  measure_ids=inputs.measure_ids)
    history = trend(inputs.store, inputs.catalogue, until=reference, waivers=inputs.waivers,
                    measure_ids=inputs.measure_ids)
    return board, history


@click.command()
@click.option("--as-of", callback=_parse_date, metavar="YYYY-MM-DD",
              help="Evaluate at this date (default: today), on the evidence as the store held it then.")
@click.option("--since", metavar="7d|2w|YYYY-MM-DD",
              help="Show the change since the last snapshot stored at or before this moment (N days or weeks "
              "before the as-of date, or a date).")
@click.option("--member-state", "-m", "member_states", multiple=True,
              help="Show only these Member States (repeatable; ranks are still among all 27). Default: all.")
@click.option("--measure", "measures", multiple=True, help="Only these measures: id, CELEX or act number (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@output_option("Write to FILE instead of stdout.")
@click.option("--waivers", type=click.Path(dir_okay=False), help="Waivers TOML file.")
@common_options
def scoreboard(as_of, since, member_states, measures, fmt, output, waivers, config_file,  # noqa: ANN001
               catalogues) -> None:
    """Per Member State, over the obligations that bind it and are due: the deficit (share not
    met; unknown and waived counted apart and left out of the denominator), counts by status,
    overdue obligations, average and longest delay, open infringement cases, rank, and the change
    since --since. HTML adds the trend charts and links every number to its assessments."""
    from ..catalogue.memberstates import EU, parse_targets
    from ..errors import ConfigError
    from ..render.scoreboard import render
    from ._reports import load_inputs

    shown = parse_targets(member_states) if member_states else None
    if shown is not None and EU in shown:
        raise ConfigError("the scoreboard ranks Member States: EU (the Commission's deliverables) has no row")
    inputs = load_inputs(config_file, catalogues, as_of=as_of, measures=measures, waivers=waivers)
    board, history = compute(inputs, since=since, shown=shown)
    charts = None
    meta = None
    if fmt == "html":
        from .. import __version__
        from ..render.charts import scoreboard_charts
        from ..render.export_html import Meta

        charts = scoreboard_charts(history, [s.member_state for s in board.rows])
        meta = Meta.of(tool_version=__version__, catalogue_version=inputs.catalogue.version, as_of=inputs.as_of,
                       generated_at=board.generated_at, horizon_days=inputs.horizon_days)
    width = text_width() if fmt == "text" else None
    _write(render(board, fmt, trend=history if fmt == "json" else None, charts=charts, width=width, meta=meta),
           output)
