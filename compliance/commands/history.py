"""`compliance diff`: status transitions, new and withdrawn evidence, source health changes."""

from __future__ import annotations

import click

from ..cli import _catalogue, _settings, _write, common_options, existing_store, output_option


@click.command()
@click.option("--since", metavar="7d|2w|YYYY-MM-DD",
              help="Changes since N days/weeks ago or since a date (default 7d).")
@click.option("--from", "from_run", type=click.IntRange(min=1), metavar="RUN",
              help="Compare from this refresh run id (instead of --since).")
@click.option("--to", "to_run", type=click.IntRange(min=1), metavar="RUN",
              help="Compare up to this refresh run id (default: the latest).")
@click.option("--member-state", "-m", "member_states", multiple=True,
              help="Only these Member States (repeatable; 'all', or 'EU'). Default: all.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True)
@output_option("Write to FILE instead of stdout.")
@common_options
def diff(since, from_run, to_run, member_states, fmt, output, config_file, catalogues) -> None:  # noqa: ANN001
    """What changed between refresh runs: status transitions (e.g. due-soon -> overdue), new and
    withdrawn evidence, and changes of source health. Derived from the stored snapshots."""
    from ..catalogue.memberstates import parse_targets
    from ..render.history import render_diff
    from ..store.history import diff as compute
    from ..store.history import parse_since

    if since and (from_run or to_run):
        raise click.UsageError("use --since or --from/--to, not both")
    settings = _settings(config_file, catalogues)
    targets = parse_targets(member_states) if member_states else None
    catalogue = _catalogue(settings)
    store = existing_store(settings)
    if from_run or to_run:
        result = compute(store, catalogue, from_run=from_run, to_run=to_run, member_states=targets)
    else:
        result = compute(store, catalogue, since=parse_since(since or "7d"), member_states=targets)
    _write(render_diff(result, fmt), output)
