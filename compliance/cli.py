"""The `compliance` command: parses, calls, renders, sets the exit code. Nothing else.

Imports of the heavy parts (store, rules, renderers, HTTP) happen inside the commands, so that
start-up stays fast and `--help` never touches the store.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

import click

from . import __version__, verbosity
from .config.defaults import AS_OF_FIRST, AS_OF_LAST, MAX_DAYS
from .errors import (
    EXIT_CANNOT_EVALUATE,
    EXIT_GAPS,
    EXIT_OK,
    EXIT_SOURCE_FAILED,
    EXIT_USAGE,
    ComplianceError,
    ConfigError,
)
from .output_file import write_output

if TYPE_CHECKING:
    from .config.settings import Settings
    from .report import cache as report_cache
    from .report.assembly import Report

EXIT_CODES_HELP = """\b
Exit codes:
  0  nothing at or above --fail-on (check); success (other commands)
  1  gaps at or above --fail-on (check)
  2  usage, config or input error (one line on stderr, no traceback)
  3  could not evaluate: the store or the catalogue is unreadable, or the disk
     is full, failing (I/O error) or read-only (nothing stored before is lost)
  4  refresh: a source failed, was blocked or is suspect; digest: a delivery failed;
     sources --probe: a source drifted or was unreachable
  5  refresh, import or withdraw refused: another refresh holds the store's lock
