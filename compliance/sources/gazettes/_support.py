"""What the national gazette sources share: safe decoding, pacing, and turning an act into findings.

A gazette source reads national acts and the EU acts they name. How an act names an EU act is
the *basis* of a reference, and it decides what the finding is evidence of:

* strong bases (the publisher's own EU link): the RIS ``[CELEX-Nr.: …]`` marker (AT), the
  Riigi Teataja ``<normtehnmarkus>`` list (EE), the Sejm ELI ``directives[]`` field (PL),
  ``eli:transposes`` metadata, and a Danish EU note ("… indeholder bestemmelser, der
  gennemfører … direktiv …"). Such an act is a finding of kind ``national-measure``.
* a mere mention (the number in the body text, a full-text search hit without a marker): kind
  ``citation``. An act that *cites* a directive has not necessarily *transposed* it, and the
  rules count only ``national-measure`` as transposition, so a mention can never turn a
  Member State's status into "met". The finding is still stored, with its provenance, for an
  analyst to read.

Dates: a gazette publication (a law, an executive order, a BGBl item) has its own publication
date, which is the finding's date. A consolidated text (Danish LBK, Austrian BrKons, an
Estonian ``terviktekst`` that was amended, a Polish "tekst jednolity") lists the EU acts of the
law *as amended*, and does not say which amendment transposed which directive: its date would
be wrong either way (too early or too late), so it is left None ("timeliness not assessed")
and the known dates are kept in ``data``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from ...errors import ParseError
from ..base import FoundItem, SourceContext

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from ...http import FetchResult
    from ...model import Measure

STRONG_BASES = frozenset({"celex-marker", "normtehnmarkus", "directives-field", "eli-transposes", "eu-note"})
NATIONAL_MEASURE = "national-measure"
CITATION = "citation"

_ISO_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})(?:$|T|Z|[+-]\d{2}:?\d{2}|\s)")


class Pacer:
    """At most one call per `interval` seconds (module-level instances keep the pace across runs).

    `clock` and `sleep` are injectable so tests can check the waits without waiting.
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        now = self.clock()
        start = now if self._next is None else max(now, self._next)
        if start > now:
            self.sleep(start - now)
        self._next = start + self.interval


# --- decoding ------------------------------------------------------------------------------------


def decode(body: bytes, what: str) -> str:
    """UTF-8 text (a BOM is dropped); ParseError for anything else."""
    if not isinstance(body, bytes | bytearray):
        raise ParseError(f"{what}: expected bytes, got {type(body).__name__}")
    try:
        return bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def load_json(body: bytes, what: str) -> Any:
    text = decode(body, what)
    if not text.strip():
        raise ParseError(f"{what}: empty body")
    if text.lstrip().startswith("<"):
        raise ParseError(f"{what}: an HTML/XML page instead of JSON (blocked, redirected or an error page?)")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"{what}: not JSON ({str(exc).splitlines()[0][:120]})") from None


