"""What the national gazette sources share: safe decoding and parsing, pacing, what a run covers,
and how a national act becomes findings.

A gazette source reads national acts and the EU acts they name. How an act names an EU act
decides what the finding is evidence of:

* the act implements the EU act: the publisher's own EU link (the RIS ``[CELEX-Nr.: …]`` marker
  (AT), the Riigi Teataja ``<normtehnmarkus>`` list (EE), the Sejm ELI ``directives[]`` field
  (PL), ``eli:transposes`` metadata, a Danish EU note ("… indeholder bestemmelser, der
  gennemfører … direktiv …"), a transposition relation in the gazette's metadata) or the act's
  own wording ("se transpone la Directiva …", "to give effect to Directive …"). Such an act is
  a finding of kind ``national-measure``;
* a mere mention (the number in the body text, a full-text search hit without a marker,
  "repealing Directive …"): kind ``citation``. An act that *cites* a directive has not
  necessarily *transposed* it, and the rules count only ``national-measure`` as transposition,
  so a mention can never turn a Member State's status into "met". The finding is still
  stored, with its provenance, for an analyst to read.

Two act models record this, with their own finding `data` (which existing stores and reports
read, so neither is reshaped into the other):

* `BasisAct` (DK, AT, EE, PL): per EU act, the set of *bases* it was found on; strong bases
  (`STRONG_BASES`) make a national measure. `data` is `describe()` plus "directive" and "basis".
* `NationalAct` (ES, LU, FI, IE, NL, FR, DE): a list of `ActRef`, each with where it was found
  and its link (implements / cites). `data["link"]`, `data["link_basis"]` and `data["evidence"]`
  say which wording or field decided.

Dates: a gazette publication has its own publication date, which is the finding's date. A
consolidated text (Danish LBK, Austrian BrKons, an amended Estonian ``terviktekst``, a Polish
"tekst jednolity", BOE consolidated legislation, NeuRIS) lists the EU acts of the law *as
amended* and does not say which amendment transposed which directive: its date would be wrong
either way, so it is left None ("timeliness not assessed") and the known dates are kept in
`data`.

Also here: XML parsed safely (lxml without entity resolution, DTD loading or network, huge
trees refused; documents that declare entities are refused outright), strict UTF-8 (a BOM is
dropped), HTML pages where data was expected detected as blocks, and the repair of
double-encoded UTF-8 ("mojibake" such as "Ã©" for "é") that some saved captures carry
(sources.md 2.14).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from ...errors import BlockedError, ComplianceError, ParseError, SourceError, one_line
from ...refs import extract
from ..base import CoverageItem, FoundItem, SourceResult

if TYPE_CHECKING:
    from lxml import etree

    from ...http import FetchResult, HttpClient
    from ...model import Measure
    from ..base import SourceContext

NATIONAL_MEASURE = "national-measure"
CITATION = "citation"


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
        """Wait for the next start (prefer paced(), which does not count a call that never
        reached its host)."""
        now = self.clock()
        start = now if self._next is None else max(now, self._next)
        if start > now:
            self.sleep(start - now)
        self._next = start + self.interval

    @contextmanager
    def paced(self) -> Iterator[None]:
        """wait(), then the call in the block; a call that never reached the host (it could not
        be resolved or connected to) does not count, so an offline run does not wait for nothing."""
        previous = self._next
        self.wait()
        try:
            yield
        except SourceError as exc:
            if exc.network:
                self._next = previous
            raise


# --- text ------------------------------------------------------------------------------------------


def decode(body: bytes, what: str) -> str:
    """UTF-8 text (a BOM is dropped); anything else is a ParseError."""
    if not isinstance(body, bytes | bytearray):
        raise ParseError(f"{what}: expected bytes, got {type(body).__name__}")
    try:
        return bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def clean(value: Any) -> str | None:
    """A string with runs of whitespace collapsed, or None for empty / non-strings."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


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

    @classmethod
    def of(cls, body: bytes) -> Fixer:
        """The fixer of a whole payload (undecodable bytes do not stop the check)."""
        return cls(body.decode("utf-8-sig", errors="replace"))

    def __call__(self, value: str | None) -> str | None:
        if value is None or not self.active:
            return value
        return undo_double_utf8(value) or value

    def note(self) -> list[str]:
        return ["double-encoded UTF-8 (mojibake) in the file was repaired"] if self.active else []


