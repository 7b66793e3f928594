"""What the national-gazette sources of ES, LU, FI, IE, NL, FR and DE share: one parsed national act,
the EU acts it refers to, and how that becomes findings.

A gazette parser turns a payload into `NationalAct`s; `act_findings` then gives one finding per
(act, catalogued measure the act refers to). Every reference keeps where it was found and
whether the wording says the act *implements* the EU act ("se transpone la Directiva …", "to
give effect to Directive …", a transposition relation in the gazette's own metadata) or only
*cites* it (a mention in the text, "repealing Directive …"). Only the first is a finding of kind
"national-measure" (evidence for the transposition rules); the second is kind "citation",
stored with its provenance for a reader but never turning a status into "met". This is the
same split as `_support.py` (DK, AT, EE, PL). `data["link"]`, `data["link_basis"]` and
`data["evidence"]` say which wording or field decided.

Also here: safe XML parsing (lxml without entities, DTD loading or network; documents that
declare entities are refused), JSON parsing, date parsing, and the repair of double-encoded
UTF-8 ("mojibake" such as "Ã©" for "é") that some saved captures carry (sources.md 2.14).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from ...errors import BlockedError, ParseError
from ...refs import extract
from ..base import FoundItem, SourceResult

if TYPE_CHECKING:
    from lxml import etree

    from ...http import FetchResult
    from ...model import Measure
    from ..base import SourceContext

IMPLEMENTS = "implements"
CITES = "cites"
USER_ASSERTED = "user-asserted"
NATIONAL_MEASURE = "national-measure"
CITATION = "citation"

# --- decoding and parsing ---------------------------------------------------------------------


def decode(body: bytes, what: str) -> str:
    """UTF-8 text (a BOM is dropped); anything else is a ParseError."""
    if not isinstance(body, bytes | bytearray):
        raise ParseError(f"{what}: expected bytes, got {type(body).__name__}")
    try:
        return bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def one_line(text: str, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# Windows-1252 bytes 0x80-0x9F as characters; a double-encoding tool may have used them or the
# bare C1 controls (Latin-1), and captures mix both (sources.md 2.14).
_CP1252 = {bytes([b]).decode("cp1252"): b for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                       "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")


def undo_double_utf8(text: str) -> str | None:
    """The text with double-encoded UTF-8 undone, or None when it is not (wholly) double-encoded.

    The repair is all or nothing: every non-ASCII character must map back to one byte and the
    bytes must be valid UTF-8. Genuine accented text ("é" followed by a letter) never is, so
    real text is left alone.
    """
    if not _MOJIBAKE.search(text):
        return None
    out = bytearray()
    for ch in text:
        code = ord(ch)
        if code < 0x100:
            out.append(code)
        elif ch in _CP1252:
            out.append(_CP1252[ch])
        else:
            return None
    try:
        fixed = out.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return fixed if fixed != text else None


class Fixer:
    """Repairs the strings of one document when the document as a whole is double-encoded."""

    def __init__(self, whole: str) -> None:
        self.active = undo_double_utf8(whole) is not None

    def __call__(self, value: str | None) -> str | None:
        if value is None or not self.active:
            return value
        return undo_double_utf8(value) or value

    def note(self) -> list[str]:
        return ["double-encoded UTF-8 (mojibake) in the file was repaired"] if self.active else []


_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_HTML_START = re.compile(r"^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.IGNORECASE)


def check_not_html(text: str, what: str) -> None:
    """An HTML page where data was expected is a block (bot check, login, error page)."""
    if _HTML_START.match(text[:2000]):
        title = re.search(r"<title[^>]*>(.*?)</title>", text[:5000], re.IGNORECASE | re.DOTALL)
        shown = f" ({one_line(title.group(1), 80)})" if title else ""
        raise BlockedError(f"{what}: an HTML page{shown} instead of data (blocked, redirected or an error page)")


def parse_xml(body: bytes, what: str, *, recover: bool = False) -> tuple[etree._Element, list[str]]:
    """The root element of an XML body, parsed safely; (root, notes).

    No entity is resolved, no DTD or network resource is loaded, huge trees are refused, and a
    document that declares entities (the "billion laughs" family) is refused outright.
    `recover=True` (imports only) reads a cut or damaged file as far as it goes and says so.
    """
    from lxml import etree

    if not isinstance(body, bytes | bytearray):
        raise ParseError(f"{what}: expected bytes, got {type(body).__name__}")
    body = bytes(body)
    head = body[:4096]
    if _ENTITY_DECL.search(head) or (b"<!DOCTYPE" in head and _ENTITY_DECL.search(body[:65536])):
        raise ParseError(f"{what}: the XML declares entities; refused for safety")
    try:
        text_head = body[:2000].decode("utf-8-sig", errors="replace")
    except Exception:  # pragma: no cover - decode with errors=replace does not raise
        text_head = ""
    check_not_html(text_head, what)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                             dtd_validation=False, recover=False, remove_comments=True, remove_pis=True)
    notes: list[str] = []
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        if not recover:
            raise ParseError(f"{what}: not well-formed XML ({one_line(str(exc), 160)})") from None
        lenient = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                                  recover=True, remove_comments=True, remove_pis=True)
        try:
            root = etree.fromstring(body, lenient)
        except (etree.XMLSyntaxError, ValueError):
            root = None
        if root is None:
            raise ParseError(f"{what}: not well-formed XML ({one_line(str(exc), 160)})") from None
        notes.append(f"the file is not well-formed XML ({one_line(str(exc), 120)}); it was read in "
                     "recovery mode, so only the part before the damage was used (cut short?)")
    if root is None or not isinstance(root.tag, str):
        raise ParseError(f"{what}: no XML root element")
    return root, notes


def parse_json(body: bytes, what: str) -> Any:
    text = decode(body, what)
    if not text.strip():
        raise ParseError(f"{what}: empty body")
    check_not_html(text, what)
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise ParseError(f"{what}: not JSON ({msg})") from None


def local(tag: Any) -> str:
    """The local name of an lxml tag ('{ns}name' -> 'name'); '' for comments and the like."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def text_of(element: Any) -> str:
    """All text inside an element, whitespace collapsed."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


_DATE_FORMS = (
    re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:$|[T\s]|Z|[+-]\d{2}:?\d{2})"),
    re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:$|T|\s)"),
)


def parse_date(value: Any) -> date | None:
    """A date from 'YYYY-MM-DD', an ISO date-time, or BOE's 'YYYYMMDD'; None otherwise."""
    if not isinstance(value, str):
        return None
    for form in _DATE_FORMS:
        m = form.match(value)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- references and how an act refers to them ------------------------------------------------

