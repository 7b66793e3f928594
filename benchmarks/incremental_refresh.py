"""Incremental refresh (issue 17, target 4): a second full refresh with nothing changed.

Against the replay server (benchmarks/_replay.py: 100 ms added to every answer; a GET answered 200
carries an ETag and a Last-Modified, and is answered 304 when asked with a matching If-None-Match,
or If-Modified-Since without one), each run does, in a fresh state directory: a first full refresh,
then a second one with nothing changed, each in its own process. Printed per run, with the load
average beside each figure, and as medians:

  * the requests of each run, per host and in all: second / first        target <= 40 %
  * of the second run's requests that the service lets be conditional (a GET the server answered
    200 with validators before), the share sent conditional and answered 304   target 100 %
    (those sent without validators are listed)
  * the CPU time of the second run's process / the first's (user + system of the whole process,
    start-up included; the refresh call alone beside it)                 target <= 0.25
  * the response bodies the EUR-Lex source parsed again in the second run (0 expected)

Request counts do not depend on the machine's load; CPU time less so than wall time.

Usage: .venv/bin/python benchmarks/incremental_refresh.py [--runs 3] [--per-state 100] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_now, machine, verdict  # noqa: E402
from _harness import Replay, refresh_once  # noqa: E402

TARGET_REQUESTS = 0.40
TARGET_304 = 1.0
TARGET_CPU = 0.25


def _total(stats: dict[str, dict[str, int]], column: str) -> int:
    return sum(h[column] for h in stats.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--per-state", type=int, default=100, help="generated NIMs per directive and Member State")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--min-interval", type=float, default=0.02)
    opts = parser.parse_args()

    print(f"incremental refresh benchmark, {time.strftime('%Y-%m-%d %H:%M')}; machine: {machine()}; "
          f"--per-state {opts.per_state}")
    request_ratios, shares, cpu_ratios, parses = [], [], [], []
    with Replay(opts.latency, opts.per_state) as replay, tempfile.TemporaryDirectory(prefix="bench-incr-") as tmp:
        work = Path(tmp)
        names = {address: h["name"] for address, h in replay.hosts.items()}
        print(f"replay server: {len(replay.hosts)} hosts, {opts.latency * 1000:.0f} ms added to every answer; "
              f"policy: concurrency {opts.concurrency}, min_interval {opts.min_interval} s")
        for source, why in replay.excluded.items():
            print(f"  excluded {source}: {why}")
        refresh_once(replay, work / "warm", opts.concurrency, opts.min_interval)  # the server builds its answers
        for i in range(opts.runs):
            state = work / f"state{i}"
            replay.reset(forget=True)
            first = refresh_once(replay, work / f"run{i}", opts.concurrency, opts.min_interval, state=state)
            first_load, first_stats = load_now(), replay.stats()
            replay.reset()
            second = refresh_once(replay, work / f"run{i}", opts.concurrency, opts.min_interval, state=state)
            second_load, second_stats, missed = load_now(), replay.stats(), replay.missed()

            print(f"\n  run {i + 1}: requests per host (first -> second; second: eligible for a conditional "
                  "request / sent conditional / answered 304)")
            for address in sorted(set(first_stats) | set(second_stats), key=lambda a: names[a]):
                a, b = first_stats.get(address, {}), second_stats.get(address, {})
                print(f"    {names[address]:<22} {a.get('requests', 0):>4} -> {b.get('requests', 0):>4}   "
                      f"{b.get('eligible', 0):>4} / {b.get('conditional', 0):>4} / {b.get('not_modified', 0):>4}")
            n1, n2 = _total(first_stats, "requests"), _total(second_stats, "requests")
            eligible, not_modified = _total(second_stats, "eligible"), _total(second_stats, "not_modified")
            share = not_modified / eligible if eligible else 1.0
            cpu_ratio = second["cpu"] / first["cpu"]
            bodies = n2 - not_modified
            request_ratios.append(n2 / n1)
            shares.append(share)
            cpu_ratios.append(cpu_ratio)
            parses.append(second["eurlex_parse"]["parsed"])
            print(f"  run {i + 1}: requests {n1} ({first_load}) -> {n2} ({second_load}) = {n2 / n1:.1%}; "
                  f"answered with a body: {bodies} = {bodies / n1:.1%} of the first run's")
            print(f"  run {i + 1}: conditional: {not_modified} of the {eligible} requests the services let be "
                  f"conditional answered 304 = {share:.1%} ({_total(second_stats, 'conditional')} sent conditional)")
            for line in missed:
                print(f"      sent without validators: {line[:160]}")
            print(f"  run {i + 1}: CPU {first['cpu']:.2f} s ({first_load}) -> {second['cpu']:.2f} s ({second_load}) "
                  f"= {cpu_ratio:.2f} (the refresh call alone: {first['cpu_refresh']:.2f} -> "
                  f"{second['cpu_refresh']:.2f} s); wall {first['wall']:.2f} -> {second['wall']:.2f} s; "
                  f"EUR-Lex bodies parsed again: {second['eurlex_parse']['parsed']}")
            for s in second["sources"]:
                if s.get("partial"):
                    print(f"      {s['source']}: {s['partial'][:200]}")

    requests, share, cpu = (statistics.median(x) for x in (request_ratios, shares, cpu_ratios))
    parsed = None if None in parses else max(parses)
    print(f"\nmedians of {opts.runs} run(s), {load_now()} at the end:")
    print(f"second run's requests / first's: {requests:.1%}   target <= {TARGET_REQUESTS:.0%}   "
          f"{verdict(requests, TARGET_REQUESTS)}")
    print(f"conditional requests answered 304: {share:.1%}   target {TARGET_304:.0%}   "
          f"{verdict(share, TARGET_304, at_least=True)}")
    print(f"second run's CPU / first's: {cpu:.2f}   target <= {TARGET_CPU}   {verdict(cpu, TARGET_CPU)}")
    print(f"EUR-Lex bodies parsed again: {'not counted by this code' if parsed is None else parsed}")
    met = requests <= TARGET_REQUESTS and share >= TARGET_304 and cpu <= TARGET_CPU
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
