"""Pure parsing for the European Parliament source: OEIL procedure files.

Nothing here touches the network or the store. Bad input raises `ParseError` (one line); a body
that is a bot challenge raises `BlockedError`, so that a blocked source can never look like
"no proposal".

References (../shared/reference/sources.md, section 4, and the real pages in
../shared/samples/oeil/):

* OEIL procedure file (`/oeil/en/procedure-file?reference=2024/0258(COD)`), HTML only. The
  reference is in `h2.es_title-h1`, the title in the first `h2.es_title-h2` outside the
  sections; every section is a `div.oeil-spy-section` whose `h2` names it ("Basic information",
  "Key players", "Key events", "Technical information", "Documentation gateway", "Final act").
  "Key events" is a table Date | Event | Reference | Summary with dates as DD/MM/YYYY and event
  labels such as "Legislative proposal published", "Act adopted by Council after Parliament's
  1st reading", "Final act signed", "Final act published in Official Journal". The
  "Documentation gateway" has one accordion per institution
  (`#es_accordion-item-doc-gateway-EC` for the Commission, -EP, -CSL, -NP), rows
  Document type | Reference | Date | Summary. "Final act" links to EUR-Lex
  (`sga_doc?…CELEXnumdoc…&numdoc=32025R0535`, text "Regulation 2025/0535") and to the OJ.
  A soft 404 says "This procedure or document does not exist!". The markup changes often
  (parltrack/parltrack#64, #67, #68): a page without the sections is refused, never read as
  "no events".

The EP Open Data Portal's JSON-LD procedures are read in oeil_odp.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import BlockedError, ParseError
from .gazettes._payloads import decode
from .gazettes._support import one_line

# 2021/0411(COD): year / number (type). The ODP id of the same procedure is 2021-0411.
PROCEDURE_RE = re.compile(r"^([0-9]{4})/([0-9]{4})\(([A-Z]{3})\)$")
# COM(2021)0782 (OEIL), COM(2021) 782 (the catalogue), COM/2021/782 (EUR-Lex).
_COM_RE = re.compile(r"COM\s*[(/]\s*([0-9]{4})\s*[)/]\s*0*([0-9]{1,4})(?![0-9])", re.I)
_DMY_RE = re.compile(r"^\s*([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})\s*$")
# The CELEX of an EU act (sector 3) in an EUR-Lex link: numdoc=32025R0535, CELEX:32023L0977, CELEX%3A…
_CELEX_LINK_RE = re.compile(r"(?:numdoc=|CELEX(?::|%3A))\s*(3[0-9]{4}[A-Z][0-9]{4})", re.I)
_OJ_DATE_LINK_RE = re.compile(r"ojDate=([0-9]{2})([0-9]{2})([0-9]{4})")

SOFT_404 = "This procedure or document does not exist!"
# AWS WAF (europarl.europa.eu, as for EUR-Lex: sources.md 1.9) and Cloudflare challenge markers.
_CHALLENGE_MARKERS = (
    "awsWafCookieDomainList", "gokuProps", "AwsWafIntegration", "challenge-container", "challenge.js",
    "cf-browser-verification", "cf_chl_opt", "/cdn-cgi/challenge-platform/", "cf-chl-",
    "<title>Just a moment...</title>", "Attention Required! | Cloudflare",
)

# Key-event labels read as milestones (exact labels of the real pages in ../shared/samples/oeil).
PROPOSAL_EVENTS = ("Legislative proposal published",)
# In a non-legislative (NLE) procedure the "Legislative proposal published" event is the Council's
# document; the Commission's COM proposal comes as a "Preparatory document" event of its own date.
PREPARATORY_EVENTS = ("Preparatory document",)
SIGNED_EVENTS = ("Final act signed",)
COUNCIL_ADOPTION_RE = re.compile(r"^Act adopted by Council\b", re.I)
OJ_EVENTS = ("Final act published in Official Journal",)
# Commission documents in the "Documentation gateway" that are the proposal itself.
PROPOSAL_DOCUMENTS = ("Legislative proposal",)

REQUIRED_SECTIONS = ("Key events", "Technical information")


# --- small helpers ---------------------------------------------------------------------------


def clean(text: str | None) -> str:
    """Collapse whitespace (the pages use NBSP inside titles: "EP&nbsp;Rules of Procedure")."""
    return " ".join((text or "").split())


def challenge(text: str) -> str | None:
    """The marker of a bot challenge page found in `text`, or None."""
    head = text[:200_000]
    return next((m for m in _CHALLENGE_MARKERS if m in head), None)


def check_challenge(text: str, what: str) -> None:
    marker = challenge(text)
    if marker is not None:
        raise BlockedError(f"{what}: a bot challenge page ({marker!r}) instead of data")


def parse_dmy(value: str | None) -> date | None:
    """DD/MM/YYYY as OEIL writes dates; None when it is not a real date."""
    match = _DMY_RE.match(value or "")
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def check_procedure(reference: str) -> str:
    """`reference` if it is a procedure reference like 2021/0411(COD); ValueError otherwise."""
    if not isinstance(reference, str) or not PROCEDURE_RE.match(reference.strip()):
        raise ValueError(f"not a procedure reference (YYYY/NNNN(TYP)): {reference!r}")
    return reference.strip()


def odp_id(reference: str) -> str:
    """The EP Open Data id of a procedure: 2021/0411(COD) -> 2021-0411."""
    year, number, _ = PROCEDURE_RE.match(check_procedure(reference)).groups()  # type: ignore[union-attr]
    return f"{year}-{number}"


def com_numbers(text: str | None) -> list[str]:
    """Every COM number in `text`, normalised to the catalogue's form "COM(2021) 782"."""
    out: list[str] = []
    for year, number in _COM_RE.findall(text or ""):
        norm = f"COM({year}) {int(number)}"
        if norm not in out:
            out.append(norm)
    return out


