"""Run `compliance ...` (the console script's entry point) and report this process's peak RSS.

Usage: python benchmarks/_peak.py REPORT_FILE compliance-arguments...
The peak resident set size (resource.getrusage(RUSAGE_SELF).ru_maxrss, in kB on Linux) is written
to REPORT_FILE when the process exits, whatever the exit code.
"""

from __future__ import annotations

import atexit
import resource
import sys
from pathlib import Path


def _report(path: Path) -> None:
    path.write_text(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def main() -> None:
    report = Path(sys.argv[1])
    atexit.register(_report, report)
    sys.argv = ["compliance", *sys.argv[2:]]
    from compliance.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
