"""`compliance export` (auditor bundles), `compliance verify` (check one) and `compliance map`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import verbosity
from ..cli import EXIT_CODES_HELP, HORIZON, _parse_date, _write, common_options, output_option, verbosity_options

EXPORT_HELP = EXIT_CODES_HELP.replace(
    "  1  gaps at or above --fail-on (check)\n",
    "  1  verify: the bundle is not intact (one line per problem)\n",
)


@click.command(epilog=EXPORT_HELP)
@click.option("--member-state", "-m", "member_states", multiple=True,
              help="EU or ISO code, 'all', or 'EU'; repeatable. Default: all.")
@click.option("--format", "formats", multiple=True, metavar="LIST",
              help="Comma-separated: html,pdf,xlsx,csv,json,markdown or all (repeatable). "
              "Default: html,xlsx,csv,json,markdown (pdf needs the [pdf] extra: pip install -e '.[pdf]' "
              "in the checkout).")
@output_option("New or empty directory to write the bundle to", required=True, dir_okay=True, old_name_out=True)
@click.option("--as-of", callback=_parse_date, metavar="YYYY-MM-DD", help="Evaluate at this date (default: today).")
@click.option("--with-archive", is_flag=True,
              help="Copy the archived raw responses the evidence rests on into DIR/archive/<sha256>.")
@click.option("--measure", "measures", multiple=True, help="Only this measure: id, CELEX or act number (repeatable).")
@click.option("--horizon", type=HORIZON, default=None, metavar="DAYS",
              help="Deadlines within this many days are due-soon (default 90).")
@click.option("--waivers", type=click.Path(dir_okay=False), help="Waivers TOML file.")
@click.option("--since", metavar="7d|2w|YYYY-MM-DD",
              help="The scoreboard shows the change since the last snapshot at or before this moment.")
@common_options
def export(member_states, formats, output, as_of, with_archive, measures, horizon, waivers, since,  # noqa: ANN001
           config_file, catalogues) -> None:
    """Write per-country gap reports with their evidence annex, the EU overview and a manifest."""
    from ..catalogue.memberstates import codes, parse_targets
    from ..clock import utcnow
    from ..delivery.bundle import parse_formats, write_bundle
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
        output, reports, formats=fmt_list, catalogue=inputs.catalogue,
        sources=source_rows(inputs.store, inputs.settings), overview_reports=overview,
        archive_root=inputs.settings.state_dir / "archive" if with_archive else None,
        generated_at=now, measure_ids=inputs.measure_ids,
        scoreboard=compute(inputs, since=since, now=now, reports=all_states),
        store=inputs.store,
    )
    for item in result.missing:
        verbosity.note(f"warning: evidence body {item['sha256']} not in the bundle: {item['reason']}")
    archive_note = f", {len(result.archived)} archived bodies" if with_archive else ""
    click.echo(f"exported {len(reports)} report(s) as {','.join(fmt_list)} to {output}: {len(result.files)} files"
               f"{archive_note}")
    click.echo(f"manifest.json sha256 {result.manifest_sha256} (record it to detect a rewritten manifest)")


def _sha256_hex(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    import re

    if value is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", value.strip()):
        raise click.BadParameter(f"{value!r} is not a sha256 (64 hexadecimal digits)")
    return value.strip().lower() if value else None


@click.command(epilog=EXPORT_HELP)
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--expect-sha256", "expect", metavar="HEX", callback=_sha256_hex,
              help="The sha256 of manifest.json recorded at hand-over (printed by export): a manifest "
              "rewritten since is reported as changed.")
@verbosity_options
def verify(bundle: Path, expect: str | None) -> None:
    """Check an export bundle against its manifest.json: every listed file present with its
    SHA-256, no unlisted files, archived bodies hashing to their names; prints the sha256 of
    manifest.json itself and, with --expect-sha256, checks it."""
    from ..delivery.bundle import verify_bundle

    result = verify_bundle(bundle, expect)
    for problem in result.problems:
        click.echo(problem)
    if result.problems:
        click.echo(f"{bundle}: NOT intact: {len(result.problems)} problem(s) (manifest.json sha256 "
                   f"{result.manifest_sha256})", err=True)
        sys.exit(1)
    m = result.manifest
    click.echo(f"{bundle}: intact: {result.checked} files match manifest.json "
               f"(compliance {m.get('tool_version')}, catalogue {m.get('catalogue_version')}, "
               f"as of {m.get('as_of')})")
    checked = "as expected" if expect else "compare it with the one recorded at hand-over, or pass --expect-sha256"
    click.echo(f"manifest.json sha256 {result.manifest_sha256} ({checked})")


@click.command("map", epilog=EXIT_CODES_HELP)
@output_option("SVG file to write (default: stdout).", old_name_out=True)
@click.option("--as-of", callback=_parse_date, metavar="YYYY-MM-DD", help="Evaluate at this date (default: today).")
@click.option("--measure", "measure", help="Colour by this measure only (id, CELEX or act number).")
@click.option("--horizon", type=HORIZON, default=None, metavar="DAYS",
              help="Deadlines within this many days are due-soon (default 90).")
@click.option("--waivers", type=click.Path(dir_okay=False), help="Waivers TOML file.")
@common_options
def map_(output, as_of, measure, horizon, waivers, config_file, catalogues) -> None:  # noqa: ANN001
    """A schematic SVG map of the 27 Member States coloured by their most urgent status."""
    from ..catalogue.memberstates import codes
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
