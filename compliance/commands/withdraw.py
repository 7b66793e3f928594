"""`compliance withdraw`: withdraw findings by hand when a source's answer was right to drop them."""

from __future__ import annotations

import json

import click

from ..cli import _catalogue, _settings, _write, common_options, output_option


@click.command()
@click.option("--source", required=True, help="The source whose findings to withdraw (see `compliance sources`).")
@click.option("--measure", "measures", multiple=True,
              help="Only findings of this measure: id, CELEX or act number (repeatable).")
@click.option("--member-state", "-m", "member_states", multiple=True,
              help="Only findings of this Member State (repeatable).")
@click.option("--key", "keys", multiple=True, help="Only the finding with this source key (repeatable).")
@click.option("--pending", "pending_only", is_flag=True,
              help="Only findings pending withdrawal (not listed by the source's latest healthy searches).")
@click.option("--reason", required=True, help="Why (kept with each finding and shown by diff and the digest).")
@click.option("--dry-run", is_flag=True, help="List what would be withdrawn; change nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@output_option("Write to FILE instead of stdout.")
@common_options
def withdraw(source, measures, member_states, keys, pending_only, reason, dry_run, fmt, output,  # noqa: ANN001
             config_file, catalogues) -> None:
    """Withdraw findings by hand, with a reason: for a source answer that was judged suspect
    (it lost whole Member States) when the source was in fact right. Every filter given must
    match; the assessments are snapshotted afterwards, so `diff` shows what moved."""
    from ..catalogue.memberstates import parse_targets
    from ..refresh.withdraw import withdraw as run
    from ..sources import SOURCES
    from ..store.engine import Store

    settings = _settings(config_file, catalogues)
    if source not in SOURCES:
        raise click.UsageError(f"unknown source {source!r}; known: {', '.join(sorted(SOURCES))}")
    catalogue = _catalogue(settings)
    measures = catalogue.resolve(measures)  # ids, CELEX numbers or "2024/1712"
    targets = parse_targets(member_states) if member_states else []
    store = Store.open(settings.db_url)
    run_id, found = run(settings, catalogue, store, source=source, reason=reason, measure_ids=list(measures),
                        member_states=targets, keys=list(keys), pending_only=pending_only, dry_run=dry_run)
    if fmt == "json":
        _write(json.dumps({"run_id": run_id, "dry_run": dry_run, "withdrawn": [w.to_dict() for w in found]},
                          indent=2, ensure_ascii=False) + "\n", output)
        return
    from ..render.neutralise import plain

    verb = "would withdraw" if dry_run else "withdrew"
    lines = [f"{verb} {len(found)} finding(s) of {source}" + (f" (run {run_id})" if run_id else "")]
    for w in found:
        since = f"; not listed since {w.not_listed_since.date().isoformat()}" if w.not_listed_since else ""
        lines.append(f"  {w.member_state or '-':<3} {w.measure_id}: {plain(w.reference or w.title or w.key)}"
                     f" [{plain(w.key)}]{since}")
    _write("\n".join(lines) + "\n", output)
