"""This project's distribution name, and the install commands the error messages give.

The command and the import package are `compliance`, but the distribution is not: an unrelated
package called `compliance` exists on the public index, so a hint naming `compliance[pdf]` would
install someone else's code. A hint names this checkout when the package runs from one (an
editable install, as the README sets it up), else this distribution by its own name.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

DISTRIBUTION = "eu-crime-compliance"


def checkout() -> Path | None:
    """The source checkout the running package comes from (its pyproject.toml names this
    distribution), or None for an installed copy."""
    root = Path(__file__).resolve().parent.parent
    try:
        import tomllib

        with (root / "pyproject.toml").open("rb") as fh:
            name = tomllib.load(fh).get("project", {}).get("name")
    except (OSError, ValueError):
        return None
    return root if name == DISTRIBUTION else None


def install_command(extra: str) -> str:
    """A shell command that installs `extra` of THIS project into the running interpreter."""
    source = checkout()
    target = ["-e", f"{source}[{extra}]"] if source is not None else [f"{DISTRIBUTION}[{extra}]"]
    return shlex.join([sys.executable, "-m", "pip", "install", *target])
