"""`compliance diff` output: text, JSON and markdown. Renders a history.Diff; computes nothing."""

from __future__ import annotations

import json

from ..store.history import Diff, Link, Transition
from .neutralise import md_link, md_text, plain


def _when(d: Diff) -> str:
    runs = f" (runs {d.from_run.id} -> {d.to_run.id})" if d.from_run and d.to_run else ""
    scope = ", ".join(d.member_states) if d.member_states else "all"
    return (f"Changes from {d.since.isoformat(timespec='seconds')} to {d.until.isoformat(timespec='seconds')}"
            f"{runs}; Member States: {scope}" + (f"; store {d.store}" if d.store else ""))


def _status(value: str | None) -> str:
    return value or "(none)"


def _obligation(t: Transition) -> str:
    return f"{t.measure_id} / {t.obligation_id}" if t.obligation_id else t.measure_id


def _link_text(link: Link) -> str:
    label = link.reference or link.title or link.kind
    return f"{plain(link.source)}: {plain(label)}" + (f" <{plain(link.url)}>" if link.url else "")


def _evidence_sections(d: Diff) -> tuple[tuple[str, list], ...]:
    return (("New evidence", d.evidence_new), ("Withdrawn evidence", d.evidence_withdrawn),
            ("Not listed since (withdrawal pending)", d.evidence_pending))


def render_text(d: Diff) -> str:
    lines = [_when(d)]
    lines += [f"note: {plain(n)}" for n in d.notes]
    lines += ["", f"Status transitions ({len(d.transitions)})"]
    for t in d.transitions:
        lines.append(f"  {t.member_state:<3} {_obligation(t)}: {_status(t.before)} -> {_status(t.after)}"
                     f"  ({t.at.date().isoformat()}, run {t.to_run})")
        deadline = f"deadline {t.deadline.isoformat()}; " if t.deadline else ""
        lines.append(f"      {deadline}{t.rule}: {plain(t.reason)}")
        lines += [f"      evidence: {_link_text(e)}" for e in t.evidence]
    for title, items in _evidence_sections(d):
        lines += ["", f"{title} ({len(items)})"]
        for e in items:
            label = plain(e.reference or e.title or e.kind)
            lines.append(f"  {e.member_state or '-':<3} {e.measure_id}: {e.kind} {label} [{plain(e.source)}]"
                         f" {e.at.date().isoformat()}" + (f" <{plain(e.url)}>" if e.url else "")
                         + (f" ({plain(e.note)})" if e.note else ""))
    lines += ["", f"Source health changes ({len(d.source_changes)})"]
    for s in d.source_changes:
        reason = f": {plain(s.reason)}" if s.reason else ""
        lines.append(f"  {s.source}: {_status(s.before)} -> {s.after} ({s.at.date().isoformat()}, run {s.run_id})"
                     f"{reason}")
    return "\n".join(lines) + "\n"


def render_markdown(d: Diff) -> str:
    lines = [f"# {md_text(_when(d))}", ""]
    lines += [f"- note: {md_text(n)}" for n in d.notes]
    lines += ["", f"## Status transitions ({len(d.transitions)})", ""]
    if d.transitions:
        lines += ["| Member State | Measure | Obligation | From | To | When | Reason | Evidence |",
                  "|---|---|---|---|---|---|---|---|"]
        for t in d.transitions:
            evidence = ", ".join(md_link(f"{e.source}: {e.reference or e.title or e.kind}", e.url)
                                 for e in t.evidence)
            lines.append("| " + " | ".join([
                md_text(t.member_state), md_text(f"{t.measure_id}: {t.measure_title}"),
                md_text(t.obligation_id or "-"), md_text(_status(t.before)), md_text(_status(t.after)),
                f"{t.at.date().isoformat()} (run {t.to_run})", md_text(t.reason), evidence or "-",
            ]) + " |")
    for title, items in _evidence_sections(d):
        lines += ["", f"## {title} ({len(items)})", ""]
        if items:
            lines += ["| Member State | Measure | Kind | Item | Source | When | Note |",
                      "|---|---|---|---|---|---|---|"]
            lines += ["| " + " | ".join([
                md_text(e.member_state or "-"), md_text(e.measure_id), md_text(e.kind),
                md_link(e.reference or e.title or e.kind, e.url), md_text(e.source), e.at.date().isoformat(),
                md_text(e.note) if e.note else "-",
            ]) + " |" for e in items]
    lines += ["", f"## Source health changes ({len(d.source_changes)})", ""]
    lines += [f"- {md_text(s.source)}: {md_text(_status(s.before))} -> {md_text(s.after)} ({s.at.date().isoformat()}, "
              f"run {s.run_id})" + (f": {md_text(s.reason)}" if s.reason else "")
              for s in d.source_changes]
    return "\n".join(lines) + "\n"


def render_diff(d: Diff, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(d.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return render_markdown(d)
    return render_text(d)
