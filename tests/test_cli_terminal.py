"""The text report as a person sees it: `compliance check` run in a real pseudo-terminal of 80,
100 and 120 columns, and piped (with and without COLUMNS)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pytest

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HEADER = "  Measure / obligation"
ARGS = ["check", "-m", "DK", "-m", "SE", "--as-of", "2026-11-22", "--fail-on", "never"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(TERM="xterm-256color", **extra)
    return env


def run_in_pty(args: list[str], columns: int, **env: str) -> tuple[int, str]:
    """Run `compliance ARGS` with stdout and stderr on a pty of `columns` columns."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "compliance.cli", *args], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, env=_env(**env), close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait(timeout=60)
    return code, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def run_piped(args: list[str], **env: str) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "compliance.cli", *args], capture_output=True, text=True,
                          env=_env(**env), timeout=60)
    return proc.returncode, proc.stdout


def _check_lines(text: str, width: int) -> list[str]:
    lines = text.split("\n")
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    assert all(line == line.rstrip() for line in lines)
    return lines


@pytest.mark.parametrize("columns", [80, 100, 120])
def test_report_fits_the_terminal_and_breaks_no_identifier(columns):
    code, raw = run_in_pty(ARGS, columns)
    assert code == 0, raw
    assert "\x1b[" in raw  # a terminal: coloured
    text = ANSI.sub("", raw)
    lines = _check_lines(text, columns)
    assert "Denmark (DK) as of 2026-11-22" in text and "Sweden (SE) as of 2026-11-22" in text
    tokens = {t for line in lines for t in line.split()}
    for ident in ("pcc-info-exchange-directive", "aml-directive-2024-1640", "transposition-2029-07-10",
                  "infringement", "not-applicable", "2029-07-10"):
        assert ident in tokens, ident
    assert not re.search(r"infringeme$|transposition-2029-07-1$|aml-directive-2024-164$", text, re.M)
    if columns < 100:
        assert HEADER not in text  # one block per assessment
        assert "  pcc-info-exchange-directive  transposition" in lines
        assert any(re.fullmatch(r"    infringement   2024-12-12   \d+ late   \d+ evidence items?", line)
                   for line in lines)
    else:
        assert HEADER in text


def test_piped_output_honours_columns_and_has_no_colour():
    code, text = run_piped(ARGS, COLUMNS="90")
    assert code == 0
    assert "\x1b" not in text
    _check_lines(text, 90)
    assert HEADER not in text
    code, wide = run_piped(ARGS, COLUMNS="120")
    _check_lines(wide, 120)
    assert HEADER in wide and max(map(len, wide.split("\n"))) > 110


def test_piped_output_without_columns_is_140_wide():
    code, text = run_piped(ARGS)
    assert code == 0
    lines = _check_lines(text, 140)
    assert HEADER in text and max(map(len, lines)) > 120


@pytest.mark.parametrize("columns", [80, 100, 120])
@pytest.mark.parametrize("args", [["measures"], ["measures", "-m", "DK"], ["sources"]], ids=" ".join)
def test_measures_and_sources_fit_the_terminal_and_break_no_identifier(args, columns):
    code, raw = run_in_pty(args, columns)
    assert code == 0, raw
    lines = _check_lines(ANSI.sub("", raw), columns)
    tokens = {t for line in lines for t in line.split()}
    wanted = {"pcc-operational-recommendation", "pcc-info-exchange-directive", "32023L0977"} if args[0] == "measures" \
        else {"eurlex", "gazette-dk", "never"}
    assert wanted <= tokens, wanted - tokens
    code, piped = run_piped(args, COLUMNS=str(columns))
    assert code == 0
    _check_lines(piped, columns)
