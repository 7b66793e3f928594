"""iCalendar (RFC 5545) feed of the deadlines, written with the `icalendar` library.

One all-day event per dated obligation and Member State (not-applicable assessments are left
out: a Member State that is not bound has no deadline). The UID is built from the measure,
obligation and Member State only, so a calendar app that re-subscribes updates the same event
instead of adding a copy; status and reason change, the UID does not. The library does the
escaping of , ; \\ and newlines and the folding of long lines at 75 octets; text from outside
goes through render/neutralise (ics_text, safe_url) first, and a value the library still
refuses costs that one property of that one event, never the feed (`_add`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from ..model import Assessment, Status
from ..report.assembly import Report, rule_title
from .neutralise import ics_text, plain, safe_url

log = logging.getLogger(__name__)

PRODID = "-//compliance//EU OC and THB strategy deadlines//EN"
UID_DOMAIN = "deadlines.compliance.invalid"  # RFC 6761 reserved: never a real host


def uid(a: Assessment, member_state: str) -> str:
    obligation = a.obligation.id if a.obligation else "none"
    return f"{a.measure.id}.{obligation}.{member_state.lower()}@{UID_DOMAIN}"


def _description(a: Assessment, report: Report) -> str:
    """One line per fact; each value is made one line (plain), so none can add a line of its own."""
    lines = [
        f"Measure: {plain(a.measure.title)}" + (f" (CELEX {plain(a.measure.celex)})" if a.measure.celex else ""),
        f"Member State: {plain(report.name)} ({report.member_state})",
    ]
    if a.obligation:
        deadline = a.deadline.isoformat() if a.deadline else "-"
        lines.append(f"Obligation: {plain(a.obligation.label)}, deadline {deadline}"
                     + ("" if a.obligation.verified else " (deadline unverified)"))
    lines.append(f"Status as of {report.as_of.isoformat()}: {a.status.value}"
                 + ("" if a.verified else " (unverified)"))
    lines.append(f"Rule: {a.rule} {rule_title(a.rule)}")
    lines.append(f"Reason: {plain(a.reason)}")
    lines.extend(f"Note: {plain(n)}" for n in a.notes)
    if a.waiver:
        lines.append(f"Waiver: {plain(a.waiver)}")
    if a.evidence:
        lines.append("Evidence:")
        for e in a.evidence:
            what = plain(e.reference or e.title or e.kind)
            when = e.retrieved_at.isoformat(timespec="seconds") if e.retrieved_at else (
                f"curated, recorded {e.recorded.isoformat()}" if e.recorded else "")
            link = safe_url(e.url)
            lines.append(f"- {plain(e.source)}: {what}" + (f" <{link}>" if link else "")
                         + (f" ({when})" if when else "") + (f" sha256 {plain(e.sha256)}" if e.sha256 else ""))
    else:
        lines.append("Evidence: none collected")
    lines.append(f"compliance {report.tool_version}, catalogue {plain(report.catalogue_version)}")
    return "\n".join(lines)


def _add(component: Any, name: str, value: Any) -> None:
    """Add one property; a value the library refuses (ValueError, TypeError) is left out."""
    if isinstance(value, str):
        value = ics_text(value)
    elif isinstance(value, list):
        value = [ics_text(v) if isinstance(v, str) else v for v in value]
    try:
        component.add(name, value)
    except (ValueError, TypeError) as exc:
        log.warning("calendar: %s left out of one event: %s", name, type(exc).__name__)


def render(reports: list[Report], *, now: datetime) -> bytes:
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "EU OC/THB strategy deadlines")
    for report in reports:
        for a in report.assessments:
            if a.deadline is None or a.obligation is None or a.status is Status.NOT_APPLICABLE:
                continue
            event = Event()
            event.add("uid", uid(a, report.member_state))
            event.add("dtstamp", now)
            event.add("dtstart", a.deadline)  # a date: an all-day event (VALUE=DATE)
            event.add("dtend", a.deadline + timedelta(days=1))
            _add(event, "summary", f"{a.measure.id} ({a.obligation.id}): {report.name} ({report.member_state})"
                 f" [{a.status.value}]")
            _add(event, "description", _description(a, report))
            _add(event, "categories", [a.status.value, a.rule])
            event.add("transp", "TRANSPARENT")
            link = next((safe_url(e.url) for e in a.evidence if safe_url(e.url)), None)
            if link:
                _add(event, "url", link)
            cal.add_component(event)
    return cal.to_ical()