def parse_xml(body: bytes, what: str) -> Element:
    """Parse XML safely (defusedxml: no DTD, no entities, no network); ParseError on any problem."""
    from xml.etree.ElementTree import ParseError as XmlError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    if not isinstance(body, bytes | bytearray):
        raise ParseError(f"{what}: expected bytes, got {type(body).__name__}")
    if not bytes(body).strip():
        raise ParseError(f"{what}: empty body")
    try:
        return fromstring(bytes(body), forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ParseError(f"{what}: refused unsafe XML ({type(exc).__name__})") from None
    except (XmlError, ValueError, LookupError, RecursionError) as exc:
        raise ParseError(f"{what}: not well-formed XML ({str(exc).splitlines()[0][:120] if str(exc) else exc!r})") \
            from None


def local(tag: Any) -> str:
    """An element's tag without its namespace ('' for comments and processing instructions)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def text_of(elem: Element | None) -> str | None:
    """All text inside `elem`, whitespace collapsed, or None."""
    if elem is None:
        return None
    return clean(" ".join(elem.itertext()))


def clean(value: Any) -> str | None:
    """A string with runs of whitespace collapsed, or None for empty / non-strings."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def parse_date(value: Any) -> date | None:
    """The date of an ISO date or date-time ("2019-02-19+02:00", "2026-01-02T11:20:03"), else None."""
    if not isinstance(value, str):
        return None
    match = _ISO_DATE.match(value)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def as_list(value: Any) -> list[Any]:
    """RIS-style lists: one item arrives as an object, several as an array, none as null."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


# --- acts and findings ---------------------------------------------------------------------------


@dataclass
class NationalAct:
    """One national act as a gazette source parsed it, with the EU acts it names."""

    key: str  # stable national id: the ELI where there is one
    member_state: str
    title: str | None = None
    type: str | None = None
    url: str | None = None
    reference: str | None = None  # the gazette citation ("BGBl. I Nr. 120/2017", "Dz.U. 2025 poz. 1900")
    adopted: date | None = None
    published: date | None = None
    in_force: date | None = None
    consolidated: bool = False  # a consolidated text: its date is not the transposition date
    bases: dict[str, set[str]] = field(default_factory=dict)  # CELEX -> bases (see module doc)
    data: dict[str, Any] = field(default_factory=dict)  # every other parsed field, JSON-able

    def add(self, celex: str, basis: str) -> None:
        self.bases.setdefault(celex, set()).add(basis)

    def add_all(self, celexes: Iterable[str], basis: str) -> None:
        for celex in celexes:
            self.add(celex, basis)

    @property
    def references(self) -> list[str]:
        return sorted(self.bases)

    def strong(self, celex: str) -> bool:
        return bool(self.bases.get(celex, set()) & STRONG_BASES)

    def date(self) -> tuple[date | None, str]:
        """The date that counts for the rules, and what it is."""
        if self.consolidated:
            return None, "consolidated text: which amendment transposed the act is not stated"
        if self.published:
            return self.published, "publication"
        if self.adopted:
            return self.adopted, "adoption (no publication date given)"
        return None, "no date given"

    def describe(self) -> dict[str, Any]:
        """The JSON-able `data` of a finding about this act."""
        when, kind = self.date()
        out: dict[str, Any] = {
            "national_id": self.key,
            "type": self.type,
            "gazette_reference": self.reference,
            "dates": {
                "adoption": self.adopted.isoformat() if self.adopted else None,
                "publication": self.published.isoformat() if self.published else None,
                "entry_into_force": self.in_force.isoformat() if self.in_force else None,
            },
            "date_kind": kind,
            "consolidated": self.consolidated,
            "references": self.references,
            "reference_bases": {c: sorted(b) for c, b in sorted(self.bases.items())},
        }
        out.update(self.data)
        return out


def candidate_measures(ctx: SourceContext) -> dict[str, Measure]:
    """CELEX -> catalogued measure, limited to the measures selected (`--measure`)."""
    if ctx.measure_ids:
        return {m.celex: m for m in ctx.measures() if m.celex}
    return dict(ctx.catalogue.by_celex)


def wanted(ctx: SourceContext, member_state: str) -> bool:
    """Whether the run covers `member_state` (no selection: every state)."""
    return not ctx.member_states or member_state in ctx.member_states


def findings_for(act: NationalAct, ctx: SourceContext, fetch: FetchResult | None,
                 measures: dict[str, Measure] | None = None) -> list[FoundItem]:
    """One finding per (act, catalogued measure it names)."""
    by_celex = candidate_measures(ctx) if measures is None else measures
    when, _ = act.date()
    items = []
    for celex in act.references:
        measure = by_celex.get(celex)
        if measure is None:
            continue
        items.append(FoundItem(
            key=act.key,
            kind=NATIONAL_MEASURE if act.strong(celex) else CITATION,
            measure_id=measure.id,
            member_state=act.member_state,
            celex=None,  # the national act has no CELEX of its own here
            date=when,
            title=act.title,
            reference=act.reference,
            url=act.url,
            data={**act.describe(), "directive": celex, "basis": sorted(act.bases[celex])},
            fetch=fetch,
        ))
    return items


def other_references(acts: Iterable[NationalAct], measures: dict[str, Measure]) -> list[str]:
    """EU acts named by `acts` that are not in the catalogue (said in a reason, never dropped silently)."""
    return sorted({c for act in acts for c in act.references if c not in measures})
