"""`compliance calendar`: the deadlines as an iCalendar feed (.ics)."""

from __future__ import annotations

import click

from ..cli import EXIT_CODES_HELP, HORIZON, _parse_date, common_options, output_option


@click.command(epilog=EXIT_CODES_HELP)
@click.option("--member-state", "-m", "member_states", multiple=True,
              help="EU or ISO code, 'all', or 'EU' for Commission deliverables; repeatable. Default: all.")
@output_option("Write to FILE.ics instead of stdout.")
@click.option("--measure", "measures", multiple=True, help="Only this measure: id, CELEX or act number (repeatable).")
@click.option("--as-of", callback=_parse_date, metavar="YYYY-MM-DD",
              help="Date the statuses in the descriptions are evaluated at (default: today).")
@click.option("--horizon", type=HORIZON, default=None, metavar="DAYS",
              help="Deadlines within this many days are due-soon (default 90).")
@click.option("--waivers", type=click.Path(dir_okay=False), help="Waivers TOML file.")
@common_options
def calendar(member_states, output, measures, as_of, horizon, waivers, config_file, catalogues) -> None:  # noqa: ANN001
    """One all-day event per dated obligation and Member State, with its status, reason and evidence."""
    from ..catalogue.memberstates import parse_targets
    from ..clock import utcnow
    from ..render.ics import render
    from ._reports import load_inputs

    targets = parse_targets(member_states or ("all",))
    inputs = load_inputs(config_file, catalogues, as_of=as_of, horizon=horizon, measures=measures,
                         waivers=waivers)
    body = render(inputs.reports(targets), now=utcnow())
    if output is None:
        click.echo(body, nl=False)  # bytes go to the binary stdout: CRLF kept
        return
    from ..cli import _write

    _write(body, output)
