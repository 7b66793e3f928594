"""Refresh concurrency: a full refresh of every source against a replay server adding 100 ms.

Starts benchmarks/_replay.py (one loopback address per source host, 100 ms added to every
answer), then, each in a fresh state directory:

  * the full refresh as shipped (all sources at once; within EUR-Lex, several measures at once
    up to the host's concurrency), median of --runs runs;
  * the same requests one after another (one source at a time, concurrency 1 for every host).

The floor is computed from what the replay server counted per host and the HostPolicy used
(concurrency c, min_interval i, latency L = 0.1 s):
    floor(host) = max(ceil(N / c) * L, (N - 1) * i + L);   floor = max over hosts
Targets: wall time <= 1.25 x floor, and >= 5 x faster than the sequential run.

Usage: .venv/bin/python benchmarks/refresh_concurrency.py [--runs 3] [--per-state 100]
       [--concurrency 4] [--min-interval 0.02]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_now, machine, verdict  # noqa: E402
from _harness import Replay, refresh_once  # noqa: E402

LATENCY = 0.1
TARGET_FLOOR_RATIO = 1.25
TARGET_SPEEDUP = 5.0


def floors(stats: dict[str, dict[str, int]], replay: Replay, concurrency: int, interval: float
           ) -> tuple[float, list[tuple[str, str, int, float]]]:
    rows = []
    for host, counts in sorted(stats.items(), key=lambda kv: -kv[1]["requests"]):
        n = counts["requests"]
        floor = max(math.ceil(n / concurrency) * LATENCY, (n - 1) * interval + LATENCY) if n else 0.0
        rows.append((host, replay.hosts[host]["source"], n, floor))
    return max((r[3] for r in rows), default=0.0), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sequential-runs", type=int, default=1)
    parser.add_argument("--per-state", type=int, default=100, help="generated NIMs per directive and Member State")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--min-interval", type=float, default=0.02)
    opts = parser.parse_args()

    print(f"refresh concurrency benchmark, {time.strftime('%Y-%m-%d %H:%M')}; machine: {machine()}")
    with Replay(LATENCY, opts.per_state) as replay, tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp:
        work = Path(tmp)
        print(f"replay server: {len(replay.hosts)} hosts, {LATENCY * 1000:.0f} ms added to every answer")
        for source, why in replay.excluded.items():
            print(f"  excluded {source}: {why}")
        print(f"politeness policy of every replayed host: concurrency {opts.concurrency}, "
              f"min_interval {opts.min_interval} s (the shipped default is 2 and 0.5 s)")
        # Warm-up: the replay server builds (and keeps) its answers.
        refresh_once(replay, work / "warm", opts.concurrency, opts.min_interval)

        parallel, stats, done = [], None, {}
        for i in range(opts.runs):
            replay.reset()
            out = refresh_once(replay, work / f"par{i}", opts.concurrency, opts.min_interval)
            stats = replay.stats()
            parallel.append(out["wall"])
            done = out["done"]
            slowest = sorted(out["done"].items(), key=lambda kv: -kv[1])[:3]
            print(f"  full refresh run {i + 1}: {out['wall']:.2f} s ({load_now()}); last sources done: "
                  + ", ".join(f"{name} at {t:.2f} s" for name, t in slowest))
        sequential = []
        for i in range(opts.sequential_runs):
            replay.reset()
            out = refresh_once(replay, work / f"seq{i}", 1, opts.min_interval, sequential=True)
            sequential.append(out["wall"])
            print(f"  sequential run {i + 1}: {out['wall']:.2f} s ({load_now()})")

        assert stats is not None
        floor, rows = floors(stats, replay, opts.concurrency, opts.min_interval)
        print(f"\n{'host':<26} {'source':<16} {'requests':>8} {'floor s':>8} {'done at s (last run)':>21}")
        for host, source, n, f in rows:
            print(f"{host:<26} {source:<16} {n:>8} {f:>8.2f} {done.get(source, float('nan')):>21.2f}")
        total = sum(r[2] for r in rows)
        wall = statistics.median(parallel)
        seq = statistics.median(sequential) if sequential else float("nan")
        ratio = wall / floor if floor else float("inf")
        speedup = seq / wall
        print(f"\nrequests: {total}; floor (slowest host) {floor:.2f} s; "
              f"requests x latency one after another: {total * LATENCY:.2f} s")
        print(f"full refresh: median {wall:.2f} s = {ratio:.2f} x floor   target <= {TARGET_FLOOR_RATIO} x   "
              f"{verdict(ratio, TARGET_FLOOR_RATIO)}")
        if sequential:
            print(f"sequential:   median {seq:.2f} s; speed-up {speedup:.1f} x   target >= {TARGET_SPEEDUP:.0f} x   "
                  f"{verdict(speedup, TARGET_SPEEDUP, at_least=True)}")
        print(json.dumps({"wall": parallel, "sequential": sequential, "floor": floor, "requests": total}))
        ok = ratio <= TARGET_FLOOR_RATIO and speedup >= TARGET_SPEEDUP
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
