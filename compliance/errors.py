"""The project's own exceptions, each tied to a documented exit code.

The CLI turns any `ComplianceError` into one line on stderr and its exit code; nothing else
should reach the user as a traceback.
"""

from __future__ import annotations

from typing import Any

# Exit codes, documented in the README and in `compliance --help`.
EXIT_OK = 0
EXIT_GAPS = 1
EXIT_USAGE = 2
EXIT_CANNOT_EVALUATE = 3
EXIT_SOURCE_FAILED = 4
EXIT_LOCKED = 5  # a refresh or import refused because another one holds the lock


class ComplianceError(Exception):
    """Base class: a problem the user can act on, reported in one line."""

    exit_code = EXIT_USAGE


class ConfigError(ComplianceError):
    """A broken config file, waiver file, environment variable or flag value."""


class CatalogueError(ComplianceError):
    """A catalogue file that does not validate; the message names the file and the entry."""


class BuiltinCatalogueError(CatalogueError):
    """The catalogue shipped with the tool does not load: the installation is broken, not the
    user's input."""

    exit_code = EXIT_CANNOT_EVALUATE


class InputError(ComplianceError):
    """A file given by the user that cannot be read or parsed."""


class StoreError(ComplianceError):
    """The store cannot be opened, read or migrated (never overwritten)."""

    exit_code = EXIT_CANNOT_EVALUATE


class ParseError(ComplianceError):
    """A payload from a source that does not have the documented shape."""


class SourceError(ComplianceError):
    """A source could not be fetched; `status` says how (failed, blocked, unavailable).

    The message is one short line for people ("cannot resolve publications.europa.eu
    (ConnectError, 1 attempt)"); `request` is the full request it is about ("GET https://...",
    secrets redacted), kept for `compliance sources --format json` and `--verbose`. `network`:
    the host could not be reached at all (name resolution, refused connection, no route)."""

    exit_code = EXIT_SOURCE_FAILED

    def __init__(self, message: str, status: str = "failed", *, request: str | None = None,
                 network: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.request = request
        self.network = network


class BlockedError(SourceError):
    """The source answered with a bot challenge or an HTML page where data was expected."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status="blocked")


# Characters of a reason where a person reads it (refresh's summary, sources, the digest, the
# scheduler's log); the whole reason and each failed request are in `sources --format json`.
SHORT_REASON = 240


def one_line(text: Any, limit: int = 200) -> str:
    """`text` on one line, cut to `limit` characters (for messages)."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def short_reason(text: Any, limit: int = SHORT_REASON) -> str:
    """A reason on one line of at most `limit` characters, cut in the middle: its start says what
    failed, its end what was concluded ("nothing withdrawn there")."""
    line = " ".join(str(text).split())
    if len(line) <= limit:
        return line
    tail = limit // 3
    return line[: limit - tail - 3] + " … " + line[-tail:]
