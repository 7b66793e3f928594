"""Progress while refreshing (stderr) and the closing summaries of refresh and import."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from rich import box
from rich.console import Console
from rich.table import Table

from ..refresh import RefreshSummary, SourceSummary
from ..sources.base import SourceResult
from ..stream_import import TEXT_ROWS

if TYPE_CHECKING:
    from ..stream_import import StreamOutcome


class Progress:
    """One spinner line per source on stderr (only on a terminal); thread-safe."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._tasks: dict[str, int] = {}
        self._progress = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import Progress as RichProgress
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = RichProgress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                          console=Console(stderr=True), transient=False)
            self._progress.__enter__()
        return self

    def update(self, source: str, message: str) -> None:
        if self._progress is None:
            return
        with self._lock:
            if source not in self._tasks:
                self._tasks[source] = self._progress.add_task(f"{source}: {message}", total=None)
            self._progress.update(self._tasks[source], description=f"{source}: {message}")

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)


def _row(s: SourceSummary) -> dict:
    return {"source": s.source, "status": s.status, "reason": s.reason, "requests": s.requests,
            "not_modified": s.not_modified, "new": s.new, "changed": s.changed, "gone": s.gone,
            "errors": s.errors, "findings": s.findings}


def render_summary(summary: RefreshSummary, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"run_id": summary.run_id, "status": summary.status,
                           "sources": [_row(s) for s in summary.sources]}, indent=2) + "\n"
    out = io.StringIO()
    console = Console(file=out, width=140, no_color=True, highlight=False)
    table = Table(box=box.SIMPLE_HEAD, title=f"Refresh run {summary.run_id}: {summary.status}", title_justify="left")
    for col in ("Source", "Status", "Requests", "304", "New", "Changed", "Gone", "Errors"):
        table.add_column(col)
    for s in summary.sources:
        table.add_row(s.source, s.status, str(s.requests), str(s.not_modified), str(s.new), str(s.changed),
                      str(s.gone), str(s.errors))
    console.print(table)
    for s in summary.sources:
        if s.status != "ok":
            console.print(f"{s.source}: {s.status}: {s.reason}", soft_wrap=True)
    return out.getvalue()


def render_import(path: Path, body: bytes, result: SourceResult, summary: SourceSummary | None, fmt: str) -> str:
    sha = hashlib.sha256(body).hexdigest()
    items = [
        {"measure": f.measure_id, "member_state": f.member_state, "kind": f.kind, "key": f.key,
         "date": f.date.isoformat() if f.date else None, "title": f.title, "reference": f.reference, "url": f.url}
        for f in result.findings
    ]
    if fmt == "json":
        return json.dumps({"file": path.name, "sha256": sha, "stored": summary is not None, "reason": result.reason,
                           "new": summary.new if summary else None,
                           "changed": summary.changed if summary else None, "findings": items},
                          indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    console = Console(file=out, width=140, no_color=True, highlight=False)
    table = Table(box=box.SIMPLE_HEAD, title=f"{path.name} (sha256 {sha}): {len(items)} findings",
                  title_justify="left")
    for col in ("Measure", "MS", "Kind", "Date", "Reference", "Title"):
        table.add_column(col, overflow="fold")
    for i in items:
        table.add_row(i["measure"], i["member_state"] or "-", i["kind"], i["date"] or "-", i["reference"] or "-",
                      i["title"] or "")
    console.print(table)
    if result.reason:
        console.print(f"note: {result.reason}")
    if summary is None:
        console.print("dry run: nothing stored")
    else:
        console.print(f"stored: {summary.new} new, {summary.changed} changed")
    return out.getvalue()


def write_import_outcome(path: Path, outcome: StreamOutcome, fmt: str, out: TextIO) -> None:
    """render_import's output for a streamed import (stream_import.py), written piece by piece:
    the findings come from the outcome's spool file. JSON lists every finding; text lists the
    first TEXT_ROWS and says how many more there are. Up to that, the output is render_import's
    (tests/test_stream_import.py compares the two)."""
    summary = outcome.summary
    spool = outcome.spool
    spool.seek(0)
    if fmt == "json":
        head = json.dumps({"file": path.name, "sha256": outcome.sha256, "stored": summary is not None,
                           "reason": outcome.reason, "new": summary.new if summary else None,
                           "changed": summary.changed if summary else None, "findings": []},
                          indent=2, ensure_ascii=False)
        if not outcome.findings:
            out.write(head + "\n")
            return
        out.write(head.removesuffix("[]\n}") + "[\n")
        for n, line in enumerate(spool):
            item = json.dumps(json.loads(line), indent=2, ensure_ascii=False).replace("\n", "\n    ")
            out.write(("" if n == 0 else ",\n") + "    " + item)
        out.write("\n  ]\n}\n")
        return
    items = [json.loads(line) for line, _ in zip(spool, range(TEXT_ROWS), strict=False)]
    buffer = io.StringIO()
    console = Console(file=buffer, width=140, no_color=True, highlight=False)
    table = Table(box=box.SIMPLE_HEAD, title=f"{path.name} (sha256 {outcome.sha256}): {outcome.findings} findings",
                  title_justify="left")
    for col in ("Measure", "MS", "Kind", "Date", "Reference", "Title"):
        table.add_column(col, overflow="fold")
    for i in items:
        table.add_row(i["measure"], i["member_state"] or "-", i["kind"], i["date"] or "-", i["reference"] or "-",
                      i["title"] or "")
    console.print(table)
    if outcome.findings > len(items):
        console.print(f"... and {outcome.findings - len(items)} more findings (--format json lists them all)")
    if outcome.reason:
        console.print(f"note: {outcome.reason}")
    if summary is None:
        console.print("dry run: nothing stored")
    else:
        console.print(f"stored: {summary.new} new, {summary.changed} changed")
    out.write(buffer.getvalue())