"""

FORMATS = ["text", "json", "csv", "markdown", "html"]

# Commands in their own modules under compliance/commands/, imported only when run or listed in
# --help: "name": "module:attribute". An entry whose module is absent is simply not offered.
LAZY_COMMANDS: dict[str, str] = {
    "refs": "compliance.commands.refs:refs",
    "diff": "compliance.commands.history:diff",
    "digest": "compliance.commands.digest:digest",
    "schedule": "compliance.commands.schedule:schedule",
    "export": "compliance.commands.export:export",
    "verify": "compliance.commands.export:verify",
    "map": "compliance.commands.export:map_",
    "calendar": "compliance.commands.calendar:calendar",
    "withdraw": "compliance.commands.withdraw:withdraw",
    "scoreboard": "compliance.commands.scoreboard:scoreboard",
    "feed": "compliance.commands.feed:feed",
}


class LazyGroup(click.Group):
    """A click group that imports the modules of LAZY_COMMANDS on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(n for n in LAZY_COMMANDS if self._load(n))})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or self._load(name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(name)
        if target is None:
            return None
        from importlib import import_module
        from importlib.util import find_spec

        module_name, attribute = target.split(":")
        if find_spec(module_name) is None:
            return None
        return getattr(import_module(module_name), attribute)


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """--as-of: a date between AS_OF_FIRST and AS_OF_LAST (config/defaults.py), else a usage error."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None
    if not AS_OF_FIRST <= day.isoformat() <= AS_OF_LAST:
        raise click.BadParameter(f"{value} is outside the dates this tool evaluates ({AS_OF_FIRST} to {AS_OF_LAST})")
    return day


# --horizon of every command that takes it.
HORIZON = click.IntRange(0, MAX_DAYS)


def _verbosity(ctx: click.Context, param: click.Parameter, value: object) -> None:
    """--quiet / --verbose: set the level as soon as either is read (see verbosity.py)."""
    from . import verbosity

    if not value:
        return
    ctx.meta.setdefault("compliance.verbosity", set()).add(param.name)
    if ctx.meta["compliance.verbosity"] == {"quiet", "verbose"}:
        raise click.UsageError("--quiet and --verbose cannot be used together")
    verbosity.set_level(verbosity.QUIET if param.name == "quiet" else int(value))  # type: ignore[call-overload]


def verbosity_options(func):  # noqa: ANN001, ANN201 - decorator
    """--quiet and --verbose: taken by every command."""
    func = click.option("--verbose", "-v", count=True, expose_value=False, callback=_verbosity,
                        help="Say more on stderr: what each step did (-v), every HTTP request (-vv).")(func)
    return click.option("--quiet", "-q", is_flag=True, expose_value=False, callback=_verbosity,
                        help="Print only the result and errors (no progress, notes or warnings).")(func)


def _store_flag(_ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        from .config.settings import set_store_flags

        if not value.strip():
            raise click.BadParameter("is empty", param=param)
        set_store_flags(**{str(param.name): value})


def common_options(func):  # noqa: ANN001, ANN201 - decorator
    """--config, --catalogue, --state-dir, --db-url, --quiet and --verbose: taken by every command
    that reads settings."""
    func = verbosity_options(func)
    func = click.option("--db-url", metavar="URL", expose_value=False, callback=_store_flag,
                        help="The database (default: $COMPLIANCE_DB_URL, else [store] url, else "
                        "DIR/compliance.db in the state directory).")(func)
    func = click.option("--state-dir", metavar="DIR", expose_value=False, callback=_store_flag,
                        help="The state directory: database, archive, caches, lock (default: "
                        "$COMPLIANCE_STATE_DIR, else [store] state_dir, else ~/.local/state/compliance).")(func)
    func = click.option("--config", "config_file", type=click.Path(dir_okay=False),
                        help="Config file (default: $COMPLIANCE_CONFIG, else ./compliance.toml, else "
                        "$XDG_CONFIG_HOME/compliance/compliance.toml).")(func)
    func = click.option("--catalogue", "catalogues", multiple=True, type=click.Path(dir_okay=False),
                        help="Extra catalogue file extending or overriding the built-in one "
                        "(repeatable).")(func)
    return func


_OUT_ALIAS = "compliance.out_alias"


def output_option(help: str, *, required: bool = False, dir_okay: bool = False,  # noqa: A002, ANN201
                  old_name_out: bool = False):
    """`--output` / `-o`, the one name of the output on every command; with `old_name_out`,
    `--out` is kept as a hidden alias (the name export and map had until 0.2.0)."""
    kind = click.Path(dir_okay=dir_okay, file_okay=not dir_okay, path_type=Path if dir_okay else None)

    def chosen(ctx: click.Context, _param: click.Parameter, value: object) -> object:
        alias = ctx.meta.get(_OUT_ALIAS)
        if value is not None and alias is not None:
            raise click.UsageError("--out is the old name of --output: give one of them")
        value = value if value is not None else alias
        if value is None and required and not ctx.resilient_parsing:
            raise click.UsageError("missing option --output")
        return value

    def old_name(ctx: click.Context, _param: click.Parameter, value: object) -> None:
        if value is None:
            return
        if ctx.params.get("output") is not None:
            raise click.UsageError("--out is the old name of --output: give one of them")
        ctx.meta[_OUT_ALIAS] = value
        if "output" in ctx.params:  # --output was processed first (it was not given)
            ctx.params["output"] = value

    def decorate(func):  # noqa: ANN001, ANN202
        if old_name_out:
            func = click.option("--out", type=kind, hidden=True, expose_value=False, callback=old_name)(func)
        return click.option("--output", "-o", "output", type=kind, callback=chosen,
                            help=help + (" (required)" if required else ""))(func)

    return decorate


def _settings(config_file: str | None, catalogues: tuple[str, ...], waivers: str | None = None) -> Settings:
    from .config.settings import load_settings

    settings = load_settings(config_file, catalogues, waivers)
    legacy = Path("state") / "compliance.db"
    if settings.store_origin == "default" and legacy.is_file() and legacy.absolute().parent != settings.state_dir:
        verbosity.note(f"note: ./state holds a store (the default of earlier versions); the store is now "
                       f"{settings.state_dir}: give --state-dir {legacy.absolute().parent} (or COMPLIANCE_STATE_DIR, "
                       "[store] state_dir) to keep using it")
    return settings


def _catalogue(settings: Settings):  # noqa: ANN202
    from .catalogue.load import load

    # The validated built-in catalogue is cached in the state directory (catalogue/cache.py),
    # once there is one: reading never creates it.
    cache = settings.state_dir / "cache" if settings.state_dir.is_dir() else None
    return load(settings.catalogue_files, cache_dir=cache)


def _store_for_reading(settings: Settings):  # noqa: ANN202
    """A read-only sqlite3 reader of an up-to-date SQLite store (no SQLAlchemy import), else the
    Store as `existing_store` opens it."""
    from .store.reader import open_reader

    reader = open_reader(settings.db_url)
    if reader is not None:
        return reader
    return existing_store(settings)


def existing_store(settings: Settings):  # noqa: ANN201 - a Store
    """The store for a command that only reads: opened (and migrated) as usual when it exists;
    when its SQLite file does not, an empty store in memory, so that the report comes from the
    catalogue alone and says so, and nothing is created on disk."""
    from .config.settings import sqlite_path
    from .store.engine import Store

    path = sqlite_path(settings.db_url)
    if path is None or path.exists():
        return Store.open(settings.db_url)
    store = Store.open("sqlite://")  # the report names it as missing: no note on stderr besides
    store.label = f"{settings.store_label} (missing: nothing fetched yet)"
    return store


def text_width() -> int | None:
    """The width of text output: $COLUMNS, else the terminal's (stdout's, or stderr's when
    stdout is a pipe or file), else None (the renderer's default)."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdecimal() and int(columns) > 0:
        return max(int(columns), 20)
    for stream in (sys.stdout, sys.stderr):
        try:
            size = os.get_terminal_size(stream.fileno()).columns if stream.isatty() else 0
        except (AttributeError, OSError, ValueError):
            size = 0
        if size > 0:
            return max(size, 20)
    return None


def _write(text: str | bytes, output: str | None) -> None:
    """Print, or write to `output` (see output_file.write_output)."""
    if output is None:
        click.echo(text, nl=not (text.endswith(b"\n") if isinstance(text, bytes) else text.endswith("\n")))
        return
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    write_output(output, lambda handle: handle.write(data))


def _write_chunks(chunks: Iterable[bytes], output: str | None, copy: report_cache.Keeper | None = None) -> None:
    """Print the pieces as they come (ending with a newline, as `_write` does), or write them to
    `output` (see output_file.write_output); each piece is also given to `copy`, when there is one."""

    def fill(handle: BinaryIO) -> bytes:
        last = b""
        for chunk in chunks:
            handle.write(chunk)
            if copy is not None:
                copy.write(chunk)
            last = chunk or last
        return last

    if output is None:
        sys.stdout.flush()
        stream = sys.stdout.buffer
        if not fill(stream).endswith(b"\n"):
            stream.write(b"\n")
        stream.flush()
        return
    write_output(output, fill)


def _text_into(handle: BinaryIO, fill: Callable[[TextIO], object]) -> None:
    """`fill` writing text (UTF-8) into a binary `handle`."""
    import io

    text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=True)
    try:
        fill(text)
        text.flush()
    finally:
        text.detach()



