"""Writing an output file the user named (--output, the feed directory).

A regular file is written atomically, so a full disk leaves no half-written file behind; a special
file (/dev/null, a FIFO, a terminal) is written directly and never replaced.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import ConfigError


def write_output(output: str, fill: Callable[[BinaryIO], object]) -> None:
    """Write `output` with `fill(handle)`: atomically (temporary file, then rename) for a regular
    file, directly for anything else (/dev/null, a FIFO, a terminal), which must never be replaced."""
    path = Path(output)
    try:
        if path.exists() and not path.is_file():
            with open(path, "wb") as special:
                fill(special)
            return
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            with open(tmp, "wb") as handle:
                fill(handle)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
            raise
    except OSError as exc:
        from .faults import ENVIRONMENT, storage_fault

        raise storage_fault(exc, output, errnos=ENVIRONMENT) or ConfigError(
            f"{output}: cannot write output ({exc.strerror or exc})") from None
