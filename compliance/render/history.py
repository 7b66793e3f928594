"""`compliance diff` output: text, JSON and markdown. Renders a history.Diff; computes nothing."""

from __future__ import annotations

import json
import re

from ..history import Diff, Link, Transition
from .markdown import md_escape

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def plain(value: object) -> str:
    """One line of plain text: scraped titles must not carry terminal escapes or line breaks."""
    return _CONTROL.sub(" ", "" if value is None else str(value)).strip()


def md_link(label: object, url: str | None) -> str:
    """A markdown link for http(s) URLs only; anything else is escaped text."""
    text = md_escape(plain(label))
    if url and url.lower().startswith(("http://", "https://")):
        safe = url.replace(")", "%29").replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
        return f"[{text}](<{plain(safe)}>)"
    return text


def _when(d: Diff) -> str:
    runs = f" (runs {d.from_run.id} -> {d.to_run.id})" if d.from_run and d.to_run else ""
    scope = ", ".join(d.member_states) if d.member_states else "all"
    return (f"Changes from {d.since.isoformat(timespec='seconds')} to {d.until.isoformat(timespec='seconds')}"
            f"{runs}; Member States: {scope}")


def _status(value: str | None) -> str:
    return value or "(none)"


def _obligation(t: Transition) -> str:
    return f"{t.measure_id} / {t.obligation_id}" if t.obligation_id else t.measure_id


def _link_text(link: Link) -> str:
    label = link.reference or link.title or link.kind
    return f"{plain(link.source)}: {plain(label)}" + (f" <{plain(link.url)}>" if link.url else "")


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
    for title, items in (("New evidence", d.evidence_new), ("Withdrawn evidence", d.evidence_withdrawn)):
        lines += ["", f"{title} ({len(items)})"]
        for e in items:
            label = plain(e.reference or e.title or e.kind)
            lines.append(f"  {e.member_state or '-':<3} {e.measure_id}: {e.kind} {label} [{plain(e.source)}]"
                         f" {e.at.date().isoformat()}" + (f" <{plain(e.url)}>" if e.url else ""))
    lines += ["", f"Source health changes ({len(d.source_changes)})"]
    for s in d.source_changes:
        reason = f": {plain(s.reason)}" if s.reason else ""
        lines.append(f"  {s.source}: {_status(s.before)} -> {s.after} ({s.at.date().isoformat()}, run {s.run_id})"
                     f"{reason}")
    return "\n".join(lines) + "\n"


def render_markdown(d: Diff) -> str:
    lines = [f"# {md_escape(_when(d))}", ""]
    lines += [f"- note: {md_escape(plain(n))}" for n in d.notes]
    lines += ["", f"## Status transitions ({len(d.transitions)})", ""]
    if d.transitions:
        lines += ["| Member State | Measure | Obligation | From | To | When | Reason | Evidence |",
                  "|---|---|---|---|---|---|---|---|"]
        for t in d.transitions:
            evidence = ", ".join(md_link(f"{e.source}: {e.reference or e.title or e.kind}", e.url)
                                 for e in t.evidence)
            lines.append("| " + " | ".join([
                t.member_state, md_escape(f"{t.measure_id}: {plain(t.measure_title)}"),
                md_escape(t.obligation_id or "-"), _status(t.before), _status(t.after),
                f"{t.at.date().isoformat()} (run {t.to_run})", md_escape(plain(t.reason)), evidence or "-",
            ]) + " |")
    for title, items in (("New evidence", d.evidence_new), ("Withdrawn evidence", d.evidence_withdrawn)):
        lines += ["", f"## {title} ({len(items)})", ""]
        if items:
            lines += ["| Member State | Measure | Kind | Item | Source | When |", "|---|---|---|---|---|---|"]
            lines += ["| " + " | ".join([
                e.member_state or "-", md_escape(e.measure_id), md_escape(e.kind),
                md_link(e.reference or e.title or e.kind, e.url), md_escape(e.source), e.at.date().isoformat(),
            ]) + " |" for e in items]
    lines += ["", f"## Source health changes ({len(d.source_changes)})", ""]
    lines += [f"- {md_escape(s.source)}: {_status(s.before)} -> {s.after} ({s.at.date().isoformat()}, "
              f"run {s.run_id})" + (f": {md_escape(plain(s.reason))}" if s.reason else "")
              for s in d.source_changes]
    return "\n".join(lines) + "\n"


def render_diff(d: Diff, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(d.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return render_markdown(d)
    return render_text(d)
