"""`compliance sources`: each source's last success, last error, counts and staleness."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from rich import box
from rich.console import Console
from rich.table import Table

from ..clock import from_db, utcnow
from ..config import Settings
from ..http import redact_url
from ..sources import SOURCES, SourceInfo
from ..store import Store


def source_rows(store: Store, settings: Settings) -> list[dict]:
    runs = store.source_runs()
    coverage = store.coverage()
    pending = store.pending_withdrawals()
    now = utcnow()
    rows = []
    for name, info in sorted(SOURCES.items()):
        if info.unavailable:
            rows.append(_unavailable_row(name, info, settings))
            continue
        if not info.available():
            continue
        mine = [r for r in runs if r.source == name]
        ok = [r for r in mine if r.status == "ok"]
        bad = [r for r in mine if r.status not in ("ok", "running")]
        last = mine[-1] if mine else None
        last_ok = from_db(ok[-1].finished_at or ok[-1].started_at) if ok else None
        max_age = settings.source(name).max_age_days or info.max_age_days
        stale = last_ok is None or now - last_ok > timedelta(days=max_age)
        covered = sorted({c.measure_id for c in coverage if c.source == name and c.status == "ok"})
        problems = {
            c.measure_id: f"{c.status}: {c.reason}" for c in coverage
            if c.source == name and c.status != "ok" and c.measure_id not in covered
        }
        # Searched successfully once, but the latest search failed or was suspect (the earlier one
        # stands while it is fresh): store.coverage() gives the latest healthy row and any later failure.
        latest = {
            c.measure_id: f"{c.status}: {c.reason}" for c in coverage
            if c.source == name and c.status != "ok" and c.measure_id in covered
        }
        rows.append({
            "source": name,
            "title": info.title,
            "member_states": list(info.member_states) or "all",
            "coverage": {"searched": covered, "not_searched": problems, "latest_not_ok": latest},
            "enabled": settings.source(name).enabled,
            "endpoints": {e: redact_url(settings.endpoint(e, "(default)")) for e in info.endpoint_names},
            "last_status": last.status if last else "never fetched",
            "last_run_at": from_db(last.started_at).isoformat(timespec="seconds") if last else None,
            "last_success_at": last_ok.isoformat(timespec="seconds") if last_ok else None,
            "last_error": (
                {"at": from_db(bad[-1].started_at).isoformat(timespec="seconds"),
                 "status": bad[-1].status, "reason": bad[-1].reason}
                if bad else None
            ),
            "requests": last.requests if last else 0,
            "not_modified": last.not_modified if last else 0,
            "findings_new": last.findings_new if last else 0,
            "findings_changed": last.findings_changed if last else 0,
            "findings_gone": last.findings_gone if last else 0,
            "pending_withdrawals": (
                {"count": pending[name][0], "since": pending[name][1].isoformat(timespec="seconds")}
                if name in pending else None
            ),
            "max_age_days": max_age,
            "stale": stale,
            "unavailable": None,
        })
    return rows


def _unavailable_row(name: str, info: SourceInfo, settings: Settings) -> dict:
    """A source declared unavailable: listed with its reason, never run, never fresh."""
    return {
        "source": name, "title": info.title, "member_states": list(info.member_states) or "all",
        "coverage": {"searched": [], "not_searched": {}, "latest_not_ok": {}}, "enabled": False, "endpoints": {},
        "last_status": "unavailable", "last_run_at": None, "last_success_at": None, "last_error": None,
        "requests": 0, "not_modified": 0, "findings_new": 0, "findings_changed": 0, "findings_gone": 0,
        "pending_withdrawals": None, "max_age_days": settings.source(name).max_age_days or info.max_age_days,
        "stale": True,
        "unavailable": info.unavailable,
    }


def render_sources(store: Store, settings: Settings, fmt: str) -> str:
    rows = source_rows(store, settings)
    if fmt == "json":
        return json.dumps({"sources": rows}, indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    console = Console(file=out, width=160, no_color=True, highlight=False)
    table = Table(box=box.SIMPLE_HEAD, expand=True, title="Sources", title_justify="left")
    for col in ("Source", "Covers", "Last status", "Last success", "Last error", "Req.", "304", "New/chg/gone",
                "Pending", "Measures searched", "Fresh"):
        table.add_column(col, overflow="fold")
    for r in rows:
        err = r["last_error"]
        table.add_row(
            r["source"],
            r["member_states"] if isinstance(r["member_states"], str) else ",".join(r["member_states"]),
            r["last_status"],
            r["last_success_at"] or "-",
            f"{err['at']} {err['status']}: {err['reason']}" if err else (r["unavailable"] or "-"),
            str(r["requests"]),
            str(r["not_modified"]),
            f"{r['findings_new']}/{r['findings_changed']}/{r['findings_gone']}",
            (f"{r['pending_withdrawals']['count']} since {r['pending_withdrawals']['since'][:10]}"
             if r["pending_withdrawals"] else "-"),
            str(len(r["coverage"]["searched"])) + (f" ({len(r['coverage']['not_searched'])} failed)"
                                                   if r["coverage"]["not_searched"] else ""),
            "-" if r["unavailable"] else "stale" if r["stale"] else "fresh",
        )
    console.print(table)
    return out.getvalue()