# Wording that says an act implements the EU act named right after it (§2.13 of sources.md,
# plus the verified Irish "give effect to"). Matched case-insensitively in the 160 characters
# before the reference.
_IMPLEMENTING = re.compile(
    r"transpo|incorpor\w*\s+(?:al|a\s+la|en\s+el)\s+(?:derecho|ordenamiento)|"  # es, fr, en
    r"mise\s+en\s+(?:oe|œ)uvre|give(?:s|n)?\s+(?:further\s+)?effect\s+to|giving\s+(?:further\s+)?effect\s+to|"
    r"\bimplement(?!ing\s+(?:regulation|decision|directive|act)\b)|umsetzung|umgesetzt|durchführung|"  # en, de
    r"implementatie|uitvoering\s+van|omzetting|"  # nl
    r"täytäntöön|genomför|"  # fi, sv
    r"gennemfør",  # da (for completeness)
    re.IGNORECASE,
)
# Verbs that, between the implementing wording and the reference, make the reference something
# else: "… implementing Regulation X and repealing Directive Y" only implements X.
_OTHER_RELATION = re.compile(
    r"repeal|amend(?!ed\s+by)|abrog|modifi(?!cad[ao]s?\s+por|ée?s?\s+par)|derog|kumo|upphäv|aufheb|"
    r"(?<!ge)änder(?!t\s+durch)|ersetz|intrekking|wijziging|replac|remplac|sustitu|ändring",
    re.IGNORECASE,
)
_WINDOW = 160


@dataclass(frozen=True)
class ActRef:
    """One EU act referred to by a national act."""

    celex: str
    kind: str  # directive | regulation | decision | framework-decision | recommendation
    link: str  # implements | cites
    where: str  # title | long-title | text | analisis:TRANSPONE | jolux:cites | eu-note | ...
    text: str  # the words as they appear (or the URI / DOUE id)
    basis: str | None = None  # the implementing wording or metadata relation that gives `link`

    def as_dict(self) -> dict[str, Any]:
        out = {"celex": self.celex, "kind": self.kind, "link": self.link, "where": self.where,
               "text": one_line(self.text, 300)}
        if self.basis:
            out["basis"] = one_line(self.basis, 300)
        return out


def link_of(text: str, start: int) -> tuple[str, str | None]:
    """(link, basis) for a reference starting at `start` in `text`: implements when implementing
    wording stands shortly before it with no other relation verb in between."""
    lo = max(0, start - _WINDOW)
    window = text[lo:start]
    last = None
    # Matched on a slightly longer slice so that look-aheads ("Implementing Regulation") see
    # the words that follow; only matches that begin before the reference count.
    for m in _IMPLEMENTING.finditer(text, lo, min(len(text), start + 40)):
        if m.start() >= start:
            break
        last = m
    if last is None:
        return CITES, None
    last_start, last_end = last.start() - lo, min(last.end(), start) - lo
    if _OTHER_RELATION.search(window[last_end:]):
        return CITES, None
    # The basis shown to a reader: from the implementing word to the reference.
    return IMPLEMENTS, one_line(window[last_start:], 200)


