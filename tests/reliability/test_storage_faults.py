"""Faults of the machine through the CLI: a full disk, an I/O error, a read-only state directory,
SQLite's "database or disk is full", and what a killed import leaves behind.

Real faults where this machine allows them: as root, a small tmpfs is mounted for the state
directory (filled up for ENOSPC, remounted read-only for EROFS); SQLite's own SQLITE_FULL comes
from `PRAGMA max_page_count` (a real full database, no root needed); a SIGKILLed import is a real
process killed while its temporary archive file exists. An I/O error cannot be made without a
failing device, so EIO (and, without root, ENOSPC) is injected at the OS boundary (os.fsync).

Every case: exit 3 (documented: the disk is full, failing or read-only), one line on stderr that
names the fault and no SQL or finding data, the findings stored before unchanged, no temporary
file left.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from . import hostile

NIM = Path(__file__).resolve().parents[1] / "fixtures" / "eurlex" / "nim_32011L0036_constructed.json"
SECRET_TITLE = "Confidential-looking title 7f3a"  # finding data that must never reach a message


def _big_answer(rows: int) -> bytes:
    return hostile.nim_answer([hostile.Row(hostile.TARGETS[i % len(hostile.TARGETS)], f"{SECRET_TITLE} {i}",
                                           f"REF {i}", f"https://example.org/{i}") for i in range(rows)])


def _import(run_cli, path: Path, *extra: str):  # noqa: ANN001, ANN202
    return run_cli("import", "--source", "eurlex", str(path), "--measure", hostile.MEASURE, *extra)


def _rows(state: Path) -> list[tuple]:
    con = sqlite3.connect(state / "compliance.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return con.execute("SELECT id, key, content_hash, active FROM finding ORDER BY id").fetchall()
    finally:
        con.close()


def _temporaries(state: Path) -> list[Path]:
    return [p for p in state.rglob("*") if p.name.endswith(".tmp")]


def _assert_one_clean_line(code: int, err: str, fault: str, where: str) -> None:
    problems = []
    if code != 3:
        problems.append(f"exit {code}, expected 3")
    lines = err.strip().splitlines()
    if len(lines) != 1 or not lines[0].startswith("error: "):
        problems.append(f"not one error line: {err[:300]!r}")
    if fault not in err:
        problems.append(f"{fault!r} not in {err[:300]!r}")
    for leak in ("INSERT", "SELECT", "UPDATE", "Traceback", "internal error", SECRET_TITLE, "[parameters"):
        if leak in err:
            problems.append(f"{leak!r} in the message")
    hostile.record("faults", where, 1, problems)
    assert problems == []


@pytest.fixture
def seeded(run_cli, isolated_state):
    """A store holding the CONSTRUCTED NIM fixture's findings."""
    code, _, err = _import(run_cli, NIM)
    assert code == 0, err
    return _rows(isolated_state)


# --- a real full disk and a real read-only file system (tmpfs, as root) --------------------------------


