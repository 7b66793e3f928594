"""`compliance export` (auditor bundles), `compliance verify` (check one) and `compliance map`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..cli import EXIT_CODES_HELP, HORIZON, _parse_date, _write, common_options

EXPORT_HELP = EXIT_CODES_HELP.replace(
    "  1  gaps at or above --fail-on (check)\n",
    "  1  verify: the bundle is not intact (one line per problem)\n",
)


@click.command(epilog=EXPORT_HELP)
@click.option("--member-state", "-m", "member_states", multiple=True,
              help="EU or ISO code, 'all', or 'EU'; repeatable. Default: all.")
@click.option("--format", "formats", multiple=True, metavar="LIST",
              help="Comma-separated: html,pdf,xlsx,csv,json,markdown or all (repeatable). "
              "Default: html,xlsx,csv,json,markdown (pdf needs the [pdf] extra).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="New or empty directory to write the bundle to.")
@click.option("--as-of", callback=_parse_date, metavar="YYYY-MM-DD", help="Evaluate at this date (default: today).")
@click.option("--with-archive", is_flag=True,
              help="Copy the archived raw responses the evidence rests on into DIR/archive/<sha256>.")
@click.option("--measure", "measures", multiple=True, help="Only this measure id (repeatable).")
@click.option("--horizon", type=HORIZON, default=None, metavar="DAYS",
              help="Deadlines within this many days are due-soon (default 90).")
@click.option("--waivers", type=click.Path(dir_okay=False), help="Waivers TOML file.")
@click.option("--since", metavar="7d|2w|YYYY-MM-DD",
              help="The scoreboard shows the change since the last snapshot at or before this moment.")
@common_options
def export(member_states, formats, out, as_of, with_archive, measures, horizon, waivers, since,  # noqa: ANN001
           config_file, catalogues) -> None:
    """Write per-country gap reports with their evidence annex, the EU overview and a manifest."""
    from ..bundle import parse_formats, write_bundle
    from ..clock import utcnow
    from ..memberstates import codes, parse_targets
    from ..render.sources import source_rows
    from ._reports import load_inputs

    fmt_list = parse_formats(formats)
    targets = parse_targets(member_states or ("all",))
    inputs = load_inputs(config_file, catalogues, as_of=as_of, horizon=horizon, measures=measures,
                         waivers=waivers)
    if "pdf" in fmt_list:
        from ..render import pdf

        pdf.check_available()  # before any work: one line saying what to install
    from .scoreboard import compute

    reports = inputs.reports(targets)
    everyone = list(codes())
    states = [r for r in reports if r.member_state in everyone]
    all_states = states if len(states) == len(everyone) else inputs.reports(everyone)
    overview = all_states if "html" in fmt_list or "pdf" in fmt_list else None
    now = utcnow()
    result = write_bundle(
        out, reports, formats=fmt_list, catalogue=inputs.catalogue,
        sources=source_rows(inputs.store, inputs.settings), overview_reports=overview,
        archive_root=inputs.settings.state_dir / "archive" if with_archive else None,
        generated_at=now, measure_ids=inputs.measure_ids,
        scoreboard=compute(inputs, since=since, now=now, reports=all_states),
    )
    for item in result.missing:
        click.echo(f"warning: evidence body {item['sha256']} not in the bundle: {item['reason']}", err=True)
    archive_note = f", {len(result.archived)} archived bodies" if with_archive else ""
    click.echo(f"exported {len(reports)} report(s) as {','.join(fmt_list)} to {out}: {len(result.files)} files"
               f"{archive_note}")
    click.echo(f"manifest.json sha256 {result.manifest_sha256} (record it to detect a rewritten manifest)")


@click.command(epilog=EXPORT_HELP)
@click.argument("bundle", type=click.Path(path_type=Path))
def verify(bundle: Path) -> None:
    """Check an export bundle against its manifest.json: every listed file present with its
    SHA-256, no unlisted files, archived bodies hashing to their names."""
    from ..bundle import verify_bundle

    result = verify_bundle(bundle)
    for problem in result.problems:
        click.echo(problem)
    if result.problems:
        click.echo(f"{bundle}: NOT intact: {len(result.problems)} problem(s)", err=True)
        sys.exit(1)
    m = result.manifest
    click.echo(f"{bundle}: intact: {result.checked} files match manifest.json "
               f"(compliance {m.get('tool_version')}, catalogue {m.get('catalogue_version')}, "
               f"as of {m.get('as_of')})")


@click.command("map", epilog=EXIT_CODES_HELP)
@click.option("--out", "output", type=click.Path(dir_okay=False), help="SVG file to write (default: stdout).")
@click.option("--as-of", callback=_parse_date, metavar="YYYY-MM-DD", help="Evaluate at this date (default: today).")
@click.option("--measure", "measure", help="Colour by this measure only (id from `compliance measures`).")
@click.option("--horizon", type=HORIZON, default=None, metavar="DAYS",
              help="Deadlines within this many days are due-soon (default 90).")
@click.option("--waivers", type=click.Path(dir_okay=False), help="Waivers TOML file.")
@common_options
def map_(output, as_of, measure, horizon, waivers, config_file, catalogues) -> None:  # noqa: ANN001
    """A schematic SVG map of the 27 Member States coloured by their most urgent status."""
    from ..memberstates import codes
    from ..render.overview import overview
    from ..render.svgmap import render_map
    from ._reports import load_inputs

    inputs = load_inputs(config_file, catalogues, as_of=as_of, horizon=horizon,
                         measures=(measure,) if measure else (), waivers=waivers)
    ov = overview(inputs.reports(list(codes())))
    if measure:
        m = inputs.catalogue.get(measure)
        title = f"{m.id}: {m.title}"
    else:
        title = "EU Member States by status (all measures)"
    subtitle = f"Most urgent status per Member State, as of {inputs.as_of.isoformat()}"
    _write(render_map(ov.states, title=title, subtitle=subtitle), output)