def refs_in_text(text: str | None, where: str, *, classify: bool = True) -> list[ActRef]:
    """Every EU act reference in `text` (refs.extract), each classified by its wording."""
    if not text:
        return []
    out = []
    for ref in extract(text):
        link, basis = link_of(text, ref.start) if classify else (CITES, None)
        out.append(ActRef(ref.celex, ref.kind, link, where, ref.text, basis))
    return out


def refs_in_uri(uri: str, where: str, link: str = CITES, basis: str | None = None) -> list[ActRef]:
    """References in an ELI URI of an EU act (…/eli/dir_ue/2011/36/jo, data.europa.eu/eli/dir/…)."""
    return [ActRef(r.celex, r.kind, link, where, uri, basis) for r in extract(uri)]


# --- the act -----------------------------------------------------------------------------------


@dataclass
class NationalAct:
    """One national act as a gazette describes it."""

    member_state: str
    key: str  # stable: the ELI where there is one, else the gazette's own id
    national_id: str  # BOE-A-2015-10566, 1050/2018, S.I. No. 5 of 2023, JORFTEXT…
    fmt: str  # which payload it was read from, e.g. "boe-legislacion-consolidada-json"
    title: str | None = None
    type: str | None = None
    eli: str | None = None
    url: str | None = None
    adopted: date | None = None
    published: date | None = None
    entry_into_force: date | None = None
    language: str | None = None
    references: list[ActRef] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # source-specific fields, JSON-able
    notes: list[str] = field(default_factory=list)
    # `where` values whose text is a consolidated (current) version, not the act as published.
    consolidated_places: frozenset[str] = frozenset()

    def celex(self) -> list[str]:
        return sorted({r.celex for r in self.references})

    def refs_for(self, celex: str) -> list[ActRef]:
        seen: set[tuple[str, str, str]] = set()
        out = []
        for r in self.references:
            ident = (r.where, r.link, r.text)
            if r.celex == celex and ident not in seen:
                seen.add(ident)
                out.append(r)
        return out

    def link_for(self, celex: str) -> tuple[str, str | None]:
        refs = self.refs_for(celex)
        strong = [r for r in refs if r.link == IMPLEMENTS]
        if strong:
            return IMPLEMENTS, strong[0].basis or strong[0].where
        return CITES, None


def finding_date(act: NationalAct, celex: str, link: str) -> tuple[date | None, str]:
    """The date that counts for the rules, and what it is.

    The publication date of the act, except where that date cannot be when the act took up the
    EU act: when the only evidence is a consolidated (current) text, whose references may come
    from any later amendment, or when the act was published before the EU act's year.
    """
    if link == USER_ASSERTED:
        pass
    elif act.refs_for(celex) and all(r.where in act.consolidated_places for r in act.refs_for(celex)):
        return None, ("consolidated text: the act as amended names the EU act, and which amendment "
                      "introduced it is not stated (timeliness not assessed)")
    when = act.published or act.adopted
    if when and celex[1:5].isdigit() and when.year < int(celex[1:5]):
        return None, (f"the act dates from {when.year}, before the EU act of {celex[1:5]}: "
                      "the reference comes from a later version (timeliness not assessed)")
    if act.published:
        return act.published, "publication in the official gazette"
    if act.adopted:
        return act.adopted, "adoption (enactment or signature; no publication date given)"
    return None, "no date given"


def _data(act: NationalAct, measure: Measure, link: str, basis: str | None, date_kind: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": act.fmt,
        "national_id": act.national_id,
        "eli": act.eli,
        "type": act.type,
        "title": act.title,
        "language": act.language,
        "dates": {
            "adoption": iso(act.adopted),
            "publication": iso(act.published),
            "entry_into_force": iso(act.entry_into_force),
        },
        "date_kind": date_kind,
        "references": act.celex(),
        "measure_celex": measure.celex,
        "link": link,
        "link_basis": basis,
        "evidence": [r.as_dict() for r in act.refs_for(measure.celex or "")],
    }
    data.update(act.extra)
    if act.notes:
        data["notes"] = list(act.notes)
    return data


