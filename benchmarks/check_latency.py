"""Check latency: `compliance check` over a store holding 100,000 findings.

Builds a store (generated national-measure findings across the catalogue's directives and the
27 Member States, with their fetch rows, coverage and act metadata), then times the installed
console script:

  compliance check --member-state all --format json     target: median <= 0.5 s
  compliance check --member-state DE --format json      target: median <= 0.3 s

and prints the `python -X importtime` profile of the single-state run (top 15 cumulative). Each
is timed twice: computed every time (`--no-cache`, the first check after a refresh) and as a user
runs it (the first run keeps the report, the next are answered from the report cache).

Usage: .venv/bin/python benchmarks/check_latency.py [--findings N] [--runs N] [--keep DIR]
Set BENCH_CODE=/path/to/other/checkout to time another copy of the package (run through
`python -c` with PYTHONPATH) against the same store, e.g. the code before a change.
"""

from __future__ import annotations

import argparse
import compileall
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    ROOT,
    build_store,
    clean_env,
    compliance_cmd,
    importtime_profile,
    load_now,
    machine,
    median_time,
    run,
    verdict,
)

TARGET_ALL = 0.5
TARGET_ONE = 0.3


def command(args: list[str]) -> tuple[list[str], dict[str, str]]:
    code = os.environ.get("BENCH_CODE")
    if code:
        return [sys.executable, "-c", "import sys; from compliance.cli import main; "
                "sys.argv = ['compliance', *sys.argv[1:]]; main()", *args], {"PYTHONPATH": code}
    return compliance_cmd(*args), {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the store in DIR and keep it")
    parser.add_argument("--member-state", default="DE", help="the single Member State timed (default DE)")
    opts = parser.parse_args()

    print(f"check latency benchmark, {time.strftime('%Y-%m-%d %H:%M')}; machine: {machine()}")
    # An installed package has its bytecode compiled (pip does it); this checkout may not, e.g. under
    # PYTHONDONTWRITEBYTECODE. Compile it once so that no run pays for compiling the sources.
    package = Path(os.environ.get("BENCH_CODE") or ROOT) / "compliance"
    compileall.compile_dir(str(package), quiet=1)
    tmp = None
    if opts.keep:
        work = opts.keep
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-check-")
        work = Path(tmp.name)
    state = work / "state"
    built = build_store(state, opts.findings)
    print(f"store: {built.findings} findings, {built.fetches} fetch rows, {built.coverage} coverage rows "
          f"(built in {built.seconds:.1f} s)")

    failures = 0
    for label, ms, target in (("all 27", "all", TARGET_ALL), (opts.member_state, opts.member_state, TARGET_ONE)):
        args = ["check", "--member-state", ms, "--format", "json"]
        cmd, extra = command(args)
        env = clean_env(state, **extra)
        # Computed every time (--no-cache): the first check after a refresh or import. The first
        # run may build the catalogue cache; it is reported, not counted.
        fresh = [*cmd, "--no-cache"]
        t0 = time.perf_counter()
        first = run(fresh, env=env, cwd=work)
        cold = time.perf_counter() - t0
        if first.returncode not in (0, 1):
            print(f"check failed ({first.returncode}): {first.stderr.decode()[-500:]}")
            return 2
        out_size = len(run(fresh, env=env, cwd=work, stdout=-1).stdout or b"")
        computed, computed_times = median_time(lambda c=fresh, env=env: run(c, env=env, cwd=work), opts.runs)
        # As a user runs it: the first run computes and keeps the report, the next ones are
        # answered from the report cache while the store, catalogue, code and date are unchanged.
        t0 = time.perf_counter()
        run(cmd, env=env, cwd=work)
        keeping = time.perf_counter() - t0
        med, times = median_time(lambda cmd=cmd, env=env: run(cmd, env=env, cwd=work), opts.runs)
        result = verdict(med, target)
        failures += result != "MET"
        print(f"\ncheck --member-state {ms} --format json ({label}; output {out_size / 1e6:.1f} MB; {load_now()})")
        listed = ", ".join(f"{t:.3f}" for t in computed_times)
        print(f"  computed (--no-cache): first run {cold:.3f} s; runs: {listed}; "
              f"median {computed:.3f} s ({computed / target:.2f}x the target)")
        print(f"  as run: first (computes and keeps) {keeping:.3f} s; then (report cache) runs: "
              f"{', '.join(f'{t:.3f}' for t in times)}")
        print(f"  median {med:.3f} s   target <= {target:.1f} s   {result}"
              + ("" if result == "MET" else f" by {med - target:.3f} s ({med / target:.2f}x the target)"))

    args = ["check", "--member-state", opts.member_state, "--format", "json"]
    _cmd, extra = command(args)
    print(f"\npython -X importtime, check --member-state {opts.member_state} (top 15 cumulative):")
    env = clean_env(state, **extra)
    print(importtime_profile(args, env, work))
    if tmp is not None:
        tmp.cleanup()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
