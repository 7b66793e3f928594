"""`compliance digest`: the period's changes, deadlines ahead, newly overdue items and source
problems; printed, written to a file, mailed (--send) or posted to a webhook."""

from __future__ import annotations

import sys

import click

from ..cli import _catalogue, _settings, _write, common_options, existing_store, output_option
from ..errors import EXIT_OK, EXIT_SOURCE_FAILED


@click.command()
@click.option("--since", metavar="7d|2w|YYYY-MM-DD",
              help="Start of the period: N days/weeks ago or a date (default [digest] since, else 7d).")
@click.option("--member-state", "-m", "member_states", multiple=True,
              help="Only these Member States (repeatable; 'all', 'EU'). Default: [digest] member_states, "
              "else all and EU.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html"]), default="text",
              show_default=True, help="Format printed or written with --output (mails carry text and HTML).")
@output_option("Write the digest to FILE.")
@click.option("--send", is_flag=True,
              help="Deliver through the configured channels ([smtp]; a webhook from COMPLIANCE_DIGEST_WEBHOOK "
              "or [digest] webhook); never twice for the same period and recipients; earlier failed sends "
              "are retried.")
@click.option("--webhook", metavar="URL", help="Also POST the digest as JSON to this URL.")
@common_options
def digest(since, member_states, fmt, output, send, webhook, config_file, catalogues) -> None:  # noqa: ANN001
    """Summarise a period: status changes, new and withdrawn evidence, deadlines in the next
    30/60/90 days, newly overdue items and sources that failed or went stale, each with its
    evidence URL. Exit 4 when a delivery failed (it is recorded and retried on the next run)."""
    from ..delivery.sending import run_digest

    settings = _settings(config_file, catalogues)
    # Printed or written only: a missing store is not created (a send records its deliveries).
    store = None if send or webhook else existing_store(settings)
    result = run_digest(settings, _catalogue(settings), since=since, member_states=member_states, store=store,
                        send=send, webhook=webhook, render_format=fmt if (output or not (send or webhook)) else None)
    if result.rendered is not None:
        _write(result.rendered, output)
    if result.outcomes:
        _write("\n".join(o.line() for o in result.outcomes) + "\n", None)
    sys.exit(EXIT_SOURCE_FAILED if result.failed else EXIT_OK)
