"""Progress while refreshing (stderr) and the closing summaries of refresh and import."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..refresh.run import RefreshSummary, SourceSummary
from ..refresh.stream_import import TEXT_ROWS, output_item
from ..sources.base import SourceResult

if TYPE_CHECKING:
    from ..refresh.stream_import import StreamOutcome


class Progress:
    """One spinner line per source on stderr (only on a terminal), or (`log_steps`, for
    --verbose) each step as a log line; thread-safe."""

    def __init__(self, enabled: bool, log_steps: bool = False) -> None:
        self.enabled = enabled
        self.log_steps = log_steps
        self._lock = threading.Lock()
        self._tasks: dict[str, int] = {}
        self._progress = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress as RichProgress
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = RichProgress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                          console=Console(stderr=True), transient=False)
            self._progress.__enter__()
        return self

    def update(self, source: str, message: str) -> None:
        if self.log_steps:
            import logging

            logging.getLogger("compliance.refresh").info("%s: %s", source, message)
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
            "pending": s.pending, "errors": s.errors, "findings": s.findings, "failed_requests": s.failed_requests,
            # An incremental answer (the infringement register): what it read and kept; None: the whole search.
            "partial": s.partial}


def render_summary(summary: RefreshSummary, fmt: str, *, verbose: bool = False, width: int | None = None) -> str:
    """The closing summary: JSON, or a table with one short paragraph per source that was not ok
    below it, wrapped to `width` when one is known (a terminal, COLUMNS; continuations indented),
    else one line each; `verbose` adds every failed request (its full URL, secrets redacted, one
    per line, never wrapped: it is there to be copied)."""
    if fmt == "json":
        return json.dumps({"run_id": summary.run_id, "status": summary.status, "network": summary.network,
                           "sources": [_row(s) for s in summary.sources]}, indent=2) + "\n"
    from ..errors import short_reason
    from .sources import health
    from .texttable import Column, clean, hanging, table

    columns = [Column("Source", wrap=False), Column("Status", wrap=False),
               *(Column(h, wrap=False, right=True)
                 for h in ("Requests", "304", "New", "Changed", "Gone", "Pending", "Errors"))]
    rows = [[s.source, health(s.status, s.errors), str(s.requests), str(s.not_modified), str(s.new), str(s.changed),
             str(s.gone), str(s.pending), str(s.errors)] for s in summary.sources]
    def paragraph(text: str) -> list[str]:  # one line each when no width is known (piped): grep finds it
        return hanging(text, width) if width else [text]

    lines = table(f"Refresh run {summary.run_id}: {summary.status}", None, columns, rows, width=width or 140,
                  color=False)
    if summary.network:
        lines += [*paragraph(clean(summary.network)), ""]
    for s in summary.sources:
        if health(s.status, s.errors) != "ok":
            lines += paragraph(f"{s.source}: {health(s.status, s.errors)}: {clean(short_reason(s.reason or '-'))}")
        if verbose:
            lines += [f"  {clean(f['request'])}: {clean(f['reason'])}" for f in s.failed_requests]
    return "\n".join(lines) + "\n"


def render_import(path: Path, body: bytes, result: SourceResult, summary: SourceSummary | None, fmt: str) -> str:
    sha = hashlib.sha256(body).hexdigest()
    items = [output_item(f) for f in result.findings]
    if fmt == "json":
        return json.dumps({"file": path.name, "sha256": sha, "stored": summary is not None, "reason": result.reason,
                           "new": summary.new if summary else None,
                           "changed": summary.changed if summary else None, "findings": items},
                          indent=2, ensure_ascii=False) + "\n"
    return _import_text(path.name, sha, items[:TEXT_ROWS], len(items), result.reason, summary)


def _import_text(name: str, sha: str, items: list[dict], total: int, reason: str | None,
                 summary: SourceSummary | None) -> str:
    """The text summary of an import: the first TEXT_ROWS findings (--format json lists them all),
    laid out by texttable (titles come from the imported file: control characters are escaped)."""
    from .texttable import Column, clean, table

    columns = [Column("Measure", min_width=12), Column("MS", wrap=False), Column("Kind", wrap=False),
               Column("Date", wrap=False), Column("Reference"), Column("Title", flexible=True)]
    rows = [[clean(i["measure"] or ""), clean(i["member_state"] or "-"), clean(i["kind"] or ""), i["date"] or "-",
             clean(i["reference"] or "-"), clean(i["title"] or "")] for i in items]
    lines = table(f"{clean(name)} (sha256 {sha}): {total} findings", None, columns, rows, width=140, color=False)
    if total > len(items):
        lines.append(f"... and {total - len(items)} more findings (--format json lists them all)")
    if reason:
        lines.append(f"note: {clean(reason)}")
    lines.append("dry run: nothing stored" if summary is None
                 else f"stored: {summary.new} new, {summary.changed} changed")
    return "\n".join(lines) + "\n"


def write_import_outcome(path: Path, outcome: StreamOutcome, fmt: str, out: TextIO) -> None:
    """render_import's output for a streamed import (refresh/stream_import.py), written piece by piece:
    the findings come from the outcome's spool file. JSON lists every finding, text the first
    TEXT_ROWS, as render_import does."""
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
    out.write(_import_text(path.name, outcome.sha256, items, outcome.findings, outcome.reason, summary))
