"""One `compliance refresh` of every enabled source, in its own process; prints a JSON line.

The settings come from the environment and ./compliance.toml (written by the benchmark), exactly
as for the console script; the refresh is called in-process so that the wall time of the
refresh itself (sources, store writes and the history snapshot) is measured without the
interpreter's start-up, and so that the EUR-Lex parse counters can be read afterwards.

Usage: python benchmarks/_refresh_run.py [--sequential]
  --sequential  one source at a time (with concurrency 1 in compliance.toml: one request at a time)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# BENCH_CODE: time another copy of the package (e.g. the code before a change) with the same runner.
sys.path.insert(0, os.environ.get("BENCH_CODE") or str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sequential", action="store_true")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the refresh to FILE")
    opts = parser.parse_args()

    import inspect

    from compliance.catalogue.load import load
    from compliance.config.settings import load_settings
    from compliance.refresh.run import run_refresh
    from compliance.store.engine import Store

    try:
        from compliance.sources.eurlex_cache import stats
    except ImportError:  # older code: no parse counters
        stats = None
    settings = load_settings()
    catalogue = load(settings.catalogue_files)
    store = Store.open(settings.db_url)
    if stats is not None:
        stats.reset()
    extra = {}
    if "max_sources" in inspect.signature(run_refresh).parameters:
        extra["max_sources"] = 1 if opts.sequential else None
    elif opts.sequential:
        raise SystemExit("this code has no max_sources: cannot run the sources one at a time")
    done: dict[str, float] = {}
    started = time.perf_counter()

    def progress(source: str, message: str) -> None:
        if message.startswith("done:"):
            done[source] = time.perf_counter() - started

    cpu_started = time.process_time()
    profiler = None
    if opts.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    summary = run_refresh(settings, catalogue, store, progress=progress, **extra)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(opts.profile)
    wall = time.perf_counter() - started
    cpu_refresh = time.process_time() - cpu_started
    print(json.dumps({
        # cpu: the whole process (start-up and imports included), as `time` would show it;
        # cpu_refresh: the refresh call alone (all of its threads).
        "wall": wall, "cpu": time.process_time(), "cpu_refresh": cpu_refresh,
        "status": summary.status, "done": done,
        "sources": [s.__dict__ for s in summary.sources],
        "eurlex_parse": stats.snapshot() if stats is not None else {"parsed": None, "cached": None},
    }))


if __name__ == "__main__":
    main()
