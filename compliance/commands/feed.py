"""`compliance feed`: an Atom feed of the changes, for all Member States or one."""

from __future__ import annotations

import click

from ..cli import _catalogue, _settings, _write, common_options, existing_store, output_option


@click.command()
@click.option("--member-state", "-m", "member_state", metavar="CC",
              help="Only this Member State's changes (or EU). Default: all.")
@click.option("--since", metavar="7d|2w|YYYY-MM-DD",
              help="The window of changes the feed holds (default [feed] since, else 90d).")
@output_option("Write the feed to FILE instead of stdout.")
@click.option("--self-url", metavar="URL", help="Where the feed is published (its rel=\"self\" link).")
@common_options
def feed(member_state, since, output, self_url, config_file, catalogues) -> None:  # noqa: ANN001
    """Status transitions, new and withdrawn evidence and new infringement steps as an Atom feed,
    newest first; each entry keeps its id across rewrites, so a feed reader shows it once.
    `compliance schedule run` writes the feeds after each refresh ([feed] in the config)."""
    from ..catalogue.memberstates import parse_targets
    from ..clock import utcnow
    from ..delivery.feed import build_feed, render_atom
    from ..errors import ConfigError
    from ..render.neutralise import safe_url
    from ..store.history import parse_since

    settings = _settings(config_file, catalogues)
    code = None
    if member_state:
        targets = parse_targets([member_state])
        if len(targets) != 1:
            raise ConfigError("--member-state: one Member State (or EU) per feed; leave it out for all")
        code = targets[0]
    if self_url is not None and safe_url(self_url) != self_url.strip():
        raise ConfigError(f"--self-url {self_url!r}: give an http(s) URL")
    now = utcnow()
    store = existing_store(settings)
    result = build_feed(store, _catalogue(settings), since=parse_since(since or settings.file.feed.since, now),
                        until=now, member_state=code, self_url=self_url)
    _write(render_atom(result), output)
