"""Start-up: `compliance check -m DK --no-cache` on an empty store against the venv's `python -c pass`.

An installed package, not this checkout's editable install (whose import hook loads pathlib and
more into every Python start of the project's venv, `python -c pass` included): the package is
copied and compiled to bytecode as pip would (compileall), into a fresh venv whose own
site-packages holds it, with the project venv's site-packages after it for the dependencies
(added by a .pth line, so the project venv's own .pth hooks are not run), and a console script
written as pip writes one. Both commands run in that venv, in pairs, one right after the other in
alternating order; the ratio of each pair is printed, and the median ratio is held against the
target: <= 3x.

Usage: .venv/bin/python benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, clean_env, machine  # noqa: E402

TARGET = 3.0
# What pip writes for a [project.scripts] entry (pip's distlib launcher script on POSIX).
SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from compliance.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""


def installed_copy(work: Path) -> tuple[Path, Path]:
    """(python, console script) of a venv holding a compiled copy of the package."""
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    shutil.copytree(ROOT / "compliance", purelib / "compliance", ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(str(purelib / "compliance"), quiet=1)
    (purelib / "zz_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", "utf-8")
    script = venv / "bin" / "compliance"
    script.write_text(SCRIPT.format(python=python), "utf-8")
    script.chmod(0o755)
    return python, script


def wall(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="set up the venv in DIR and keep it")
    opts = parser.parse_args()
    print(f"start-up benchmark, {time.strftime('%Y-%m-%d %H:%M')}; machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = opts.keep or Path(tmp)
        if opts.keep and (work / "venv").exists():
            shutil.rmtree(work / "venv")
        python, script = installed_copy(work)
        env = clean_env(work / "state")
        check = [str(script), "check", "-m", "DK", "--no-cache"]
        # An empty store: created by a command that writes it, so that check finds one to read.
        subprocess.run([str(script), "sources"], env=env, cwd=work, capture_output=True, check=True)
        for _ in range(3):  # warm the page cache and the catalogue cache
            wall(check, env, work)
        got = subprocess.run([*check, "--format", "json"], env=env, cwd=work, capture_output=True, check=False)
        where = subprocess.run([str(python), "-c", "import compliance; print(compliance.__file__)"], env=env,
                               cwd=work, capture_output=True, text=True, check=True).stdout.strip()
        print(f"package: {where} (compiled); check exit code {got.returncode}, {len(got.stdout)} bytes of JSON")
        pairs = []
        for i in range(opts.runs):
            a = ("check", check), ("pass", [str(python), "-c", "pass"])
            times = {name: wall(cmd, env, work) for name, cmd in (a if i % 2 == 0 else a[::-1])}
            pairs.append((times["check"], times["pass"], os.getloadavg()[0]))
        ratios = [c / p for c, p, _ in pairs]
        med = statistics.median(ratios)
        checks, passes = [c for c, _, _ in pairs], [p for _, p, _ in pairs]
        print(f"\ncheck -m DK --no-cache (empty store) vs python -c pass, {opts.runs} pairs, alternating order; "
              f"load {min(p[2] for p in pairs):.2f}-{max(p[2] for p in pairs):.2f}")
        print(f"  check: median {statistics.median(checks) * 1e3:.1f} ms, min {min(checks) * 1e3:.1f} ms")
        print(f"  python -c pass: median {statistics.median(passes) * 1e3:.1f} ms, min {min(passes) * 1e3:.1f} ms")
        print(f"  ratio: median of pairs {med:.2f}x, of minima {min(checks) / min(passes):.2f}x   "
              f"target <= {TARGET:g}x   {'MET' if med <= TARGET else 'MISSED'}")
        prof = subprocess.run([str(python), "-X", "importtime", str(script), "check", "-m", "DK", "--no-cache"],
                              env=env, cwd=work, capture_output=True, text=True, check=False).stderr
        rows = []
        for line in prof.splitlines():
            if line.startswith("import time:") and "cumulative" not in line:
                self_us, cumulative, name = line.removeprefix("import time:").split("|")
                rows.append((int(cumulative), name.rstrip()))
        top = sum(c for c, n in rows if not n.startswith("  "))
        print(f"\n  imports of the check (python -X importtime; sum of top-level {top / 1e3:.1f} ms), largest:")
        for cumulative, name in sorted(rows, reverse=True)[:12]:
            print(f"    {cumulative / 1e3:7.1f} ms  {name}")
    return 0 if med <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
