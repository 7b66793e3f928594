"""How much a command says on stderr: `--quiet`, the default, `--verbose` (`-v`), `-vv`.

Every command takes `--quiet` and `--verbose` (cli.verbosity_options). The level decides the
logging level of the `compliance` loggers on stderr (quiet: errors; default: warnings;
`-v`: what each step did; `-vv`: every HTTP request) and whether notes are printed. What a
command is asked for (its report on stdout, its exit code, one line per error) never changes.
Nothing is imported here until a level is set (start-up time of `check`).
"""

from __future__ import annotations

import sys

QUIET, NORMAL, VERBOSE, DEBUG = -1, 0, 1, 2

_level = NORMAL


def set_level(level: int, *, timestamps: bool = False) -> None:
    """Set the level for this process and send the `compliance` loggers to stderr at it
    (`timestamps`: each line starts with the time, for a long-running process's log)."""
    import logging

    global _level
    _level = max(QUIET, min(DEBUG, level))
    levels = {QUIET: logging.ERROR, NORMAL: logging.WARNING, VERBOSE: logging.INFO, DEBUG: logging.DEBUG}
    logger = logging.getLogger("compliance")
    logger.setLevel(levels[_level])
    handler = next((h for h in logger.handlers if getattr(h, "compliance_stderr", False)), None)
    if handler is None:
        handler = _stderr_handler()
        logger.addHandler(handler)
    layout = "%(levelname)s %(name)s: %(message)s"
    handler.setFormatter(logging.Formatter(f"%(asctime)s {layout}" if timestamps else layout))


def _stderr_handler():  # noqa: ANN202 - a logging.Handler
    """A handler writing to whatever sys.stderr is when a record is emitted (a test runner may
    have replaced it since)."""
    import logging

    class Stderr(logging.StreamHandler):
        compliance_stderr = True

        @property
        def stream(self):  # noqa: ANN202
            return sys.stderr

        @stream.setter
        def stream(self, _value: object) -> None:
            pass

    return Stderr()


def reset() -> None:
    """Back to the default level (each run of the command line starts there)."""
    global _level
    _level = NORMAL
    if "logging" in sys.modules:
        set_level(NORMAL)


def level() -> int:
    return _level


def verbose() -> bool:
    return _level >= VERBOSE


def note(message: str) -> None:
    """A line for the person at the terminal (stderr), unless --quiet."""
    if _level > QUIET:
        print(message, file=sys.stderr, flush=True)
