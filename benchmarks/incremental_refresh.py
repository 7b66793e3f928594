"""Incremental refresh: a second full refresh with nothing changed.

Against the replay server of refresh_concurrency.py (100 ms added to every answer, 304 for a
GET whose If-None-Match/If-Modified-Since matches), each run does, in a fresh state directory:
a first full refresh, then a second one with nothing changed. Printed per run and as medians:

  * the share of requests answered 304 (of all requests, and of the GETs: the infringement
    register and Légifrance are searched by POST, which has no conditional form)   target >= 95 %
  * the response bodies the EUR-Lex source parsed in the second refresh             target 0
  * second / first wall time                                                        target <= 0.2

and the floor the second refresh cannot go below (every 304 still takes the 100 ms; computed
per host from the requests and the politeness policy, as in refresh_concurrency.py).

Usage: .venv/bin/python benchmarks/incremental_refresh.py [--runs 3] [--per-state 100] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_now, machine, verdict  # noqa: E402
from _harness import Replay, refresh_once  # noqa: E402

TARGET_304 = 0.95
TARGET_RATIO = 0.2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--per-state", type=int, default=100, help="generated NIMs per directive and Member State")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--min-interval", type=float, default=0.02)
    opts = parser.parse_args()

    print(f"incremental refresh benchmark, {time.strftime('%Y-%m-%d %H:%M')}; machine: {machine()}")
    firsts, seconds, shares, get_shares, parses, floors = [], [], [], [], [], []
    with Replay(opts.latency, opts.per_state) as replay, tempfile.TemporaryDirectory(prefix="bench-incr-") as tmp:
        work = Path(tmp)
        print(f"replay server: {len(replay.hosts)} hosts, {opts.latency * 1000:.0f} ms added to every answer; "
              f"policy: concurrency {opts.concurrency}, min_interval {opts.min_interval} s")
        for source, why in replay.excluded.items():
            print(f"  excluded {source}: {why}")
        refresh_once(replay, work / "warm", opts.concurrency, opts.min_interval)  # the server builds its answers
        for i in range(opts.runs):
            state = work / f"state{i}"
            replay.reset()
            first = refresh_once(replay, work / f"run{i}", opts.concurrency, opts.min_interval, state=state)
            replay.reset()
            second = refresh_once(replay, work / f"run{i}", opts.concurrency, opts.min_interval, state=state)
            stats = replay.stats()
            total = sum(h["requests"] for h in stats.values())
            gets = sum(h["get"] for h in stats.values())
            not_modified = sum(h["not_modified"] for h in stats.values())
            floor = max(max(math.ceil(h["requests"] / opts.concurrency) * opts.latency,
                            (h["requests"] - 1) * opts.min_interval + opts.latency)
                        for h in stats.values() if h["requests"])
            new = sum(s["new"] + s["changed"] + s["gone"] for s in second["sources"])
            eur = next((s for s in first["sources"] if s["source"] == "eurlex"), {})
            firsts.append(first["wall"])
            seconds.append(second["wall"])
            shares.append(not_modified / total)
            get_shares.append(not_modified / gets if gets else 0.0)
            parses.append(second["eurlex_parse"]["parsed"])  # None: the code timed does not count them
            floors.append(floor)
            print(f"  run {i + 1} ({load_now()}): first {first['wall']:.2f} s (eurlex: {eur.get('new', 0)} findings, "
                  f"{first['eurlex_parse']['parsed']} bodies parsed); second {second['wall']:.2f} s, "
                  f"{not_modified}/{total} requests 304 ({gets} GET), eurlex parsed {second['eurlex_parse']['parsed']} "
                  f"(from cache {second['eurlex_parse']['cached']}), findings new/changed/gone {new}; "
                  f"floor of the second {floor:.2f} s")

    first, second = statistics.median(firsts), statistics.median(seconds)
    share, get_share = statistics.median(shares), statistics.median(get_shares)
    parsed = None if None in parses else max(parses)
    ratio = second / first
    print(f"\n304 answers: {share:.1%} of all requests   target >= {TARGET_304:.0%}   "
          f"{verdict(share, TARGET_304, at_least=True)}   ({get_share:.1%} of the GET requests)")
    print(f"bodies parsed again (EUR-Lex): {'not counted by this code' if parsed is None else parsed}   target 0   "
          f"{'MISSED' if parsed is None else verdict(parsed, 0)}")
    print(f"second / first: {second:.2f} s / {first:.2f} s = {ratio:.2f}   target <= {TARGET_RATIO}   "
          f"{verdict(ratio, TARGET_RATIO)}   (floor of the second: {statistics.median(floors):.2f} s)")
    return 0 if share >= TARGET_304 and parsed == 0 and ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
