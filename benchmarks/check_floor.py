"""The computed report against its floor: `compliance check -m all --no-cache` vs plain sqlite3.

The floor (`_floor.py`) reads the same findings from the same store and writes the same document
(byte for byte, checked here before timing, apart from `generated_at`) with no rules and no
project code: its skeleton, everything the rules decide, is cut from a real report before the
timed runs. The two are run in pairs, one right after the other in alternating order, so that
both see the same load; the ratio of each pair is printed, and the median of those ratios is
what is held against the target.

  100,000 findings (`--findings`, the store of check_latency.py):
      time <= 1.5 x the floor, peak RSS <= 2 x the floor's, JSON and text;
  `--scale-rows 1000000` (the store of scale.py: 2,000 watched directives, one import):
      time <= 2 x the floor, peak RSS <= 1.5 GiB.

Peak RSS is each process's own (GNU time's %M). Usage:
  .venv/bin/python benchmarks/check_floor.py [--findings N | --scale-rows N] [--runs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, build_store, clean_env, compliance_cmd, load_now, machine, run  # noqa: E402

HERE = Path(__file__).resolve().parent
SENTINEL = "\x00ROWS\x00"
GIB = 1024 ** 3
TIME = "/usr/bin/time"  # GNU time (Debian package `time`)


def timed(cmd: list[str], env: dict[str, str], cwd: Path, out: Path | None = None
          ) -> tuple[float, int, int, float]:
    """(wall seconds, peak RSS in bytes, exit code, CPU seconds) of one process, its stdout to
    `out` or /dev/null.

    The peak is taken by /usr/bin/time (GNU time: the maximum resident set size of the command
    alone); getrusage from this process would report at least this process's own high-water mark,
    which a child inherits across fork."""
    with tempfile.NamedTemporaryFile(prefix="peak-", suffix=".txt") as report, \
            open(out or os.devnull, "wb") as sink:
        t0 = time.perf_counter()
        proc = subprocess.run([TIME, "-f", "%M %U %S", "-o", report.name, *cmd], env=env, cwd=cwd, stdout=sink,
                              stderr=subprocess.DEVNULL, check=False)
        wall = time.perf_counter() - t0
        peak_kb, user, system = Path(report.name).read_text().split()[-3:]
    return wall, int(peak_kb) * 1024, proc.returncode, float(user) + float(system)


def json_skeleton(report_text: str) -> dict:
    """The real JSON report with the evidence items that come from findings cut out: each run of
    them in an assessment's evidence becomes a placeholder for that Member State and measure."""
    reports = json.loads(report_text)
    holes = []
    for report in reports:
        for item in report["assessments"]:
            evidence, kept, cut = item["evidence"], [], False
            for e in evidence:
                if not e["curated"]:
                    if not cut:
                        kept.append(SENTINEL)
                        holes.append({"ms": report["member_state"], "measure": item["measure"]})
                        cut = True
                    continue
                kept.append(e)
            item["evidence"] = kept
    text = json.dumps(reports, indent=2, ensure_ascii=False) + "\n"
    pieces = text.split(json.dumps(SENTINEL))
    parts: list = [pieces[0]]
    for hole, piece in zip(holes, pieces[1:], strict=True):
        parts += [hole, piece]
    return {"format": "json", "as_of": reports[0]["as_of"], "states": [r["member_state"] for r in reports],
            "parts": parts}


def without_generated_at(data: bytes) -> list[bytes]:
    return [line for line in data.splitlines() if b'"generated_at"' not in line]