# --- payloads: HTML blocks, JSON, XML --------------------------------------------------------------

_HTML_START = re.compile(r"^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.IGNORECASE)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ENTITY_REACH = 65536  # the prolog, where a DOCTYPE's internal subset must stand

# lxml options for every gazette document: no entity is resolved, no DTD or network resource is
# loaded, huge trees are refused; comments and processing instructions are dropped.
SAFE_XML: dict[str, bool] = {"resolve_entities": False, "no_network": True, "huge_tree": False,
                             "load_dtd": False, "remove_comments": True, "remove_pis": True}


def looks_like_html(body: str | bytes) -> bool:
    """Whether a payload starts as an HTML page (a bot check, login or error page)."""
    if isinstance(body, bytes | bytearray):
        body = bytes(body[:2000]).decode("utf-8-sig", errors="replace")
    return bool(_HTML_START.match(body[:2000]))


def check_not_html(text: str, what: str, expected: str = "data",
                   error: type[ComplianceError] = BlockedError) -> None:
    """An HTML page where `expected` was expected is a block (bot check, login, error page)."""
    if looks_like_html(text):
        title = re.search(r"<title[^>]*>(.*?)</title>", text[:5000], re.IGNORECASE | re.DOTALL)
        shown = f" ({one_line(title.group(1), 80)})" if title else ""
        raise error(f"{what}: an HTML page{shown} instead of {expected} (blocked, redirected or an error page)")


def refuse_block_page(body: bytes, what: str) -> None:
    """A page that is HTML by nature (a listing) can still be a bot check or an access-denied page."""
    text = bytes(body[:5000]).decode("utf-8", errors="replace").lower()
    if any(m in text for m in ("captcha", "cf-chl", "access denied", "request rejected")):
        raise BlockedError(f"{what}: a bot check or access-denied page")


def refuse_entities(body: bytes, what: str) -> None:
    """Refuse XML that declares entities (the "billion laughs" family), though none is ever resolved."""
    if _ENTITY_DECL.search(body[:_ENTITY_REACH]):
        raise ParseError(f"{what}: the XML declares entities; refused as unsafe XML")


def parse_json(body: bytes, what: str, *, html_error: type[ComplianceError] = BlockedError) -> Any:
    """A JSON payload; ParseError on anything else.

    An HTML page is raised as `html_error`: a BlockedError, except where a source's parser has
    always reported it as a ParseError (DK, AT, EE and PL; their refreshes check for a block).
    """
    text = decode(body, what)
    if not text.strip():
        raise ParseError(f"{what}: empty body")
    check_not_html(text, what, "JSON", html_error)
    if text.lstrip().startswith("<"):
        raise ParseError(f"{what}: an HTML/XML page instead of JSON (blocked, redirected or an error page?)")
    try:
        return json.loads(text)
    except RecursionError:
        raise ParseError(f"{what}: not JSON (nested too deeply)") from None
    except ValueError as exc:  # JSONDecodeError, and int strings beyond Python's digit limit
        raise ParseError(f"{what}: not JSON ({str(exc).splitlines()[0][:120]})") from None


def parse_xml(body: bytes, what: str, *, recover: bool = False,
              html_error: type[ComplianceError] | None = BlockedError) -> tuple[etree._Element, list[str]]:
    """The root element of an XML body, parsed with `SAFE_XML`; (root, notes).

    A document that declares entities is refused outright. An HTML page is raised as
    `html_error` (None: left to the caller's check of the root element). `recover=True`
    (imports only) reads a cut or damaged file as far as it goes and says so in the notes.
    """
    from lxml import etree

    if not isinstance(body, bytes | bytearray):
        raise ParseError(f"{what}: expected bytes, got {type(body).__name__}")
    body = bytes(body)
    if not body.strip():
        raise ParseError(f"{what}: empty body")
    refuse_entities(body, what)
    if html_error is not None:
        check_not_html(body[:2000].decode("utf-8-sig", errors="replace"), what, error=html_error)
    notes: list[str] = []
    try:
        root = etree.fromstring(body, etree.XMLParser(**SAFE_XML))
    except (etree.XMLSyntaxError, ValueError, LookupError) as exc:
        if not recover:
            raise ParseError(f"{what}: not well-formed XML ({one_line(str(exc), 160)})") from None
        try:
            root = etree.fromstring(body, etree.XMLParser(**SAFE_XML, recover=True))
        except (etree.XMLSyntaxError, ValueError, LookupError):
            root = None
        if root is None:
            raise ParseError(f"{what}: not well-formed XML ({one_line(str(exc), 160)})") from None
        notes.append(f"the file is not well-formed XML ({one_line(str(exc), 120)}); it was read in "
                     "recovery mode, so only the part before the damage was used (cut short?)")
    if root is None or not isinstance(root.tag, str):
        raise ParseError(f"{what}: no XML root element")
    return root, notes


def json_page(doc: Any, what: str, items: str, total: str, shape: str) -> tuple[list[Any], int]:
    """(the `items` list, the `total` count) of a JSON search page; ParseError (saying `shape`
    was expected) when the list is missing, or when the count is."""
    if not isinstance(doc, dict) or not isinstance(doc.get(items), list):
        raise ParseError(f"{what}: {shape}")
    count = doc.get(total)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ParseError(f"{what}: no {total}")
    return doc[items], count


def local(tag: Any) -> str:
    """An element's tag without its namespace ('{ns}name' -> 'name'); '' for comments and the like."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def text_of(element: Any, sep: str = "") -> str:
    """All text inside an element ('' for None), its pieces joined with `sep`, whitespace collapsed."""
    if element is None:
        return ""
    return " ".join(sep.join(element.itertext()).split())


_DATE_FORMS = (
    re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:$|[T\s]|Z|[+-]\d{2}:?\d{2})"),
    re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:$|T|\s)"),
)


def parse_date(value: Any) -> date | None:
    """A date from 'YYYY-MM-DD', an ISO date-time ("2019-02-19+02:00", "2026-01-02T11:20:03") or
    BOE's 'YYYYMMDD'; None otherwise."""
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


def as_list(value: Any) -> list[Any]:
    """RIS-style lists: one item arrives as an object, several as an array, none as null."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def raise_error_answer(data: dict[str, Any], keys: Iterable[str], what: str) -> None:
    """A service's error object ({"message": …}): SourceError with the first message among `keys`."""
    message = next((m for k in keys if (m := clean(data.get(k)))), None)
    if message:
        raise SourceError(f"{what}: error answer: {message[:300]}", status="failed")


def checked_params(params: dict[str, str | int], allowed: frozenset[str], what: str) -> dict[str, str]:
    """Query parameters as strings, refused (ValueError) if one is not documented."""
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValueError(f"{what}: undocumented parameter(s) {', '.join(unknown)}")
    return {k: str(v) for k, v in params.items()}


@contextmanager
def named_errors(name: str) -> Iterator[None]:
    """ParseErrors raised inside say which file (`name`) they are about."""
    try:
        yield
    except ParseError as exc:
        message = str(exc)
        raise ParseError(message if message.startswith(name) else f"{name}: {message}") from None


# --- what a run covers ---------------------------------------------------------------------------


def local_now(zone: str) -> datetime:
    """The current time in `zone` (UTC when the time-zone data is not installed)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return datetime.now(ZoneInfo(zone))
    except ZoneInfoNotFoundError:
        return datetime.now(UTC)


def candidate_measures(ctx: SourceContext) -> dict[str, Measure]:
    """CELEX -> catalogued measure, limited to the measures selected (`--measure`)."""
    measures = ctx.measures() if ctx.measure_ids else ctx.catalogue.measures.values()
    return {m.celex: m for m in measures if m.celex}


def wanted_state(ctx: SourceContext, member_state: str) -> bool:
    """Whether the run covers `member_state` (no selection: every state)."""
    return not ctx.member_states or member_state in ctx.member_states


def unselected(ctx: SourceContext, member_state: str, country: str) -> str | None:
    """Why a refresh has nothing to do when `member_state` is not selected; None when it is."""
    return None if wanted_state(ctx, member_state) else f"{country} is not among the selected Member States"


def selected_directives(ctx: SourceContext) -> list[Measure]:
    """The selected measures whose CELEX is a directive's (sector 3, type L)."""
    return [m for m in ctx.measures() if m.celex and len(m.celex) >= 10 and m.celex[0] == "3" and m.celex[5] == "L"]


def directive_scope(ctx: SourceContext, member_state: str, country: str) -> tuple[list[Measure], str | None]:
    """(the directives a refresh for `member_state` searches, why there are none)."""
    reason = unselected(ctx, member_state, country)
    if reason:
        return [], reason
    directives = selected_directives(ctx)
    return directives, None if directives else "no selected measure is a directive with a CELEX number"


def status_of(exc: Exception) -> str:
    """The status a failed step reports: the SourceError's own, else "failed" (a bad payload)."""
    return exc.status if isinstance(exc, SourceError) else "failed"


def common_status(statuses: Iterable[str]) -> str:
    """The status shared by every failure, or "failed" when they differ."""
    distinct = set(statuses)
    return distinct.pop() if len(distinct) == 1 else "failed"


def all_failed(result: SourceResult, failures: list[str], attempts: int, what: str, status: str = "failed") -> bool:
    """When every one of `attempts` failed, mark `result` so ("every {what} failed; first: …")."""
    if not failures or len(failures) != attempts:
        return False
    result.status = status
    result.reason = f"every {what} failed; first: {failures[0]}"
    return True


def http_of(ctx: SourceContext, source: str, doing: str | None = None) -> HttpClient:
    """The run's HTTP client; SourceError "unavailable" in import mode, which has none."""
    if ctx.http is None:
        why = f" (import mode cannot {doing})" if doing else ""
        raise SourceError(f"{source}: no HTTP client{why}", status="unavailable")
    return ctx.http


def coverage_verdict(result: SourceResult, summary: str, none_ok: Callable[[list[CoverageItem]], str]) -> None:
    """The run's status and reason from its coverage rows: all ok, `summary`; some not ok, the
    summary names them; none ok, the rows' common status and `none_ok(rows)`."""
    bad = [c for c in result.coverage if c.status != "ok"]
    if bad and len(bad) == len(result.coverage):
        result.status = common_status(c.status for c in bad)
        result.reason = none_ok(bad)
    elif bad:
        result.reason = summary + "; not ok: " + ", ".join(f"{c.measure_id} ({c.status})" for c in bad)
    else:
        result.reason = summary


def keep_fetch(result: SourceResult, fetch: FetchResult) -> None:
    """Record a response once, however many hits it gave."""
    if not any(f is fetch for f in result.fetches):
        result.fetches.append(fetch)


# --- acts recorded by basis (DK, AT, EE, PL) -------------------------------------------------------

STRONG_BASES = frozenset({"celex-marker", "normtehnmarkus", "directives-field", "eli-transposes", "eu-note"})


@dataclass
class BasisAct:
    """One national act with, for each EU act it names, the bases of that reference (see module doc)."""

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

    def celex(self) -> list[str]:
        return self.references

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
                "adoption": iso(self.adopted),
                "publication": iso(self.published),
                "entry_into_force": iso(self.in_force),
            },
            "date_kind": kind,
            "consolidated": self.consolidated,
            "references": self.references,
            "reference_bases": {c: sorted(b) for c, b in sorted(self.bases.items())},
        }
        out.update(self.data)
        return out

    def finding(self, measure: Measure, fetch: FetchResult | None) -> FoundItem:
        """The finding of this act about `measure`, which it names."""
        celex = measure.celex or ""
        when, _ = self.date()
        return FoundItem(
            key=self.key,
            kind=NATIONAL_MEASURE if self.strong(celex) else CITATION,
            measure_id=measure.id,
            member_state=self.member_state,
            celex=None,  # the national act has no CELEX of its own here
            date=when,
            title=self.title,
            reference=self.reference,
            url=self.url,
            data={**self.describe(), "directive": celex, "basis": sorted(self.bases[celex])},
            fetch=fetch,
        )