@click.group(cls=LazyGroup, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="compliance")
def cli() -> None:
    """Track EU Member States' transposition and adoption of the measures of the EU Strategy
    to tackle Organised Crime 2021-2025 and the EU Anti-Trafficking Strategy 2021-2025."""


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--member-state", "-m", "member_states", multiple=True,
              help="EU or ISO code (DK, EL or GR ...), 'all', or 'EU' for Commission "
              "deliverables; repeatable. Default: all.")
@click.option("--measure", "measures", multiple=True, help="Only this measure: id, CELEX or act number (repeatable).")
@click.option("--as-of", callback=_parse_date, metavar="YYYY-MM-DD",
              help="Evaluate at this date (default: today).")
@click.option("--horizon", type=HORIZON, default=None, metavar="DAYS",
              help="Deadlines within this many days are due-soon (default 90).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@output_option("Write to FILE instead of stdout.")
@click.option("--fail-on", type=click.Choice(["overdue", "due-soon", "unknown", "never"]),
              default=None, help="Exit 1 when a status at or above this is found (default overdue).")
@click.option("--waivers", type=click.Path(dir_okay=False), help="Waivers TOML file.")
@click.option("--no-cache", is_flag=True,
              help="Compute afresh: neither serve nor keep a rendered report (see README, report cache).")
@common_options
def check(member_states, measures, as_of, horizon, fmt, output, fail_on, waivers, no_cache,
          config_file, catalogues) -> None:  # noqa: ANN001
    """Report, per Member State, the status of every obligation in the catalogue."""
    from .catalogue.memberstates import parse_targets
    from .checks import RULES
    from .checks import waivers as waiver_mod
    from .clock import utcnow
    from .render import Format, render_chunks
    from .report.assembly import FAIL_LEVELS, has_gaps, iter_reports

    settings = _settings(config_file, catalogues, waivers)
    from .catalogue.cache import prime_member_states

    prime_member_states(settings.state_dir / "cache")  # no YAML parsing when the cache is current
    targets = parse_targets(member_states or ("all",))
    catalogue = _catalogue(settings)
    measures = catalogue.resolve(measures)  # ids, CELEX numbers or "2024/1712"
    waiver_list = (
        waiver_mod.load(settings.waivers_file, set(RULES), set(catalogue.measures))
        if settings.waivers_file
        else []
    )
    default_horizon, default_fail_on, max_age = settings.check_defaults()
    now = utcnow()
    as_of = as_of or now.date()
    horizon = horizon if horizon is not None else default_horizon
    color = fmt == "text" and output is None and sys.stdout.isatty()
    width = text_width() if fmt == "text" else None
    level = fail_on or default_fail_on
    cached = None
    if not no_cache:
        from .report import cache as report_cache

        cached = report_cache.query(settings, catalogue, {
            "targets": targets, "measures": list(measures), "as_of": as_of, "horizon": horizon, "max_age": max_age,
            "format": fmt, "color": color, "width": width})
    hit = cached.get(now) if cached else None
    if hit is not None:
        if output is None:
            sys.stdout.flush()
            report_cache.copy_to(hit.body, sys.stdout.buffer)
        else:
            write_output(output, lambda handle: report_cache.copy_to(hit.body, handle))
        gaps = hit.gaps.get(level)
    else:
        store = _store_for_reading(settings)
        # With a cache to fill, the coverage rows read are kept: they say how long the answer holds.
        recorder = store if cached is None else report_cache.CoverageRecorder(store)
        gaps_at = dict.fromkeys(FAIL_LEVELS, False)

        def reports() -> Iterator[Report]:
            # One Member State at a time: each report is written before the next is computed.
            for report in iter_reports(catalogue, recorder, targets, as_of=as_of, horizon_days=horizon,
                                       measure_ids=list(measures) or None, waivers=waiver_list,
                                       max_age_days=max_age, now=now):
                for lvl in FAIL_LEVELS:
                    gaps_at[lvl] = gaps_at[lvl] or has_gaps([report], lvl)
                yield report

        kept = cached.keeper() if cached is not None else None
        try:
            _write_chunks((chunk.encode("utf-8") for chunk in render_chunks(reports(), Format(fmt), color=color,
                                                                            width=width)), output, kept)
        except BaseException:
            if kept is not None:
                kept.discard()
            raise
        if cached is not None and kept is not None:
            cached.put(kept, now, recorder, max_age, gaps_at)
        gaps = gaps_at.get(level)
    if level not in FAIL_LEVELS:
        raise ConfigError(f"[check] fail_on = {level!r}: use overdue, due-soon, unknown or never")
    sys.exit(EXIT_GAPS if gaps else EXIT_OK)


@cli.command()
@click.option("--member-state", "-m", "member_state", help="Show applicability for this state.")
@click.option("--kind", help="Only measures of this kind (directive, regulation ...).")
@click.option("--facts", "list_facts", is_flag=True,
              help="List every fact (dates, CELEX, OJ, DK/IE positions) with its source and whether it is verified "
              "live in the act's own text (refresh --source act-texts), from the fact sheet only, or not; prints "
              "the share verified.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@output_option("Write to FILE instead of stdout.")
@common_options
def measures(member_state, kind, list_facts, fmt, output, config_file, catalogues) -> None:  # noqa: ANN001
    """List the catalogue: measures, obligations, deadlines and who is bound."""
    from .catalogue.memberstates import normalise
    from .render.catalogue import render_measures

    settings = _settings(config_file, catalogues)
    catalogue = _catalogue(settings)
    code = None
    if member_state is not None:
        try:
            code = normalise(member_state)
        except ComplianceError as exc:
            raise ConfigError(str(exc)) from None
    items = [m for m in catalogue.measures.values() if kind is None or m.kind == kind]
    texts = _act_texts(settings)
    if list_facts:
        from .catalogue.facts import compare, facts_of
        from .render.facts import render_facts

        found = [f for m in items for f in facts_of(m, compare(m, texts.get(m.id, {})))]
        _write(render_facts(found, catalogue.version, fmt), output)
        return
    _write(render_measures(catalogue, items, code, fmt, texts, text_width() if output is None else None), output)


def _act_texts(settings: Settings) -> dict:
    """The stored readings of the acts' texts, or none when there is no store yet (never creates one)."""
    from .config.settings import sqlite_path

    path = sqlite_path(settings.db_url)
    if path is not None and not path.exists():
        return {}
    return _store_for_reading(settings).act_texts()


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--probe", is_flag=True,
              help="Send one small canary request per source to its configured endpoint and check the answer's "
                   "shape and one known fact: ok / drift / unreachable per source (exit 4 on drift or unreachable); "
                   "nothing is stored.")
@click.option("--source", "probe_sources", multiple=True, help="With --probe: only this source (repeatable).")
@output_option("Write to FILE instead of stdout.")
@common_options
def sources(fmt, probe, probe_sources, output, config_file, catalogues) -> None:  # noqa: ANN001
    """Each source with its last fetch, status and freshness; with --probe, whether it still
    answers as the tool expects."""
    settings = _settings(config_file, catalogues)
    if probe_sources and not probe:
        raise click.UsageError("--source is for --probe")
    if probe:
        from .refresh.probe import FAILING, run_probes
        from .render.probe import render_probes
        from .sources import SOURCES

        unknown = sorted(set(probe_sources) - set(SOURCES))
        if unknown:
            raise click.UsageError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(sorted(SOURCES))}")
        results = run_probes(settings, _catalogue(settings), list(probe_sources) or None)
        _write(render_probes(results, fmt), output)
        sys.exit(EXIT_SOURCE_FAILED if any(r.status in FAILING for r in results) else EXIT_OK)
    from .render.sources import render_sources

    store = existing_store(settings)
    _write(render_sources(store, settings, fmt, text_width() if output is None else None), output)


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable; see `compliance sources`).")
@click.option("--member-state", "-m", "member_states", multiple=True, help="Only these Member States.")
@click.option("--measure", "measures", multiple=True, help="Only this measure: id, CELEX or act number (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Format of the closing summary.")
@output_option("Write the closing summary to FILE instead of stdout.")
@common_options
def refresh(sources, member_states, measures, fmt, output, config_file, catalogues) -> None:  # noqa: ANN001
    """Fetch evidence from the sources and store it with its provenance."""
    from .catalogue.memberstates import parse_targets
    from .refresh.run import run_refresh
    from .render.refresh import Progress, render_summary
    from .store.engine import Store

    settings = _settings(config_file, catalogues)
    catalogue = _catalogue(settings)
    measures = catalogue.resolve(measures)  # ids, CELEX numbers or "2024/1712"
    targets = [t for t in parse_targets(member_states) if t != "EU"] if member_states else None
    store = Store.open(settings.db_url)
    # A spinner line per source on a terminal; with --verbose, each step as a log line instead.
    with Progress(enabled=sys.stderr.isatty() and verbosity.level() == verbosity.NORMAL,
                  log_steps=verbosity.verbose()) as progress:
        summary = run_refresh(settings, catalogue, store, sources=list(sources) or None, member_states=targets,
                              measure_ids=list(measures) or None, progress=progress.update)
    _write(render_summary(summary, fmt, verbose=verbosity.verbose(), width=text_width() if output is None else None),
           output)
    sys.exit(EXIT_SOURCE_FAILED if summary.failed else EXIT_OK)


