"""Atom feeds (RFC 4287) of what changed, for all Member States or one: status transitions, new
and withdrawn evidence, pending withdrawals (evidence not listed since a date, which still counts
until its absence is confirmed) and new infringement steps, derived from the store by history.diff.

Every entry has an id that depends only on what it reports (the Member State, obligation and
the two runs of a transition; the finding and the moment it appeared, was withdrawn or was first
not listed), as a
`urn:uuid:` name-based UUID (RFC 4122 version 5), so a feed reader shows each change once, however
often the feed is rewritten and whatever window it covers. Text that came from outside is reduced
to one line of plain text with only the characters XML 1.0 allows; links are http(s) only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from ..catalogue import memberstates
from ..store.history import Diff, EvidenceChange, Transition, diff

if TYPE_CHECKING:
    from ..catalogue.load import Catalogue
    from ..config.settings import Settings
    from ..store.engine import Store

ATOM = "http://www.w3.org/2005/Atom"
NAMESPACE = uuid.UUID("9f3c6a52-8d1e-5b7a-9c0e-2f4d6b8a1c3e")  # this tool's namespace for entry ids
CATEGORY_SCHEME = "urn:compliance:change"
MEMBER_STATE_SCHEME = "urn:compliance:member-state"
DEFAULT_SINCE = "90d"


def stable_id(*parts: object) -> str:
    return "urn:uuid:" + str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # transition | new-evidence | withdrawn-evidence | pending-withdrawal | infringement-step
    member_state: str | None
    title: str
    summary: str
    updated: datetime
    links: tuple[str, ...] = ()  # http(s) URLs of the evidence; the first is the entry's link


@dataclass
class Feed:
    id: str
    title: str
    updated: datetime
    entries: list[Entry] = field(default_factory=list)
    self_url: str | None = None
    notes: list[str] = field(default_factory=list)


def _links(urls: list[str | None]) -> tuple[str, ...]:
    from ..render.neutralise import safe_url

    seen: list[str] = []
    for url in urls:
        link = safe_url(url)
        if link and link not in seen:
            seen.append(link)
    return tuple(seen)


def _obligation(t: Transition) -> str:
    return f"{t.measure_id} / {t.obligation_id}" if t.obligation_id else t.measure_id


def transition_entry(t: Transition) -> Entry:
    before, after = t.before or "(not assessed)", t.after or "(no longer assessed)"
    deadline = f"; deadline {t.deadline.isoformat()}" if t.deadline else ""
    evidence = "; ".join(f"{e.source}: {e.reference or e.title or e.kind}" for e in t.evidence)
    return Entry(
        id=stable_id("transition", t.member_state, t.measure_id, t.obligation_id or "", t.from_run, t.to_run),
        kind="transition", member_state=t.member_state,
        title=f"{t.member_state} {_obligation(t)}: {before} -> {after}",
        summary=f"{t.measure_title}{deadline}. {t.rule}: {t.reason}" + (f" Evidence: {evidence}" if evidence else ""),
        updated=t.at, links=_links([e.url for e in t.evidence]),
    )


def evidence_entry(e: EvidenceChange) -> Entry:
    step = e.change == "new" and e.kind == "infringement"
    kind = "infringement-step" if step else f"{e.change}-evidence"
    what = e.reference or e.title or e.kind
    where = e.member_state or "EU"
    if step:
        title = f"{where} {e.measure_id}: infringement step {what}"
    else:
        title = f"{where} {e.measure_id}: {e.change} evidence {what}"
    details = [f"{e.kind} from {e.source}"]
    if e.title and e.title != what:
        details.append(e.title)
    if e.date:
        details.append(f"dated {e.date.isoformat()}")
    if e.sha256:
        details.append(f"body sha256 {e.sha256}")
    return Entry(id=stable_id(kind, e.finding_id, e.at.isoformat()), kind=kind, member_state=e.member_state,
                 title=title, summary="; ".join(details), updated=e.at, links=_links([e.url]))


def pending_entry(e: EvidenceChange) -> Entry:
    """Evidence a healthy search no longer lists: not withdrawn, and the status it supports stands
    until its absence is confirmed (findings_writer.absences); its own kind, never `withdrawn`."""
    what = e.reference or e.title or e.kind
    where = e.member_state or "EU"
    details = [f"{e.kind} from {e.source}, not listed by it since {e.at.date().isoformat()}",
               "withdrawal pending: it still counts until its absence is confirmed"]
    if e.title and e.title != what:
        details.append(e.title)
    if e.date:
        details.append(f"dated {e.date.isoformat()}")
    return Entry(id=stable_id("pending-withdrawal", e.finding_id, e.at.isoformat()), kind="pending-withdrawal",
                 member_state=e.member_state,
                 title=f"{where} {e.measure_id}: withdrawal pending, {what} not listed since {e.at.date().isoformat()}",
                 summary="; ".join(details), updated=e.at, links=_links([e.url]))


def entries_of(d: Diff) -> list[Entry]:
    """Every change of the diff as an entry, newest first."""
    items = [transition_entry(t) for t in d.transitions]
    items += [evidence_entry(e) for e in (*d.evidence_new, *d.evidence_withdrawn)]
    items += [pending_entry(e) for e in d.evidence_pending]
    return sorted(items, key=lambda e: (e.updated, e.id), reverse=True)


def scope_title(member_state: str | None) -> str:
    if member_state is None:
        return "all Member States"
    if member_state == memberstates.EU:
        return "the Commission (EU-level deliverables)"
    ms = memberstates.lookup(member_state)
    return f"{ms.name} ({member_state})" if ms else member_state


def build_feed(store: Store, catalogue: Catalogue, *, since: datetime, until: datetime,
               member_state: str | None = None, self_url: str | None = None) -> Feed:
    """The changes in (since, until] for one Member State, or for all (None)."""
    d = diff(store, catalogue, since=since, until=until,
             member_states=[member_state] if member_state else None)
    items = entries_of(d)
    return Feed(id=stable_id("feed", member_state or "all"), title=f"compliance: changes, {scope_title(member_state)}",
                updated=items[0].updated if items else until, entries=items, self_url=self_url, notes=d.notes)


def _text(value: object) -> str:
    from ..render.neutralise import plain, xml_text

    return xml_text(plain(value))


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def render_atom(feed: Feed) -> bytes:
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            node.text = text
        return node

    root = ET.Element(f"{{{ATOM}}}feed")
    sub(root, "id", feed.id)
    sub(root, "title", _text(feed.title))
    sub(root, "updated", _iso(feed.updated))
    author = sub(root, "author")
    sub(author, "name", "compliance")
    from .. import __version__

    sub(root, "generator", "compliance", version=__version__)
    if feed.self_url:
        sub(root, "link", rel="self", href=feed.self_url, type="application/atom+xml")
    if feed.notes:
        sub(root, "subtitle", _text("; ".join(feed.notes)))
    for e in feed.entries:
        entry = sub(root, "entry")
        sub(entry, "id", e.id)
        sub(entry, "title", _text(e.title), type="text")
        sub(entry, "updated", _iso(e.updated))
        sub(entry, "category", term=e.kind, scheme=CATEGORY_SCHEME)
        if e.member_state:
            sub(entry, "category", term=e.member_state, scheme=MEMBER_STATE_SCHEME)
        for i, url in enumerate(e.links):
            sub(entry, "link", rel="alternate" if i == 0 else "related", href=url)
        sub(entry, "summary", _text(e.summary), type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


# -- written by the scheduler ---------------------------------------------------------------------------


def feed_dir(settings: Settings) -> Path:
    configured = settings.file.feed.dir
    return Path(configured) if configured else settings.state_dir / "feeds"


def feed_targets(settings: Settings) -> list[str | None]:
    """None (the feed of all), then each Member State of [feed] member_states."""
    wanted = settings.file.feed.member_states
    return [None, *(memberstates.parse_targets(wanted) if wanted else [])]


def write_feeds(settings: Settings, catalogue: Catalogue, store: Store, now: datetime | None = None) -> list[Path]:
    """Write all.atom and one <CC>.atom per [feed] member_states into [feed] dir (atomically)."""
    from ..clock import utcnow
    from ..output_file import write_output
    from ..store.history import parse_since

    now = now or utcnow()
    section = settings.file.feed
    since = parse_since(section.since, now)
    target_dir = feed_dir(settings)
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for code in feed_targets(settings):
        name = f"{code or 'all'}.atom"
        self_url = section.base_url.rstrip("/") + "/" + name if section.base_url else None
        body = render_atom(build_feed(store, catalogue, since=since, until=now, member_state=code, self_url=self_url))
        path = target_dir / name
        write_output(str(path), lambda handle, data=body: handle.write(data))
        written.append(path)
    return written