def other_references(acts: Iterable[BasisAct], measures: dict[str, Measure]) -> list[str]:
    """EU acts named by `acts` that are not in the catalogue (said in a reason, never dropped silently)."""
    return sorted({c for act in acts for c in act.references if c not in measures})


# --- acts recorded by reference (ES, LU, FI, IE, NL, FR, DE) -----------------------------------------

IMPLEMENTS = "implements"
CITES = "cites"
USER_ASSERTED = "user-asserted"

# Wording that says an act implements the EU act named right after it (§2.13 of sources.md,
# plus the verified Irish "give effect to", and the formulas of the TRANSPOSITION_FORMULAS of
# tests/test_refs.py). Matched case-insensitively in the 160 characters before the reference.
_IMPLEMENTING = re.compile(
    r"transp[oõ]|incorpor\w*\s+(?:al|a\s+la|en\s+el)\s+(?:derecho|ordenamiento)|"  # es, fr, en, pt "transpõe"
    r"mise\s+en\s+(?:oe|œ)uvre|give(?:s|n)?\s+(?:further\s+)?effect\s+to|giving\s+(?:further\s+)?effect\s+to|"
    r"\bimplement(?!ing\s+(?:regulation|decision|directive|act)\b)|umsetzung|umgesetzt|durchführung|"  # en, de
    r"implementatie|uitvoering\s+van|omzetting|"  # nl
    r"täytäntöön|genomför|"  # fi, sv
    r"gennemfør|"  # da (for completeness)
    r"transpu|"  # ro "transpune" ("transpo" above: es, fr, it, pt)
    r"\battuazion|\brecepi|"  # it "Attuazione della direttiva …", "recepimento della direttiva …"
    r"\bpreber|"  # sk "sa preberá smernica …", "sa preberajú právne záväzné akty …"
    r"įgyvendin|perkeli|"  # lt: "Įgyvendinami Europos Sąjungos teisės aktai", "perkeliama"
    r"preuzim|"  # hr: "u hrvatsko zakonodavstvo preuzima se Direktiva"
    r"zapracov|"  # cs: "zapracovává příslušné předpisy Evropské unie"
    r"въвежда",  # bg: "въвеждат изискванията на Директива"
    re.IGNORECASE,
)
# Verbs that, between the implementing wording and the reference, make the reference something
# else: "… implementing Regulation X and repealing Directive Y" only implements X.
_OTHER_RELATION = re.compile(
    r"repeal|amend(?!ed\s+by)|abrog|modifi(?!cad[ao]s?\s+por|ée?s?\s+par)|derog|kumo|upphäv|aufheb|"
    r"(?<!ge)änder(?!t\s+durch)|ersetz|intrekking|wijziging|replac|remplac|sustitu|ändring|"
    r"înlocui|"  # ro "de înlocuire a Deciziei-cadru …" ("abrogare", "modificare": above)
    r"sostitu|"  # it "che sostituisce la decisione quadro …" ("modifica", "abroga": above)
    r"\bmení\b|\bzrušuj|nahrádza|"  # sk "ktorou sa mení smernica …", "ktorou sa zrušuje", "nahrádza"
    r"keiči|panaikin|izmjen|izvan\s+snage|mění|изменени|отмян",  # lt, hr, cs ("zrušuj": sk above), bg
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


# Hungarian says it after the act, which stands in the dative: "Ez a törvény a(z) … szóló …
# 2011/36/EU európai parlamenti és tanácsi irányelvnek való megfelelést szolgálja" (the closing
# "jogharmonizációs záradék"; the acts named inside the directive's title carry no dative).
_DATIVE = re.compile(r"(?:n[eé]k|\s+n[eé]k\b)", re.IGNORECASE)
_CONFORMITY = re.compile(r"megfelelést\s+szolgál(?:ja|nak)?|összeegyeztethető\s+szabályozását\s+tartalmazz?a",
                         re.IGNORECASE)
_CONFORMITY_REACH = 1500  # a clause may list items a) … d) before its verb
_SECTION = re.compile(r"§|\(\d+\)\s")  # the clause ends with its section or paragraph


def link_of(text: str, start: int, end: int | None = None) -> tuple[str, str | None]:
    """(link, basis) for a reference at `text[start:end]`: implements when implementing wording
    stands shortly before it with no other relation verb in between, or (Hungarian) when the
    reference is in the dative and a conformity clause follows it in the same section."""
    if end is not None:
        hungarian = _hungarian_link(text, start, end)
        if hungarian:
            return IMPLEMENTS, hungarian
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


def _hungarian_link(text: str, start: int, end: int) -> str | None:
    """The conformity clause that follows a reference in the dative, if there is one."""
    tail = text[end:end + 12]
    if not (text[start:end].lower().endswith(("nek", "nék")) or _DATIVE.match(tail)):
        return None
    after = text[end:end + _CONFORMITY_REACH]
    stop = _SECTION.search(after)
    m = _CONFORMITY.search(after, 0, stop.start() if stop else len(after))
    if not m:
        return None
    return one_line(text[start:end] + after[:m.end()], 200) if m.end() < 120 else \
        one_line("… " + after[max(0, m.start() - 40):m.end()], 200)


def refs_in_text(text: str | None, where: str, *, classify: bool = True) -> list[ActRef]:
    """Every EU act reference in `text` (refs.extract), each classified by its wording."""
    if not text:
        return []
    out = []
    for ref in extract(text):
        link, basis = link_of(text, ref.start, ref.end) if classify else (CITES, None)
        out.append(ActRef(ref.celex, ref.kind, link, where, ref.text, basis))
    return out


def refs_in_uri(uri: str, where: str, link: str = CITES, basis: str | None = None) -> list[ActRef]:
    """References in an ELI URI of an EU act (…/eli/dir_ue/2011/36/jo, data.europa.eu/eli/dir/…)."""
    return [ActRef(r.celex, r.kind, link, where, uri, basis) for r in extract(uri)]


@dataclass
class NationalAct:
    """One national act as a gazette describes it, with the EU act references it makes."""

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

    def date_for(self, celex: str, link: str) -> tuple[date | None, str]:
        """The date that counts for the rules, and what it is.

        The publication date of the act, except where that date cannot be when the act took up
        the EU act: when the only evidence is a consolidated (current) text, whose references may
        come from any later amendment, or when the act was published before the EU act's year.
        """
        refs = self.refs_for(celex)
        if link != USER_ASSERTED and refs and all(r.where in self.consolidated_places for r in refs):
            return None, ("consolidated text: the act as amended names the EU act, and which amendment "
                          "introduced it is not stated (timeliness not assessed)")
        when = self.published or self.adopted
        if when and celex[1:5].isdecimal() and when.year < int(celex[1:5]):
            return None, (f"the act dates from {when.year}, before the EU act of {celex[1:5]}: "
                          "the reference comes from a later version (timeliness not assessed)")
        if self.published:
            return self.published, "publication in the official gazette"
        if self.adopted:
            return self.adopted, "adoption (enactment or signature; no publication date given)"
        return None, "no date given"

    def _data(self, measure: Measure, link: str, basis: str | None, date_kind: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": self.fmt,
            "national_id": self.national_id,
            "eli": self.eli,
            "type": self.type,
            "title": self.title,
            "language": self.language,
            "dates": {
                "adoption": iso(self.adopted),
                "publication": iso(self.published),
                "entry_into_force": iso(self.entry_into_force),
            },
            "date_kind": date_kind,
            "references": self.celex(),
            "measure_celex": measure.celex,
            "link": link,
            "link_basis": basis,
            "evidence": [r.as_dict() for r in self.refs_for(measure.celex or "")],
        }
        data.update(self.extra)
        if self.notes:
            data["notes"] = list(self.notes)
        return data

    def finding(self, measure: Measure, fetch: FetchResult | None, *, link: str | None = None,
                basis: str | None = None) -> FoundItem:
        """The finding of this act about `measure`.

        Kind "national-measure" only where the act's own wording or the gazette's metadata says
        it implements the EU act (or the user attributed it with --measure); a mere mention is
        kind "citation" (see the module doc).
        """
        celex = measure.celex or ""
        if link is None:
            link, basis = self.link_for(celex)
        when, date_kind = self.date_for(celex, link)
        return FoundItem(
            key=self.key,
            kind=NATIONAL_MEASURE if link in (IMPLEMENTS, USER_ASSERTED) else CITATION,
            measure_id=measure.id,
            member_state=self.member_state,
            celex=None,  # a national act has no CELEX of its own here; the EU act is data["measure_celex"]
            date=when,
            title=self.title,
            reference=self.national_id,
            url=self.url or self.eli,
            data=self._data(measure, link, basis, date_kind),
            fetch=fetch,
        )


# --- findings ----------------------------------------------------------------------------------------


def findings_for(act: BasisAct | NationalAct, ctx: SourceContext, fetch: FetchResult | None,
                 measures: dict[str, Measure] | None = None) -> list[FoundItem]:
    """One finding per catalogued (selected) measure that the act names."""
    by_celex = candidate_measures(ctx) if measures is None else measures
    return [act.finding(by_celex[c], fetch) for c in act.celex() if c in by_celex]


def unique_findings(items: Iterable[FoundItem]) -> list[FoundItem]:
    """One finding per (act, measure), the first: an act found again (for another directive, on
    another page) gives nothing new."""
    seen: set[tuple[str, str]] = set()
    out = []
    for item in items:
        if (item.key, item.measure_id) not in seen:
            seen.add((item.key, item.measure_id))
            out.append(item)
    return out


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
        result.findings.extend(findings_for(act, ctx, None, wanted))
    if ctx.measure_ids and len(acts) == 1 and wanted_state(ctx, acts[0].member_state):
        act = acts[0]
        named = set(act.celex())
        for measure in ctx.measures():
            if not measure.celex or measure.celex not in named:
                result.findings.append(act.finding(
                    measure, None, link=USER_ASSERTED,
                    basis=f"attributed with --measure {measure.id}; the file itself does not name "
                          f"{measure.celex or 'this measure'}",
                ))
    all_notes = list(notes)
    for act in acts:
        all_notes.extend(f"{act.national_id}: {n}" for n in act.notes)
    silent = [a.national_id for a in acts if not a.references]
    if silent and len(acts) > 1:  # a file of several acts: say which gave nothing, and why
        shown = ", ".join(silent[:5]) + (f" and {len(silent) - 5} more" if len(silent) > 5 else "")
        all_notes.append(f"{len(silent)} of {len(acts)} act(s) name no EU act in what the file holds: {shown}")
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