@cli.command("import")
@click.option("--source", required=True, help="The source whose parser reads the file (e.g. eurlex).")
@click.option("--measure", "measures", multiple=True,
              help="The measure the file is about, when the file does not say.")
@click.option("--dry-run", is_flag=True, help="Print the findings without storing them.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@output_option("Write the findings and summary to FILE instead of stdout.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@common_options
def import_(source, measures, dry_run, fmt, output, file, config_file, catalogues) -> None:  # noqa: ANN001
    """Parse a payload saved by hand through the source's own parser, and store it."""
    from .refresh.run import parse_file, store_import
    from .refresh.stream_import import import_streamed, should_stream
    from .render.refresh import render_import
    from .store.engine import Store

    settings = _settings(config_file, catalogues)
    catalogue = _catalogue(settings)
    measures = catalogue.resolve(measures)  # ids, CELEX numbers or "2024/1712"
    if should_stream(source, file):  # a big file: read and stored as a stream (refresh/stream_import.py)
        from .refresh.stream_import import TEXT_ROWS
        from .render.refresh import write_import_outcome

        outcome = import_streamed(settings, catalogue, source, file, list(measures) or None, dry_run=dry_run,
                                  spool_limit=TEXT_ROWS if fmt == "text" else None)
        with outcome.spool:
            if output is None:
                write_import_outcome(file, outcome, fmt, sys.stdout)
            else:
                write_output(output, lambda handle: _text_into(handle, lambda out: write_import_outcome(
                    file, outcome, fmt, out)))
        return
    body, result = parse_file(settings, catalogue, source, file, list(measures) or None)
    summary = None
    if not dry_run:
        store = Store.open(settings.db_url)
        summary = store_import(settings, store, source, file, body, result)
    _write(render_import(file, body, result, summary, fmt), output)


def usage_line(exc: click.ClickException, args: list[str]) -> str:
    """A usage error in one line: the command, what is wrong, where to read more (click itself
    prints a Usage and a Try line first). `args` name the command when click's error does not
    (an option missing its value is reported before the command's context exists)."""
    from .errors import one_line

    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.exceptions.NoSuchOption) and exc.possibilities and ctx is not None:
        hidden = {name for p in ctx.command.params if getattr(p, "hidden", False) for name in p.opts}
        exc.possibilities[:] = [p for p in exc.possibilities if p not in hidden]  # never suggest --out
    message = one_line(exc.format_message(), 400)
    path = ctx.command_path if ctx is not None else _command_path(args)
    return f"{path}: {message} (see {path} --help)"


