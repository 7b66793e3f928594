"""The text and JSON of `compliance sources --probe` (compliance/probe.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .neutralise import plain

if TYPE_CHECKING:
    from ..refresh.probe import ProbeResult

STATUSES = ("ok", "drift", "unreachable", "unavailable", "no-canary")


def render_probes(results: list[ProbeResult], fmt: str) -> str:
    """One line per source, `<source>: <status>: <reason>`, and the counts; or JSON."""
    if fmt == "json":
        return json.dumps({"probes": [r.to_dict() for r in results]}, indent=2, ensure_ascii=False) + "\n"
    lines = [f"{r.source}: {r.status}: {plain(r.reason)}" for r in results]
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    lines.append("probed: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return "\n".join(lines) + "\n"
