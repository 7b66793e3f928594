"""Offline: `compliance refresh` on a machine with no network at all ends within 10 s.

The refresh runs (the installed console script, default settings, a fresh state directory) in a
network namespace of its own (`unshare --net`, as root): it has a loopback interface that is
down and no route anywhere, so every name lookup and every connection fails, as on a laptop
with no network. No request leaves the machine. Prints the wall time, the exit code (4: sources
failed) and each source's line of the summary.

Usage: .venv/bin/python benchmarks/offline.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import clean_env, compliance_cmd, machine  # noqa: E402

TARGET_S = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    print(f"offline refresh benchmark, {time.strftime('%Y-%m-%d %H:%M')}; machine: {machine()}")
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "--net", "true"], capture_output=True).returncode != 0:
        print("cannot make a network namespace here (needs util-linux's unshare and root): not measured")
        return 2
    times, summary, code = [], {}, None
    for _ in range(opts.runs):
        with tempfile.TemporaryDirectory(prefix="bench-offline-") as tmp:
            env = clean_env(Path(tmp) / "state", COMPLIANCE_CONTACT="benchmark@localhost.invalid")
            t0 = time.perf_counter()
            proc = subprocess.run([unshare, "--net", *compliance_cmd("refresh", "--format", "json")], env=env,
                                  cwd=tmp, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - t0)
            code = proc.returncode
            try:
                summary = json.loads(proc.stdout)
            except ValueError:
                summary = {"stdout": proc.stdout[-500:], "stderr": proc.stderr[-500:]}
    med = statistics.median(times)
    print(f"\nrefresh with no network ({opts.runs} runs): {', '.join(f'{t:.2f}' for t in times)} s; median {med:.2f} s"
          f"   exit code {code}   target <= {TARGET_S:g} s   {'MET' if med <= TARGET_S else 'MISSED'}")
    for source in summary.get("sources", []) if isinstance(summary, dict) else []:
        reason = str(source.get("reason") or source.get("error") or "")[:150]
        print(f"  {source.get('source', '?'):<16} {source.get('status', '?'):<12} {reason}")
    if not summary.get("sources"):
        print(f"  summary: {json.dumps(summary)[:800]}")
    return 0 if med <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