def _command_path(args: list[str]) -> str:
    """"compliance schedule run" for the leading command words of `args` that name commands."""
    words = ["compliance"]
    command: click.Command = cli
    with click.Context(cli, resilient_parsing=True) as ctx:
        for arg in args:
            if not isinstance(command, click.Group):
                break
            sub = command.get_command(ctx, arg)
            if sub is None:
                break
            words.append(arg)
            command = sub
    return " ".join(words)


def main() -> None:
    """Entry point: every ComplianceError becomes one line on stderr and its exit code."""
    from .config.settings import reset_store_flags

    verbosity.reset()
    reset_store_flags()
    try:
        # The name every message uses, however the process was started (click would otherwise name
        # `python -m ...`'s module, e.g. "python -m pytest" under the test runner).
        cli.main(prog_name="compliance", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"error: {usage_line(exc, sys.argv[1:])}", err=True)
        sys.exit(EXIT_USAGE)
    except ComplianceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        if os.environ.get("COMPLIANCE_DEBUG"):
            raise
        from .faults import storage_fault

        fault = storage_fault(exc)  # a full disk, an I/O error, a read-only state directory
        if fault is not None:
            click.echo(f"error: {fault}", err=True)
            sys.exit(fault.exit_code)
        click.echo(f"internal error: {type(exc).__name__}: {exc} (set COMPLIANCE_DEBUG=1 for "
                   "the traceback)", err=True)
        sys.exit(EXIT_CANNOT_EVALUATE)


if __name__ == "__main__":
    main()
