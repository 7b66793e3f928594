"""Pure parsing for the European Parliament source: a procedure from the EP Open Data Portal.

EP Open Data Portal API v2 (`/api/v2/procedures/2025-0260?format=application/ld+json`):
JSON-LD with `data` (a list) and `@context`; `data[0]` has `id` (`eli/dl/proc/2025-0260`),
`label` (`2025/0260(COD)`), `process_type` (`def/ep-procedure-types/COD`), `current_stage`,
`process_title` (a language map), `consists_of` (events: `activity_date`,
`had_activity_type` such as `def/ep-activities/COMMITTEE_ADOPTING_REPORT`, `activity_id`,
`based_on_a_realization_of`, …), `identifierYear`. It carries the Parliament's events, not
the Commission's proposal nor the signature of the final act (the samples have neither), so
its events are never read as proposal or adoption dates.

Nothing here touches the network or the store; bad input raises `ParseError`, a bot challenge
`BlockedError` (as in oeil_parse.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import BlockedError, ParseError
from .gazettes._payloads import decode
from .gazettes._support import one_line
from .oeil_parse import PROCEDURE_RE, check_challenge, clean


@dataclass
class OdpEvent:
    id: str | None
    date: date | None
    type: str | None  # the last part of had_activity_type: COMMITTEE_ADOPTING_REPORT …
    documents: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "date": self.date.isoformat() if self.date else None, "type": self.type,
                "documents": self.documents}


@dataclass
class OdpProcedure:
    id: str
    reference: str  # `label`: 2025/0260(COD)
    process_type: str | None
    current_stage: str | None
    title: str | None  # English title, else None
    titles: dict[str, str]
    events: list[OdpEvent]
    year: str | None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        dates = [e.date for e in self.events if e.date]
        return {
            "id": self.id, "label": self.reference, "process_type": self.process_type,
            "current_stage": self.current_stage, "title_en": self.title, "events": len(self.events),
            "latest_event": max(dates).isoformat() if dates else None, "identifierYear": self.year,
            "notes": list(self.notes),
        }


def _tail(value: Any) -> str | None:
    return value.rstrip("/").rsplit("/", 1)[-1] if isinstance(value, str) and value.strip() else None


def _iso(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def parse_odp_procedure(body: bytes, expected: str | None = None) -> OdpProcedure:
    """The procedure in an EP Open Data v2 `/procedures/{id}` JSON-LD answer."""
    what = f"EP Open Data procedure {expected}" if expected else "EP Open Data procedure"
    text = decode(body, what)
    head = text.lstrip()
    if not head:
        raise ParseError(f"{what}: empty body (no such procedure?)")
    if not head.startswith(("{", "[")):
        check_challenge(text, what)
        if head.startswith("<"):
            raise BlockedError(f"{what}: an HTML page instead of JSON-LD (blocked or redirected?)")
        raise ParseError(f"{what}: not JSON")
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise ParseError(f"{what}: not JSON ({msg})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise ParseError(f"{what}: no 'data' list (not an EP Open Data v2 answer)")
    items = [d for d in doc["data"] if isinstance(d, dict)]
    if not items:
        raise ParseError(f"{what}: 'data' holds no procedure")
    proc = items[0]
    notes: list[str] = []
    if len(items) > 1:
        notes.append(f"'data' holds {len(items)} items; the first was read")
    label = proc.get("label")
    if not isinstance(label, str) or not PROCEDURE_RE.match(label.strip()):
        raise ParseError(f"{what}: 'label' is {one_line(repr(label), 60)}, not a procedure reference")
    label = label.strip()
    if expected and label != expected:
        raise ParseError(f"{what}: the answer is for procedure {label}, not {expected}")
    titles_raw = proc.get("process_title")
    titles = {str(k): clean(v) for k, v in titles_raw.items() if isinstance(v, str)} \
        if isinstance(titles_raw, dict) else {}
    events: list[OdpEvent] = []
    raw_events = proc.get("consists_of")
    for raw in raw_events if isinstance(raw_events, list) else []:
        if not isinstance(raw, dict):
            continue
        docs = [d for key in ("based_on_a_realization_of", "decided_on_a_realization_of",
                              "recorded_in_a_realization_of")
                for d in (raw.get(key) if isinstance(raw.get(key), list) else []) if isinstance(d, str)]
        when = _iso(raw.get("activity_date"))
        if raw.get("activity_date") is not None and when is None:
            notes.append(f"event {raw.get('id')!r}: activity_date {raw.get('activity_date')!r} is not a date")
        events.append(OdpEvent(id=raw.get("id") if isinstance(raw.get("id"), str) else None, date=when,
                               type=_tail(raw.get("had_activity_type")), documents=docs))
    ident = proc.get("id")
    return OdpProcedure(
        id=ident if isinstance(ident, str) else "",
        reference=label,
        process_type=_tail(proc.get("process_type")),
        current_stage=_tail(proc.get("current_stage")),
        title=titles.get("en") or None,
        titles=titles,
        events=events,
        year=str(proc["identifierYear"]) if isinstance(proc.get("identifierYear"), str | int) else None,
        notes=notes,
    )