@contextmanager
def _tmpfs(path: Path, size: str):  # noqa: ANN202
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip() or 'not root'})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fill(fs: Path, leave: int) -> None:
    """Fill the file system until about `leave` bytes remain."""
    st = os.statvfs(fs)
    free = st.f_bavail * st.f_frsize
    with open(fs / "filler", "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))


@pytest.fixture
def small_fs(tmp_path, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    with _tmpfs(tmp_path / "fs", "16m") as fs:
        state = fs / "state"
        monkeypatch.setenv("COMPLIANCE_STATE_DIR", str(state))
        yield fs, state


@pytest.mark.parametrize("path", ["whole-file", "streamed"])
def test_full_disk_during_import(path, run_cli, small_fs, tmp_path, monkeypatch):
    fs, state = small_fs
    code, _, err = _import(run_cli, NIM)
    assert code == 0, err
    before = _rows(state)
    big = tmp_path / "big.json"
    big.write_bytes(_big_answer(6000))  # ~3 MB: more than is left
    if path == "streamed":
        import compliance.refresh.stream_import as stream_import

        monkeypatch.setattr(stream_import, "STREAM_THRESHOLD", 1024)
    _fill(fs, 512 * 1024)
    code, out, err = _import(run_cli, big)
    _assert_one_clean_line(code, err, "no space left on the device (ENOSPC)", f"import ({path}) on a full tmpfs")
    (fs / "filler").unlink()
    assert _rows(state) == before
    assert _temporaries(state) == []
    code, _, err = _import(run_cli, big)  # space again: the same import goes through
    assert code == 0, err
    assert len(_rows(state)) > len(before)


def test_full_disk_for_outputs(run_cli, small_fs):
    """check --output, calendar --output and export --out on a full disk: one line, an existing
    file kept as it was, no temporary file or directory left."""
    fs, state = small_fs
    code, _, err = _import(run_cli, NIM)
    assert code == 0, err
    report = fs / "report.json"
    report.write_text("the previous report\n", "utf-8")
    _fill(fs, 0)
    for args, where in ((("check", "--format", "json", "--output", str(report), "--no-cache"), "check --output"),
                        (("calendar", "--output", str(fs / "deadlines.ics")), "calendar --output"),
                        (("export", "-m", "AT", "--out", str(fs / "bundle"), "--format", "json,csv"), "export --out")):
        code, _, err = run_cli(*args)
        _assert_one_clean_line(code, err, "no space left on the device (ENOSPC)", f"{where} on a full tmpfs")
    assert report.read_text("utf-8") == "the previous report\n"
    assert sorted(p.name for p in fs.iterdir()) == ["filler", "report.json", "state"]


def test_read_only_state_directory(run_cli, small_fs, tmp_path, monkeypatch):
    fs, state = small_fs
    code, _, err = _import(run_cli, NIM)
    assert code == 0, err
    before = _rows(state)
    # A read-only view of the same state directory (a bind mount, remounted read-only).
    view = tmp_path / "ro"
    view.mkdir()
    subprocess.run(["mount", "--bind", str(fs), str(view)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
        monkeypatch.setenv("COMPLIANCE_STATE_DIR", str(view / "state"))
        for args, where in ((("refresh", "--source", "eurlex"), "refresh"),
                            (("import", "--source", "eurlex", str(NIM), "--measure", hostile.MEASURE), "import")):
            code, _, err = run_cli(*args)
            _assert_one_clean_line(code, err, "read-only file system (EROFS)", f"{where} on a read-only mount")
        # Reading still works: check, sources, diff and an export elsewhere.
        for args in (("check", "--format", "json", "--fail-on", "never"), ("sources",), ("diff",),
                     ("export", "-m", "AT", "--out", str(tmp_path / "bundle"), "--format", "json")):
            code, _, err = run_cli(*args)
            assert code == 0, (args, err)
    finally:
        subprocess.run(["umount", "-l", str(view)], capture_output=True)
    assert _rows(state) == before


# --- SQLite's own "database or disk is full" (no root needed) -------------------------------------------


def test_sqlite_database_full(run_cli, seeded, isolated_state, tmp_path, monkeypatch):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    con = sqlite3.connect(isolated_state / "compliance.db")
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.close()

    def limit(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 4}")

    big = tmp_path / "big.json"
    big.write_bytes(_big_answer(3000))
    event.listen(Engine, "connect", limit)
    try:
        code, _, err = _import(run_cli, big)
    finally:
        event.remove(Engine, "connect", limit)
    _assert_one_clean_line(code, err, "no space left on the device (ENOSPC)", "import into a full SQLite database")
    assert str(isolated_state / "compliance.db") in err
    assert _rows(isolated_state) == seeded


# --- injected at the OS boundary: EIO, and ENOSPC without root ---------------------------------------------


@pytest.mark.parametrize(("code_", "text"), [(errno.EIO, "input/output error"), (errno.ENOSPC, "no space left"),
                                            (errno.EROFS, "read-only file system")])
def test_injected_os_faults_on_import_and_refresh(code_, text, run_cli, seeded, isolated_state, monkeypatch, server,
                                                  tmp_path):
    from . import harness
    from .test_injection import _serve

    def failing_fsync(fd: int) -> None:
        raise OSError(code_, os.strerror(code_))

    big = tmp_path / "other.json"
    big.write_bytes(_big_answer(50))
    monkeypatch.setattr(os, "fsync", failing_fsync)
    code, _, err = _import(run_cli, big)
    _assert_one_clean_line(code, err, text, f"import with {errno.errorcode[code_]} injected")
    assert _rows(isolated_state) == seeded and _temporaries(isolated_state) == []

    setup = harness.setup_for("eurlex")
    harness.prepare(setup, server, monkeypatch)
    harness.fast_backoff(monkeypatch)
    harness.write_config(Path("compliance.toml"), timeout=5, max_retries=0)
    _serve(server, _big_answer(30))
    code, _, err = run_cli("refresh", "--source", "eurlex", "--measure", hostile.MEASURE)
    _assert_one_clean_line(code, err, text, f"refresh with {errno.errorcode[code_]} injected")
    assert _rows(isolated_state) == seeded and _temporaries(isolated_state) == []
    monkeypatch.undo()


# --- what a killed import leaves ---------------------------------------------------------------------------


def test_killed_import_leaves_a_temporary_file_that_the_next_run_removes(run_cli, seeded, isolated_state, tmp_path,
                                                                         caplog):
    big = tmp_path / "big.json"
    big.write_bytes(_big_answer(2000))
    # A real process, killed while its archive copy is on disk under a temporary name (its fsync
    # made slow so that the moment can be hit).
    script = ("import os, sys, time\nos.fsync = lambda fd: time.sleep(60)\nfrom compliance.cli import main\n"
              f"sys.argv = ['compliance', 'import', '--source', 'eurlex', {str(big)!r}, '--measure', "
              f"{hostile.MEASURE!r}]\nmain()\n")
    proc = subprocess.Popen([sys.executable, "-c", script], env=dict(os.environ), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        # The archive's temporaries only: a catalogue-cache temporary elsewhere in the state
        # directory, renamed a moment later, could be caught first on a loaded machine.
        while not _temporaries(isolated_state / "archive") and time.monotonic() < deadline:
            time.sleep(0.02)
        leftover = _temporaries(isolated_state / "archive")
        assert leftover, "the import never wrote its temporary file"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert all(p.exists() for p in leftover)
    old_cache = isolated_state / "cache" / ".catalogue.abandoned.tmp"
    fresh_cache = isolated_state / "cache" / ".catalogue.in-use.tmp"
    for p in (old_cache, fresh_cache):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x" * 1000)
    os.utime(old_cache, (time.time() - 3600, time.time() - 3600))

    code, _, err = _import(run_cli, NIM)  # the next import, under the lock, cleans up
    assert code == 0, err
    problems = [f"{p} left" for p in leftover + [old_cache] if p.exists()]
    problems += [] if fresh_cache.exists() else ["a cache file in use (fresh) was removed"]
    hostile.record("faults", "import after a SIGKILLed import", 1, problems)
    assert problems == []
    assert "removed 2 stale temporary file(s)" in caplog.text  # a warning on stderr outside pytest
    assert _rows(isolated_state)[: len(seeded)] == seeded


def test_refresh_removes_stale_temporaries_too(run_cli, isolated_state, server, monkeypatch):
    from . import harness
    from .test_injection import _serve

    archive = isolated_state / "archive"
    archive.mkdir(parents=True)
    stale = archive / ".import.killed.tmp"
    stale.write_bytes(b"\0" * 100_000)
    setup = harness.setup_for("eurlex")
    harness.prepare(setup, server, monkeypatch)
    harness.fast_backoff(monkeypatch)
    harness.write_config(Path("compliance.toml"), timeout=5, max_retries=0)
    _serve(server, hostile.nim_answer(hostile.benign_rows()))
    code, out, err = run_cli("refresh", "--source", "eurlex", "--measure", hostile.MEASURE)
    assert code == 0, (out, err)
    problems = [f"{stale} left"] if stale.exists() else []
    hostile.record("faults", "refresh after a killed run", 1, problems)
    assert problems == []
    (report,) = json.loads(run_cli("check", "-m", "EE", "--format", "json", "--fail-on", "never")[1])
    assert report["assessments"]
