"""Finland: Finlex open data, Akoma Ntoso 3.0 (sources.md 2.6).

Finlex has no keyword search. Refresh lists the statutes of a year
(`GET {api}/akn/fi/act/statute/{year}`: every statute of the year as `<AknXmlList><Results>
<akomaNtoso>…`, per matematicsolutions/fi-eli-mcp DISCOVERY.md, probed live 2026-06) and reads
each statute's text for the EU acts it names. A User-Agent is required: the shared HTTP client
always sends one.

Where a statute names an EU act:
* the preliminary-works part (`hcontainer name="preliminaryWork"`) lists the EU acts of the
  statute with their CELEX and OJ reference ("Euroopan parlamentin ja neuvoston asetus (EU)
  N:o 679/2016 (32016R0679); EUVL L 119, …" in the real sample). This is the statute book's EU
  footnote, which names the acts the statute implements (I: no Finlex documentation read; the
  real sample's note names the GDPR, which that statute implements): read as "implements";
* the body text, in Finnish and Swedish: a mention ("cites"), unless the wording says the
  statute implements it ("pannaan täytäntöön", "genomförs").

Which years: for each selected directive, from its year to three years after its transposition
deadline (transposing acts come close to the deadline), at most `MAX_YEARS` years per refresh,
the most recent first. No coverage is emitted: reading some years of statutes cannot prove
that no statute of another year, or a decree outside the statute series, transposed a directive.
"""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO
from typing import TYPE_CHECKING, Any

from ...clock import utcnow
from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ._payloads import SAFE_XML, Fixer, check_not_html, decode, local, named_errors, parse_date, refuse_entities
from ._runs import all_failed, candidate_measures, directive_scope, http_of, status_of
from ._support import (
    IMPLEMENTS,
    ActRef,
    NationalAct,
    findings_for,
    harvest_years,
    import_result,
    one_line,
    refs_in_text,
)

if TYPE_CHECKING:
    from ...model import Measure

INFO = SOURCES["gazette-fi"]
ENDPOINT_NAME = "GAZETTE_FI"
DEFAULT_ENDPOINT = "https://opendata.finlex.fi/finlex/avoindata/v1"
MEMBER_STATE = "FI"
XML = "application/xml"

MAX_YEARS = 8  # year lists read per refresh (each holds a whole year of statutes)
YEARS_AFTER_DEADLINE = 3

_MONTHS = {m: i for i, m in enumerate(
    ("tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta", "toukokuuta", "kesäkuuta", "heinäkuuta",
     "elokuuta", "syyskuuta", "lokakuuta", "marraskuuta", "joulukuuta"), start=1)}
_IN_FORCE = re.compile(r"tulee voimaan\s+(\d{1,2})\s+päivänä\s+(\w+)\s+(\d{4})", re.IGNORECASE)


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


# --- Akoma Ntoso ---------------------------------------------------------------------------------


def _child(el: Any, name: str) -> Any:
    return next((c for c in el.iter() if local(c.tag) == name), None)


def _raw(el: Any) -> str:
    return "".join(el.itertext()) if el is not None else ""