# --- the OEIL procedure file -----------------------------------------------------------------


@dataclass
class KeyEvent:
    date: date | None
    date_raw: str
    event: str
    references: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat() if self.date else None, "date_raw": self.date_raw,
                "event": self.event, "references": self.references}


@dataclass
class GatewayDocument:
    institution: str  # EC, EP, CSL, NP … (the accordion id suffix)
    type: str
    references: list[str]
    date: date | None

    def as_dict(self) -> dict[str, Any]:
        return {"institution": self.institution, "type": self.type, "references": self.references,
                "date": self.date.isoformat() if self.date else None}


@dataclass
class FinalAct:
    title: str | None
    celex: str | None
    url: str | None
    oj: str | None
    oj_date: date | None

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "celex": self.celex, "url": self.url, "oj": self.oj,
                "oj_date": self.oj_date.isoformat() if self.oj_date else None}


@dataclass
class Milestones:
    """The dates that matter to the rules, read from the key events and the gateway."""

    proposal_date: date | None = None
    proposal_com: list[str] = field(default_factory=list)
    proposal_sources: list[str] = field(default_factory=list)  # which rows gave the dates
    adoption_date: date | None = None
    adoption_event: str | None = None
    signature_date: date | None = None
    council_adoption_date: date | None = None
    oj_date: date | None = None
    final_act: FinalAct | None = None


