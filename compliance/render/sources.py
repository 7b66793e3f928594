"""`compliance sources`: each source's last success, last error, counts and staleness."""

from __future__ import annotations

import json
from datetime import timedelta

from ..clock import from_db, utcnow
from ..config.settings import Settings
from ..redaction import redact_url
from ..sources import SOURCES, SourceInfo
from ..store.engine import Store

WIDE_TABLE = 110  # columns from which `compliance sources` shows the request counts


def health(status: str, errors: int) -> str:
    """A source's last run for people: "partial" when it was ok but could not search everything
    (some measures failed), never "ok" beside a count of failures."""
    return "partial" if status == "ok" and errors else status


def source_rows(store: Store, settings: Settings, *, requests: bool = False) -> list[dict]:
    """One row per source; with `requests`, the last error carries the requests that failed
    (full, secrets redacted: `compliance sources --format json`)."""
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
            "last_health": health(last.status, last.errors) if last else "never fetched",
            "last_reason": last.reason if last else None,
            "last_run_at": from_db(last.started_at).isoformat(timespec="seconds") if last else None,
            "last_success_at": last_ok.isoformat(timespec="seconds") if last_ok else None,
            "last_error": _last_error(store, bad[-1] if bad else None, requests),
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


def _last_error(store: Store, run, requests: bool) -> dict | None:  # noqa: ANN001 - a SourceRun
    if run is None:
        return None
    error = {"at": from_db(run.started_at).isoformat(timespec="seconds"), "status": run.status, "reason": run.reason}
    if requests:
        error["failed_requests"] = store.failed_requests(run.run_id, run.source)
    return error


def _unavailable_row(name: str, info: SourceInfo, settings: Settings) -> dict:
    """A source declared unavailable: listed with its reason, never run, never fresh."""
    return {
        "source": name, "title": info.title, "member_states": list(info.member_states) or "all",
        "coverage": {"searched": [], "not_searched": {}, "latest_not_ok": {}}, "enabled": False, "endpoints": {},
        "last_status": "unavailable", "last_health": "unavailable", "last_reason": info.unavailable,
        "last_run_at": None, "last_success_at": None, "last_error": None,
        "requests": 0, "not_modified": 0, "findings_new": 0, "findings_changed": 0, "findings_gone": 0,
        "pending_withdrawals": None, "max_age_days": settings.source(name).max_age_days or info.max_age_days,
        "stale": True,
        "unavailable": info.unavailable,
    }


def render_sources(store: Store, settings: Settings, fmt: str, width: int | None = None) -> str:
    """JSON (each source whole, the last error with its failed requests), or a table with one
    short line per source that has something to say below it."""
    rows = source_rows(store, settings, requests=fmt == "json")
    if fmt == "json":
        return json.dumps({"store": store.label, "sources": rows}, indent=2, ensure_ascii=False) + "\n"
    from ..errors import short_reason
    from .texttable import Column, clean, hanging, table

    width = width or 140
    wide = width >= WIDE_TABLE  # narrower: the request counts are left to the JSON
    columns = [Column("Source", wrap=False), Column("Covers", keep_words=True), Column("Last status", wrap=False),
               Column("Last success", wrap=False),
               *((Column("Req.", wrap=False, right=True), Column("304", wrap=False, right=True),
                  Column("New/chg/gone", wrap=False, right=True), Column("Pending", wrap=False)) if wide else ()),
               Column("Searched", wrap=False, right=True), Column("Fresh", wrap=False)]
    cells = []
    notes = []
    for r in rows:
        covers = r["member_states"] if isinstance(r["member_states"], str) else ", ".join(r["member_states"])
        searched = len(r["coverage"]["searched"])
        failed = len(r["coverage"]["not_searched"])
        held = r["pending_withdrawals"]
        pending = f"{held['count']} since {held['since'][:10]}" if held else "-"
        counts = [str(r["requests"]), str(r["not_modified"]),
                  f"{r['findings_new']}/{r['findings_changed']}/{r['findings_gone']}", pending] if wide else []
        cells.append([
            r["source"], covers, r["last_health"], (r["last_success_at"] or "-")[:10], *counts,
            f"{searched}+{failed} failed" if failed else str(searched),
            "-" if r["unavailable"] else "stale" if r["stale"] else "fresh",
        ])
        err = r["last_error"]
        if r["unavailable"]:
            notes.append(f"{r['source']}: unavailable: {r['unavailable']}")
        elif r["last_health"] == "partial":
            notes.append(f"{r['source']}: partial: {r['last_reason'] or '-'}")
        elif err and r["last_health"] != "ok":
            notes.append(f"{r['source']}: {err['status']} {err['at'][:10]}: {err['reason'] or '-'}")
        elif err:
            notes.append(f"{r['source']}: last error {err['at'][:10]} ({err['status']}): {err['reason'] or '-'}")
        if held and not wide:
            notes.append(f"{r['source']}: {held['count']} finding(s) pending withdrawal since {held['since'][:10]}")
    lines = table("Sources", None, columns, cells, width=width, color=False) or []
    lines += hanging(clean(f"store: {store.label}"), width)
    for n in notes:  # one short line per source; on a narrow terminal its continuation is indented
        lines += hanging(clean(short_reason(n)), width)
    if notes:
        lines += ["", "Each failed request in full: compliance sources --format json"]
    return "\n".join(lines) + "\n"