def finding(act: NationalAct, measure: Measure, fetch: FetchResult | None, *, link: str | None = None,
            basis: str | None = None) -> FoundItem:
    """The finding of one (act, measure).

    Kind "national-measure" only where the act's own wording or the gazette's metadata says it
    implements the EU act (or the user attributed it with --measure); a mere mention is kind
    "citation": an act that cites a directive has not necessarily transposed it, and the rules
    count only national measures (the same split as _support.py of the other gazettes).
    """
    celex = measure.celex or ""
    if link is None:
        link, basis = act.link_for(celex)
    when, date_kind = finding_date(act, celex, link)
    return FoundItem(
        key=act.key,
        kind=NATIONAL_MEASURE if link in (IMPLEMENTS, USER_ASSERTED) else CITATION,
        measure_id=measure.id,
        member_state=act.member_state,
        celex=None,  # a national act has no CELEX of its own here; the EU act is data["measure_celex"]
        date=when,
        title=act.title,
        reference=act.national_id,
        url=act.url or act.eli,
        data=_data(act, measure, link, basis, date_kind),
        fetch=fetch,
    )


def candidate_measures(ctx: SourceContext) -> dict[str, Measure]:
    """CELEX -> measure, for the measures selected (all catalogued ones when none is)."""
    measures = ctx.measures() if ctx.measure_ids else list(ctx.catalogue.measures.values())
    return {m.celex: m for m in measures if m.celex}


def act_findings(act: NationalAct, ctx: SourceContext, fetch: FetchResult | None,
                 wanted: dict[str, Measure] | None = None) -> list[FoundItem]:
    """One finding per catalogued (selected) measure that the act refers to."""
    wanted = candidate_measures(ctx) if wanted is None else wanted
    return [finding(act, wanted[c], fetch) for c in act.celex() if c in wanted]


def _deadline_year(measure: Measure) -> int:
    dates = [o.date for o in measure.obligations if o.type == "transposition" and o.date]
    return min(dates).year if dates else int((measure.celex or "0" * 10)[1:5]) + 2


def harvest_years(measures: Iterable[Measure], today: date, max_years: int,
                  years_after_deadline: int) -> tuple[list[int], list[int]]:
    """Years a harvest source reads for `measures`: from each EU act's year to a few years after
    its transposition deadline (transposing acts come near the deadline), never in the future.
    (years to read, most recent first; years left out beyond `max_years`)."""
    years: set[int] = set()
    for m in measures:
        first = int((m.celex or "0" * 10)[1:5])
        last = min(today.year, _deadline_year(m) + years_after_deadline)
        years.update(range(first, last + 1))
    ordered = sorted((y for y in years if y <= today.year), reverse=True)
    return ordered[:max_years], ordered[max_years:]


def wanted_state(ctx: SourceContext, code: str) -> bool:
    return not ctx.member_states or code in ctx.member_states


def import_result(acts: Iterable[NationalAct], name: str, ctx: SourceContext,
                  notes: Iterable[str] = ()) -> SourceResult:
    """Findings for `compliance import`: never coverage (a saved file cannot prove an absence).

    With `--measure` and a file of exactly one act that does not name the measure, the act is
    attributed to it on the user's word (data["link"] = "user-asserted"). A file that gives no
    finding at all is a ParseError that says what the file does cite.
    """
    acts = list(acts)
    if not acts:
        raise ParseError(f"{name}: no act found in the file")
    result = SourceResult()
    wanted = candidate_measures(ctx)
    cited: set[str] = set()
    for act in acts:
        cited.update(act.celex())
        if not wanted_state(ctx, act.member_state):
            continue
        result.findings.extend(act_findings(act, ctx, None, wanted))
    if ctx.measure_ids and len(acts) == 1 and wanted_state(ctx, acts[0].member_state):
        act = acts[0]
        named = set(act.celex())
        for measure in ctx.measures():
            if not measure.celex or measure.celex not in named:
                result.findings.append(finding(
                    act, measure, None, link=USER_ASSERTED,
                    basis=f"attributed with --measure {measure.id}; the file itself does not name "
                          f"{measure.celex or 'this measure'}",
                ))
    all_notes = list(notes)
    for act in acts:
        all_notes.extend(f"{act.national_id}: {n}" for n in act.notes)
    if not result.findings:
        if ctx.member_states and not any(wanted_state(ctx, a.member_state) for a in acts):
            raise ParseError(
                f"{name}: the file holds acts of {acts[0].member_state}, not of the selected Member States")
        scope = " selected with --measure" if ctx.measure_ids else ""
        if ctx.measure_ids and len(acts) > 1:
            hint = "; --measure can attribute a file of one act only"
        elif ctx.measure_ids:
            hint = ""
        else:
            hint = "; add the EU act to your catalogue (by CELEX), or pass --measure when the file holds one act"
        said = (f"they cite {', '.join(sorted(cited))}, none of which is a catalogued measure{scope}" if cited
                else "they cite no EU act at all")
        raise ParseError(f"{name}: {len(acts)} act(s) read; {said}{hint}")
    result.reason = "; ".join(all_notes) or None
    return result