@dataclass
class OeilProcedure:
    reference: str
    title: str
    sections: list[str]
    technical: dict[str, str]
    events: list[KeyEvent]
    documents: list[GatewayDocument]
    final_acts: list[FinalAct]
    notes: list[str] = field(default_factory=list)

    @property
    def procedure_type(self) -> str | None:
        return self.technical.get("Procedure type")

    @property
    def stage(self) -> str | None:
        return self.technical.get("Stage reached in procedure")

    @property
    def instrument(self) -> str | None:
        return self.technical.get("Legislative instrument")

    def com_references(self) -> list[str]:
        """Every COM number named in the key events and the Commission's gateway documents."""
        out: list[str] = []
        texts = [r for e in self.events for r in e.references]
        texts += [r for d in self.documents if d.institution == "EC" for r in d.references]
        for text in texts:
            for com in com_numbers(text):
                if com not in out:
                    out.append(com)
        return out

    def milestones(self) -> Milestones:
        """Proposal: the earliest date of the Commission's COM proposal, from the "Legislative
        proposal published" event, a "Preparatory document" event naming a COM document, and the
        Commission's "Legislative proposal" document (the COM document's own date can be a day
        before the event). A "Legislative proposal published" event that names other documents
        only (in an NLE procedure: the Council's) is not the Commission's proposal: its date is
        used only when nothing dates a COM document, and the sources say so. Adoption: "Final act
        signed", else "Act adopted by Council…" (acts adopted by the Council alone are not signed
        by two presidents)."""
        m = Milestones()
        candidates: list[tuple[date, str]] = []
        other: list[tuple[date, str]] = []  # proposal events that name no COM document
        for e in self.events:
            coms = [c for r in e.references for c in com_numbers(r)]
            if e.event in PROPOSAL_EVENTS or (e.event in PREPARATORY_EVENTS and coms):
                m.proposal_com += [c for c in coms if c not in m.proposal_com]
                if e.date and (coms or not e.references):
                    candidates.append((e.date, f"key event {e.event!r}"))
                elif e.date:
                    named = ", ".join(e.references[:3])
                    other.append((e.date, f"key event {e.event!r} naming {named}, not a COM document"))
        for d in self.documents:
            if d.institution == "EC" and d.type in PROPOSAL_DOCUMENTS:
                m.proposal_com += [c for r in d.references for c in com_numbers(r) if c not in m.proposal_com]
                if d.date:
                    candidates.append((d.date, f"Commission document {d.type!r}"))
        dated = candidates or other
        if dated:
            m.proposal_date = min(c[0] for c in dated)
            m.proposal_sources = [f"{label}: {when.isoformat()}" for when, label in sorted(candidates + other)]
            if candidates and other:
                m.proposal_sources.append("the earliest date of a COM document is the proposal's")
        for e in self.events:
            if e.date is None:
                continue
            if e.event in SIGNED_EVENTS and (m.signature_date is None or e.date < m.signature_date):
                m.signature_date = e.date
            elif COUNCIL_ADOPTION_RE.match(e.event) and (
                m.council_adoption_date is None or e.date < m.council_adoption_date
            ):
                m.council_adoption_date = e.date
            elif e.event in OJ_EVENTS and (m.oj_date is None or e.date < m.oj_date):
                m.oj_date = e.date
        if m.signature_date:
            m.adoption_date, m.adoption_event = m.signature_date, SIGNED_EVENTS[0]
        elif m.council_adoption_date:
            m.adoption_date = m.council_adoption_date
            m.adoption_event = next(e.event for e in self.events
                                    if e.date == m.council_adoption_date and COUNCIL_ADOPTION_RE.match(e.event))
        with_celex = [a for a in self.final_acts if a.celex]
        m.final_act = (with_celex or self.final_acts or [None])[0]
        if m.oj_date is None and m.final_act is not None:
            m.oj_date = m.final_act.oj_date
        return m

    def summary(self) -> dict[str, Any]:
        """Every parsed field, JSON-able (kept in the findings' data)."""
        return {
            "procedure": self.reference,
            "title": self.title,
            "procedure_type": self.procedure_type,
            "instrument": self.instrument,
            "stage": self.stage,
            "technical": dict(self.technical),
            "key_events": [e.as_dict() for e in self.events],
            "commission_documents": [d.as_dict() for d in self.documents if d.institution == "EC"],
            "final_acts": [a.as_dict() for a in self.final_acts],
            "sections": list(self.sections),
            "notes": list(self.notes),
        }


def looks_like_oeil(text: str) -> bool:
    return "es_title-h1" in text or "oeil-spy-section" in text or "Legislative Observatory" in text


def parse_procedure_html(body: bytes, expected: str | None = None) -> OeilProcedure:
    """One OEIL procedure file; `expected` is the reference asked for (checked against the page)."""
    from bs4 import BeautifulSoup

    what = f"OEIL procedure file {expected}" if expected else "OEIL procedure file"
    text = decode(body, what)
    check_challenge(text, what)
    if SOFT_404 in text:
        raise ParseError(f"{what}: OEIL says {SOFT_404!r} (soft 404): check the procedure reference")
    if not text.strip():
        raise ParseError(f"{what}: empty body")
    if not looks_like_oeil(text):
        raise ParseError(f"{what}: not an OEIL procedure-file page (no es_title-h1, no sections)")
    # lxml's HTML parser: no DTD, no entity expansion, no network.
    soup = BeautifulSoup(text, "lxml")
    heading = soup.select_one("h2.es_title-h1")
    reference = clean(heading.get_text(" ")) if heading else ""
    if not PROCEDURE_RE.match(reference):
        raise ParseError(f"{what}: no procedure reference in h2.es_title-h1 (found {one_line(reference)!r})")
    if expected and reference != expected:
        raise ParseError(f"{what}: the page is for procedure {reference}, not {expected}")
    title = next(
        (clean(h.get_text(" ")) for h in soup.select("h2.es_title-h2")
         if h.find_parent("div", class_="oeil-spy-section") is None),
        "",
    )
    sections: dict[str, Any] = {}
    for div in soup.select("div.oeil-spy-section"):
        h2 = div.find("h2")
        name = clean(h2.get_text(" ")) if h2 else ""
        if name and name not in sections:
            sections[name] = div
    missing = [s for s in REQUIRED_SECTIONS if s not in sections]
    if missing:
        raise ParseError(
            f"{what}: section(s) {', '.join(missing)} not found (found: {', '.join(sections) or 'none'}); "
            "the OEIL markup may have changed"
        )
    notes: list[str] = []
    events = _key_events(sections["Key events"], notes)
    technical = _technical(sections["Technical information"])
    documents = _gateway(sections.get("Documentation gateway"), notes)
    final_acts = _final_acts(sections.get("Final act"), notes)
    if technical.get("Procedure reference") and technical["Procedure reference"] != reference:
        raise ParseError(
            f"{what}: the heading says {reference} but Technical information says "
            f"{technical['Procedure reference']}"
        )
    return OeilProcedure(
        reference=reference, title=title, sections=list(sections), technical=technical, events=events,
        documents=documents, final_acts=final_acts, notes=notes,
    )