def measure(label: str, check: list[str], floor: list[str], env: dict[str, str], work: Path, runs: int,
            time_target: float, memory_target: tuple[str, float]) -> bool:
    pairs = []
    for i in range(runs):
        load = os.getloadavg()[0]
        order = (("check", check), ("floor", floor)) if i % 2 == 0 else (("floor", floor), ("check", check))
        got = {name: timed(cmd, env, work) for name, cmd in order}
        pairs.append((got["check"], got["floor"], load))
    print(f"\n{label} ({runs} pairs, alternating order)")
    for (ct, cm, _, cc), (ft, fm, _, fc), load in pairs:
        print(f"  load {load:4.2f}   check {ct:6.3f} s ({cc:5.2f} s CPU) {cm / 2**20:5.0f} MiB   floor {ft:6.3f} s "
              f"({fc:5.2f} s CPU) {fm / 2**20:5.0f} MiB   ratio {ct / ft:4.2f}x time ({cc / max(fc, 0.01):4.2f}x CPU), "
              f"{cm / fm:4.2f}x memory")
    time_ratio = statistics.median(c[0] / f[0] for c, f, _ in pairs)
    check_peak = max(c[1] for c, _, _ in pairs)
    floor_peak = max(f[1] for _, f, _ in pairs)
    ok_time = time_ratio <= time_target
    kind, bound = memory_target
    if kind == "ratio":
        mem_value, ok_mem = check_peak / floor_peak, check_peak / floor_peak <= bound
        mem_text = f"peak {check_peak / 2**20:.0f} MiB = {mem_value:.2f}x the floor's {floor_peak / 2**20:.0f} MiB" \
                   f" (target <= {bound:g}x)"
    else:
        ok_mem = check_peak <= bound
        mem_text = f"peak {check_peak / 2**20:.0f} MiB (floor {floor_peak / 2**20:.0f} MiB; target <= " \
                   f"{bound / GIB:g} GiB)"
    print(f"  median time ratio {time_ratio:.2f}x (target <= {time_target:g}x) {'MET' if ok_time else 'MISSED'}; "
          f"{mem_text} {'MET' if ok_mem else 'MISSED'}")
    return ok_time and ok_mem


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--findings", type=int, default=100_000)
    size.add_argument("--scale-rows", type=int, help="the store of scale.py with this many rows instead")
    parser.add_argument("--directives", type=int, default=2000, help="with --scale-rows")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the store in DIR and keep it (reused when there)")
    parser.add_argument("--formats", default="json,text")
    opts = parser.parse_args()

    print(f"check vs floor, {time.strftime('%Y-%m-%d %H:%M')}; machine: {machine()}")
    compileall.compile_dir(str(ROOT / "compliance"), quiet=1)
    tmp = None
    if opts.keep:
        work = opts.keep
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-floor-")
        work = Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    state = work / "state"
    db = state / "compliance.db"
    extra: list[str] = []
    if opts.scale_rows:
        import scale

        catalogue = work / "watch.yaml"
        extra = ["--catalogue", str(catalogue)]
        if not db.exists():
            celexes = scale.celex_numbers(opts.directives)
            scale.write_catalogue(catalogue, celexes)
            big = work / "BIG.json"
            scale.write_result(big, scale.sample_rows(celexes, opts.scale_rows))
            env = clean_env(state)
            run(compliance_cmd("sources"), env=env, cwd=work)
            t0 = time.perf_counter()
            done = run(compliance_cmd("import", "--source", "eurlex", str(big), *extra), env=env, cwd=work)
            if done.returncode != 0:
                print(f"import failed: {done.stderr.decode()[-500:]}")
                return 2
            big.unlink()
            print(f"store: {opts.scale_rows} rows imported in {time.perf_counter() - t0:.1f} s")
        targets = {"time": 2.0, "memory": ("absolute", 1.5 * GIB)}
    else:
        if not db.exists():
            built = build_store(state, opts.findings)
            print(f"store: {built.findings} findings (built in {built.seconds:.1f} s)")
        targets = {"time": 1.5, "memory": ("ratio", 2.0)}
    env = clean_env(state)
    count = run([sys.executable, "-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("
                 "'SELECT count(*) FROM finding WHERE active IS 1').fetchone()[0])", str(db)],
                stdout=subprocess.PIPE).stdout.decode().strip()
    print(f"store {db}: {count} active findings; {load_now()}")

    ok = True
    for fmt in opts.formats.split(","):
        check = [*compliance_cmd("check", "--member-state", "all", "--format", fmt, "--no-cache"), *extra]
        real_path = work / f"real.{fmt}"
        code = timed(check, env, work, real_path)[2]
        if code not in (0, 1):
            print(f"check --format {fmt} failed ({code})")
            return 2
        real = real_path.read_bytes()
        if fmt == "json":
            skeleton = json_skeleton(real.decode("utf-8"))
        else:
            sys.path.insert(0, str(ROOT))
            from compliance.catalogue.memberstates import parse_targets

            states = parse_targets(["all"])
            skeleton = {"format": "text", "as_of": time.strftime("%Y-%m-%d", time.gmtime()), "states": states,
                        "parts": [real.decode("utf-8")]}
        skeleton_path = work / f"skeleton.{fmt}.json"
        skeleton_path.write_text(json.dumps(skeleton, ensure_ascii=False), "utf-8")
        floor = [sys.executable, str(HERE / "_floor.py"), str(db), str(skeleton_path)]
        floor_path = work / f"floor.{fmt}"
        timed(floor, env, work, floor_path)
        same = without_generated_at(floor_path.read_bytes()) == without_generated_at(real)
        print(f"\n--format {fmt}: report {len(real) / 1e6:.1f} MB; floor's document "
              f"{floor_path.stat().st_size / 1e6:.1f} MB, {'identical' if same else 'DIFFERENT'} "
              f"(apart from generated_at); states read: {len(skeleton['states'])}")
        if not same:
            return 2
        real_path.unlink()
        floor_path.unlink()
        ok &= measure(f"check -m all --format {fmt} --no-cache vs floor", check, floor, env, work, opts.runs,
                      targets["time"], targets["memory"])
    if tmp is not None:
        tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
