"""`compliance refs` on a file and on standard input."""

from __future__ import annotations

import json
import subprocess
import sys


def test_refs_on_a_file(run_cli, tmp_path):
    doc = tmp_path / "lov.txt"
    doc.write_text("Loven gennemfører direktiv 2011/36/EU og forordning (EU) 2016/679.\n", "utf-8")
    code, out, _ = run_cli("refs", str(doc), "--format", "json")
    assert code == 0
    assert [(r["celex"], r["kind"]) for r in json.loads(out)] == [("32011L0036", "directive"),
                                                                   ("32016R0679", "regulation")]
    code, out, _ = run_cli("refs", str(doc))
    assert out.splitlines()[0].split("\t")[:2] == ["32011L0036", "directive"]


def test_refs_on_stdin_and_bad_input(run_cli, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "compliance.cli", "refs", "-"], input=b"dyrektywy 2011/36/UE",
                          capture_output=True, check=False)
    assert proc.returncode == 0 and proc.stdout.decode().startswith("32011L0036\tdirective")
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\xff\xfe\xfa")
    code, _, err = run_cli("refs", str(bad))
    assert code == 2 and "not UTF-8" in err
    code, _, err = run_cli("refs", str(tmp_path / "absent.txt"))
    assert code == 2 and "cannot read" in err