def _cells(row: Any) -> list[Any]:
    return row.find_all(["td", "th"], recursive=False)


def _refs(cell: Any) -> list[str]:
    """The references written in a cell: link and span texts (the EUR-Lex flag links are empty)."""
    out: list[str] = []
    for node in cell.find_all(["a", "span"]):
        value = clean(node.get_text(" "))
        if value and value not in out and node.find(["a", "span"]) is None:
            out.append(value)
    if not out:
        value = clean(cell.get_text(" "))
        if value:
            out.append(value)
    return out


def _key_events(section: Any, notes: list[str]) -> list[KeyEvent]:
    table = section.find("table")
    if table is None:
        raise ParseError("OEIL procedure file: the Key events section has no table")
    header = [clean(th.get_text(" ")) for th in table.select("thead th")]
    if header and header[:2] != ["Date", "Event"]:
        raise ParseError(f"OEIL procedure file: Key events columns are {header}, expected Date, Event, …")
    events: list[KeyEvent] = []
    body = table.find("tbody") or table
    for row in body.find_all("tr"):
        cells = row.find_all("td")
        if not cells:
            continue
        if len(cells) < 2:
            notes.append(f"key event row with {len(cells)} cell(s) skipped")
            continue
        raw = clean(cells[0].get_text(" "))
        when = parse_dmy(raw)
        event = clean(cells[1].get_text(" "))
        if when is None:
            notes.append(f"key event {event!r}: date {raw!r} is not a date")
        events.append(KeyEvent(date=when, date_raw=raw, event=event,
                               references=_refs(cells[2]) if len(cells) > 2 else []))
    return events


def _technical(section: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in section.find_all("tr"):
        th, td = row.find("th"), row.find("td")
        if th is None or td is None:
            continue
        key = clean(th.get_text(" "))
        value = "; ".join(clean(s.get_text(" ")) for s in td.find_all("span") if clean(s.get_text(" ")))
        out[key] = value or clean(td.get_text(" "))
    return out


def _gateway(section: Any, notes: list[str]) -> list[GatewayDocument]:
    if section is None:
        return []
    docs: list[GatewayDocument] = []
    for block in section.select("div[id^=es_accordion-item-doc-gateway-]"):
        institution = block["id"].rsplit("-", 1)[-1]
        for row in block.select("tbody tr"):
            th = row.find("th")
            cells = row.find_all("td")
            if th is None or not cells:
                continue
            dated = [(i, parse_dmy(clean(c.get_text(" ")))) for i, c in enumerate(cells)]
            date_at = next((i for i, d in dated if d is not None), None)
            refs: list[str] = []
            for cell in cells[: date_at if date_at is not None else len(cells)]:
                refs += [r for r in _refs(cell) if r not in refs]
            doc_type = clean(th.get_text(" "))
            if date_at is None:
                notes.append(f"{institution} document {doc_type!r} {', '.join(refs)}: no date")
            docs.append(GatewayDocument(institution=institution, type=doc_type, references=refs,
                                        date=dated[date_at][1] if date_at is not None else None))
    return docs


def _final_acts(section: Any, notes: list[str]) -> list[FinalAct]:
    if section is None:
        return []
    acts: list[FinalAct] = []
    for item in section.select("div.es_links-list li") or section.select("li"):
        links = item.find_all("a", href=True)
        act_link = next((a for a in links if _CELEX_LINK_RE.search(a["href"])), None)
        oj_link = next((a for a in links if "/oj/" in a["href"] or "ojDate=" in a["href"]), None)
        if act_link is None and oj_link is None:
            continue
        celex = _CELEX_LINK_RE.search(act_link["href"]).group(1).upper() if act_link else None  # type: ignore[union-attr]
        oj_date = None
        if oj_link is not None:
            m = _OJ_DATE_LINK_RE.search(oj_link["href"])
            if m:
                oj_date = parse_dmy(f"{m.group(1)}/{m.group(2)}/{m.group(3)}")
        title = clean(act_link.get_text(" ")) if act_link else None
        if act_link is None:
            notes.append("final act listed without a EUR-Lex CELEX link")
        acts.append(FinalAct(title=title or None, celex=celex, url=act_link["href"] if act_link else None,
                             oj=clean(oj_link.get_text(" ")) if oj_link else None, oj_date=oj_date))
    return acts
