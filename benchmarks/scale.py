"""Scale: a user catalogue of 2,000 directives, a streamed import of 1,000,000 NIM rows, then check.

  1. writes a user catalogue watching 2,000 directives (generated; real-format CELEX numbers
     3YYYYLNNNN, numbers 5000-9999 so that none is a real directive of the built-in catalogue),
     each with a transposition deadline;
  2. writes a SPARQL result of 1,000,000 national-measure rows for them in the W3C SPARQL 1.1
     JSON result format, in the shape of the real CELLAR capture in ../shared/samples/eurlex
     (variables dir, c, country, notif, ojn, ojno, e, t; one row per NIM), to a temp file;
  3. runs `compliance import --source eurlex BIG.json` (the installed console script, which
     takes the streaming path for a file this big) in a subprocess; the rows per second and the
     subprocess's peak RSS (resource.getrusage RUSAGE_CHILDREN) are printed;
     targets: >= 50,000 rows/s and < 300 MB;
  4. times `compliance check --member-state all` over that store (text, the default format, and
     json): the first run computes the report (printed), the next ones are answered from the
     report cache (median); target: <= 2 s.

Everything generated is CONSTRUCTED (made-up NIM numbers, titles and references).

Usage: .venv/bin/python benchmarks/scale.py [--rows 1000000] [--directives 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    COUNTRY,
    MEMBER_STATES,
    XSD,
    clean_env,
    compliance_cmd,
    load_now,
    machine,
    median_time,
    run,
    verdict,
)

TARGET_ROWS_PER_S = 50_000
TARGET_PEAK_MB = 300
TARGET_CHECK_S = 2.0
SAMPLE_VARS = ["dir", "c", "country", "notif", "ojn", "ojno", "e", "t"]


def celex_numbers(n: int) -> list[str]:
    out = []
    for i in range(n):
        year = 1995 + i % 31
        out.append(f"3{year}L{5000 + i // 31:04d}")
    return out


def write_catalogue(path: Path, celexes: list[str]) -> None:
    lines = ["version: bench-2000", "measures:"]
    for i, celex in enumerate(celexes):
        year = int(celex[1:5])
        deadline = date(min(year + 2, 2027), 1 + i % 12, 1 + i % 28)
        lines += [
            f"  - id: celex-{celex.lower()}",
            f"    celex: {celex}",
            "    sources: ['https://eur-lex.europa.eu/']",
            "    obligations:",
            f"      - {{id: transposition, type: transposition, addressee: member-states, date: {deadline.isoformat()},"
            " verified: false}",
        ]
    path.write_text("\n".join(lines) + "\n", "utf-8")


def _lit(value: str, datatype: str = "string") -> dict[str, str]:
    return {"type": "literal", "datatype": XSD + datatype, "value": value}


def sample_rows(celexes: list[str], total: int) -> Iterator[dict[str, Any]]:
    """`total` rows shaped like the real capture: one row per NIM, its CELEX 7YYYYLNNNN<ISO3>_<n>."""
    rng = random.Random(2026)
    per_directive = total // len(celexes)
    extra = total - per_directive * len(celexes)
    for index, celex in enumerate(celexes):
        count = per_directive + (1 if index < extra else 0)
        prefix = "7" + celex[1:]
        year = int(celex[1:5])
        for n in range(count):
            _code, iso3, lang = MEMBER_STATES[n % 27]
            notified = date(year, 1, 1) + timedelta(days=rng.randrange(300, 3000))
            yield {
                "dir": _lit(celex),
                "c": _lit(f"{prefix}{iso3}_{notified.year}{n:05d}"),
                "country": {"type": "uri", "value": COUNTRY + iso3},
                "notif": _lit(notified.isoformat(), "date"),
                "ojn": _lit(f"Official Journal of {iso3}"),
                "ojno": _lit(f"No {rng.randrange(1, 400)}/{notified.year}"),
                "e": {"type": "uri", "value": f"https://eli.{iso3.lower()}.example/{notified.year}/{n}"},
                "t": {"type": "literal", "xml:lang": lang,
                      "value": f"Act {n} of {notified.year} transposing Directive {celex[1:5]}/{int(celex[6:])}"},
            }


def write_result(path: Path, rows: Iterator[dict[str, Any]]) -> int:
    import json

    count = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"head": {"link": [], "vars": ' + json.dumps(SAMPLE_VARS) + '},\n "results": {"distinct": false, '
                 '"ordered": true, "bindings": [\n')
        for row in rows:
            fh.write((",\n" if count else "") + json.dumps(row, ensure_ascii=False))
            count += 1
        fh.write("\n]}}\n")
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--directives", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()

    print(f"scale benchmark, {time.strftime('%Y-%m-%d %H:%M')}; machine: {machine()}")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        celexes = celex_numbers(opts.directives)
        catalogue = work / "watch.yaml"
        write_catalogue(catalogue, celexes)
        big = work / "BIG.json"
        t0 = time.perf_counter()
        rows = write_result(big, sample_rows(celexes, opts.rows))
        size = big.stat().st_size
        print(f"user catalogue: {opts.directives} directives ({catalogue.stat().st_size / 1e3:.0f} kB); "
              f"result: {rows} rows, {size / 1e6:.0f} MB (written in {time.perf_counter() - t0:.1f} s)")

        state = work / "state"
        env = clean_env(state)
        # The store exists before the import is timed (creating the schema is not ingest).
        run(compliance_cmd("sources"), env=env, cwd=work)
        # The console script's entry point, run by benchmarks/_peak.py, which writes the process's
        # own peak RSS (getrusage RUSAGE_SELF) when it exits.
        report = work / "peak.txt"
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve().parent / "_peak.py"), str(report),
                               "import", "--source", "eurlex", str(big), "--catalogue", str(catalogue)],
                              env=env, cwd=work, capture_output=True, check=False)
        wall = time.perf_counter() - t0
        peak_mb = int(report.read_text()) / 1024
        if proc.returncode != 0:
            print(f"import failed ({proc.returncode}): {proc.stderr.decode()[-1000:]}")
            return 2
        tail = proc.stdout.decode().strip().splitlines()[-1]
        rate = rows / wall
        print(f"\nimport --source eurlex BIG.json ({load_now()}): {wall:.1f} s; {tail}")
        print(f"  {rate:,.0f} rows/s   target >= {TARGET_ROWS_PER_S:,}   "
              f"{verdict(rate, TARGET_ROWS_PER_S, at_least=True)}")
        print(f"  peak RSS of the import process {peak_mb:.0f} MB   target < {TARGET_PEAK_MB} MB   "
              f"{verdict(peak_mb, TARGET_PEAK_MB - 1e-9)}")
        failures += rate < TARGET_ROWS_PER_S or peak_mb >= TARGET_PEAK_MB

        for fmt in ("text", "json"):
            cmd = compliance_cmd("check", "--member-state", "all", "--catalogue", str(catalogue), "--format", fmt)
            # The first check after the import computes the report (and keeps it in the report
            # cache); the next ones, with nothing changed, are answered from it.
            t0 = time.perf_counter()
            first = run(cmd, env=env, cwd=work, stdout=subprocess.PIPE)
            computed = time.perf_counter() - t0
            if first.returncode not in (0, 1):
                print(f"check failed: {first.stderr.decode()[-500:]}")
                return 2
            med, times = median_time(lambda cmd=cmd: run(cmd, env=env, cwd=work), opts.runs)
            print(f"\ncheck --member-state all --format {fmt} ({load_now()}; output {len(first.stdout) / 1e6:.0f} MB): "
                  f"first run (computes the report) {computed:.2f} s; then (report cache) runs "
                  f"{', '.join(f'{t:.2f}' for t in times)}; median {med:.2f} s   target <= {TARGET_CHECK_S} s   "
                  f"{verdict(med, TARGET_CHECK_S)}")
            failures += med > TARGET_CHECK_S

    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