class _Statute:
    """The expressions (fin, swe, pdf) of one statute, merged."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.fields: dict[str, Any] = {}
        self.titles: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        self.eu_notes: list[str] = []
        self.notes: list[str] = []


def _read_expression(akn: Any, statutes: dict[str, _Statute]) -> None:
    work = _child(akn, "FRBRWork")
    if work is None:
        raise ParseError("Finlex Akoma Ntoso: an akomaNtoso without FRBRWork")
    uri = next((c.get("value") for c in work if local(c.tag) == "FRBRuri"), None)
    if not uri:
        raise ParseError("Finlex Akoma Ntoso: FRBRWork without FRBRuri")
    st = statutes.setdefault(uri, _Statute(uri))
    fixer = Fixer(_raw(akn))
    if fixer.active and not any("double-encoded" in n for n in st.notes):
        st.notes.extend(fixer.note())

    def clean(value: str | None) -> str:
        return " ".join((fixer(value) or "").split())

    for c in work:
        name = local(c.tag)
        if name == "FRBRalias" and c.get("name") == "eli":
            st.fields.setdefault("eli", c.get("value"))
        elif name == "FRBRdate" and c.get("name"):
            st.fields.setdefault(c.get("name"), c.get("date"))
        elif name in ("FRBRnumber", "FRBRsubtype"):
            st.fields.setdefault(name, c.get("value"))
    expression = _child(akn, "FRBRExpression")
    language = None
    if expression is not None:
        language = next((c.get("language") for c in expression if local(c.tag) == "FRBRlanguage"), None)
    language = language or "und"
    concepts = {c.get("eId"): clean(c.get("showAs")) for c in akn.iter() if local(c.tag) == "TLCConcept"}
    for c in akn.iter():
        name = local(c.tag)
        if name == "typeStatute":
            st.fields.setdefault(f"type_{language}", concepts.get((c.get("refersTo") or "").lstrip("#")))
        elif name == "categoryStatute":
            st.fields.setdefault("category", (c.get("refersTo") or "").lstrip("#") or None)
        elif name == "docNumber":
            st.fields.setdefault("docNumber", clean(_raw(c)))
        elif name == "docTitle" and language not in st.titles:
            st.titles[language] = clean(_raw(c))
    body = _child(akn, "body")
    if body is None:
        return
    text_parts = []
    for part in body.iter():
        if local(part.tag) == "hcontainer" and part.get("name") == "preliminaryWork":
            st.eu_notes.append(clean(_raw(part)))
    text = clean(_raw(body))
    if text:
        text_parts.append(text)
    if text_parts:
        st.texts[language] = st.texts.get(language, "") + " ".join(text_parts)


def _in_force(text: str) -> tuple[date | None, list[str]]:
    found = []
    for m in _IN_FORCE.finditer(text):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            try:
                found.append(date(int(m.group(3)), month, int(m.group(1))))
            except ValueError:
                continue
    if not found:
        return None, []
    notes = []
    if len(set(found)) > 1:
        notes.append("several entry-into-force dates in the text ("
                     + ", ".join(sorted({d.isoformat() for d in found})) + "); kept the first")
    return found[0], notes


def _to_act(st: _Statute) -> NationalAct:
    eli = st.fields.get("eli")
    number = st.fields.get("docNumber")
    if not number:
        # /akn/fi/act/statute/{year}/{number} -> "number/year", as Finlex writes it.
        m = re.search(r"/(\d{4})/(\d+)$", st.uri)
        number = f"{m.group(2)}/{m.group(1)}" if m else st.uri
    title = st.titles.get("fin") or st.titles.get("swe") or next(iter(st.titles.values()), None)
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=eli or st.uri,
        national_id=number,
        fmt="finlex-akn",
        title=title,
        type=st.fields.get("type_fin") or st.fields.get("type_swe"),
        eli=eli,
        url=eli or st.uri,
        adopted=parse_date(st.fields.get("dateIssued")),
        published=parse_date(st.fields.get("datePublished")),
        language="fi" if "fin" in st.titles else ("sv" if "swe" in st.titles else None),
    )
    act.entry_into_force, notes = _in_force(st.texts.get("fin", ""))
    act.notes.extend(st.notes + notes)
    for note in st.eu_notes:
        for ref in refs_in_text(note, "eu-note", classify=False):
            act.references.append(ActRef(ref.celex, ref.kind, IMPLEMENTS, "eu-note", note,
                                         "listed in the statute's EU note (preliminary works)"))
    for lang, text in sorted(st.texts.items()):
        act.references.extend(refs_in_text(text, f"text:{lang}"))
    act.references.extend(refs_in_text(title, "title"))
    act.extra = {
        "akn_uri": st.uri,
        "title_sv": st.titles.get("swe"),
        "category": st.fields.get("category"),
        "subtype": st.fields.get("FRBRsubtype"),
        "eu_notes": list(st.eu_notes),
        "languages_with_text": sorted(st.texts),
    }
    return act


def parse_statutes(body: bytes, what: str = "Finlex Akoma Ntoso") -> list[NationalAct]:
    """The statutes of an `AknXmlList` (one statute or a whole year), read as a stream.

    Parsed with lxml's iterparse and the options of `parse_xml` (no entities, DTD or network); a
    document that declares entities is refused. Each `akomaNtoso` is freed once read, so a year
    list does not sit whole in memory.
    """
    from lxml import etree

    if not isinstance(body, bytes | bytearray):
        raise ParseError(f"{what}: expected bytes, got {type(body).__name__}")
    refuse_entities(bytes(body), what)
    check_not_html(bytes(body[:2000]).decode("utf-8-sig", errors="replace"), what)
    statutes: dict[str, _Statute] = {}
    root_name = None
    try:
        for event, el in etree.iterparse(BytesIO(bytes(body)), events=("start", "end"), **SAFE_XML):
            if event == "start":
                root_name = root_name or local(el.tag)
                continue
            if local(el.tag) == "akomaNtoso":
                _read_expression(el, statutes)
                el.clear()
                parent = el.getparent()
                while parent is not None and el.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"{what}: not well-formed XML ({one_line(str(exc), 160)})") from None
    if root_name not in ("AknXmlList", "akomaNtoso"):
        raise ParseError(f"{what}: root <{root_name}> is neither AknXmlList nor akomaNtoso")
    return [_to_act(st) for st in statutes.values()]


# --- refresh ----------------------------------------------------------------------------------------


def _today() -> date:
    return utcnow().date()


def years_to_read(measures: list[Measure], today: date) -> tuple[list[int], list[int]]:
    """(years to read this refresh, most recent first; years left out by MAX_YEARS)."""
    return harvest_years(measures, today, MAX_YEARS, YEARS_AFTER_DEADLINE)


def refresh(ctx: SourceContext) -> SourceResult:
    """Read the statutes of the relevant years; findings only (a harvest cannot prove absence)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "Finland")
    if not directives:
        return result
    http_of(ctx, INFO.name, "read Finlex")
    base = endpoint(ctx)
    today = _today()
    years, skipped = years_to_read(directives, today)
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    empty: list[int] = []
    read = 0
    for year in years:
        ctx.progress(f"gazette-fi: statutes of {year}")
        try:
            fetch = ctx.http.get(INFO.name, f"{base}/akn/fi/act/statute/{year}", headers={"Accept": XML},
                                 conditional=True)
            statutes = parse_statutes(fetch.body, f"Finlex statutes of {year}")
        except (SourceError, ParseError) as exc:
            status = status_of(exc)
            failures.append(f"{year} ({status}): {exc}")
            continue
        result.fetches.append(fetch)
        read += len(statutes)
        if not statutes and year < today.year:
            empty.append(year)
        for act in statutes:
            result.findings.extend(findings_for(act, ctx, fetch, wanted))
    if all_failed(result, failures, len(years), "year list"):
        return result
    reason = [f"{read} statute(s) of {len(years) - len(failures)} year(s) read, {len(result.findings)} finding(s); "
              "no coverage: a harvest of some years cannot prove an absence"]
    if skipped:
        reason.append(f"years not read (more than MAX_YEARS={MAX_YEARS}): {', '.join(map(str, sorted(skipped)))}")
    if failures:
        reason.append(f"{len(failures)} year list(s) failed: " + "; ".join(failures))
    if empty:
        result.status = "suspect"
        reason.insert(0, f"no statute at all in the list of past year(s) {', '.join(map(str, empty))}: "
                         "the answer looks incomplete")
    result.reason = "; ".join(reason)
    return result


# --- import ---------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved Finlex Akoma Ntoso (one statute or a year list)."""
    text = decode(body, name)
    if not text.lstrip().startswith("<"):
        raise ParseError(f"{name}: not Finlex Akoma Ntoso XML")
    with named_errors(name):
        statutes = parse_statutes(body, name)
    return import_result(statutes, name, ctx)
