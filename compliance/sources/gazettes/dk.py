"""Denmark: Retsinformation (Lovtidende), through its harvest API and the documents' LexDania XML.

sources.md §2.3. Retsinformation has no search API. What it offers is a harvest API:

    GET https://api.retsinformation.dk/v1/Documents?date=YYYY-MM-DD
    -> [{"documentId", "accessionsnummer", "reasonForChange" (New / … / RemovedDocument),
         "changeDate", "documentType": {"id", "shortName"}, "href": ".../eli/accn/{accn}/xml"}]

with three documented limits, all enforced here:
  * only the last 10 days can be asked for (`HARVEST_DAYS`);
  * ONE call per 10 seconds (`HARVEST_PACER`, a module-level pacer with an injectable clock and
    sleep, so that the pace also holds between two refreshes in one process). The HttpClient's
    own retries of a 5xx happen inside one call and are NOT paced by this module: to pace them
    too, set `[http.hosts."api.retsinformation.dk"] concurrency = 1, min_interval = 10`;
  * service hours 03:00-23:45 Danish time; outside them the API answers HTTP 400. The hours are
    checked before every call on the clock `_now` (injectable) in zone Europe/Copenhagen; outside
    them the source reports "unavailable" with the reason, never an empty result.
The field names of the harvest answer come from repository code, not from a captured payload
(sources.md says so), so items without an accession number are skipped with a note.

Each listed document is then read as LexDania 2.1 XML (`/eli/accn/{accn}/xml`; `<Dokument>` with
no namespace, `<Meta>` DocumentType, AccessionNumber, DocumentTitle, Year, Number, DiesSigni
(signature = adoption), DiesEdicti (publication), StartDate (entry into force), Status,
AnnouncedIn, Ministry) and, when it has an ELI, its ELI metadata `/eli/lta/{y}/{n}.json`, whose
`eli:transposes` (if the publisher fills it: sources.md marks it (I)) is a strong EU link.
References come from `compliance.refs.extract` on the title and the text. A reference inside a
Danish EU note ("Loven/Bekendtgørelsen indeholder bestemmelser, der gennemfører … direktiv …",
sources.md §2.13 (I)) is a transposition; any other is a mention (see `_support`).

Coverage: NONE, on purpose. The harvest only sees documents changed in the last 10 days, so it
can never show that Denmark has *not* adopted a measure; only an absence over the whole corpus
could. Findings from here only ever add evidence.

Endpoints: GAZETTE_DK (the harvest API host) and GAZETTE_DK_ELI (the document host, for a
replay server; keys and URLs always use the public www.retsinformation.dk ELI).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING, Any

from ... import refs
from ...errors import BlockedError, ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ._payloads import (
    clean,
    decode,
    local,
    looks_like_html,
    parse_date,
    parse_json,
    parse_xml,
    raise_error_answer,
    text_of,
)
from ._runs import Pacer, candidate_measures, common_status, http_of, status_of, unselected, wanted_state
from ._support import BasisAct, findings_for, other_references

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

    from ...http import FetchResult

INFO = SOURCES["gazette-dk"]
MEMBER_STATE = "DK"
ENDPOINT_NAME = "GAZETTE_DK"
DEFAULT_ENDPOINT = "https://api.retsinformation.dk"
ELI_ENDPOINT_NAME = "GAZETTE_DK_ELI"
DEFAULT_ELI_ENDPOINT = "https://www.retsinformation.dk"
PUBLIC_ELI = "https://www.retsinformation.dk"  # keys and URLs: stable whatever the endpoint

TIMEZONE = "Europe/Copenhagen"
SERVICE_OPENS = dtime(3, 0)
SERVICE_CLOSES = dtime(23, 45)
HARVEST_DAYS = 10
HARVEST_INTERVAL = 10.0  # seconds between two harvest calls (sources.md §2.3)
HARVEST_PACER = Pacer(HARVEST_INTERVAL)
FETCH_ELI_METADATA = True  # also read /eli/lta/{y}/{n}.json for eli:transposes

_ACCN_IN_HREF = re.compile(r"/eli/accn/([A-Za-z0-9]+)")
_ACCN = re.compile(r"^[A-Z][0-9]{8,14}$")
# A Danish EU note: "… indeholder bestemmelser, der gennemfører …", "til gennemførelse af …",
# "implementerer …" (sources.md §2.13, (I)). A reference counts as in the note when such a verb
# precedes it within NOTE_REACH characters with no new provision ("§", "Stk.") in between.
_NOTE_VERB = re.compile(r"\b(?:gennemfør\w*|implementer\w*)", re.IGNORECASE)
_PROVISION = re.compile(r"§|\bStk\.")
NOTE_REACH = 1500
# "direktiv (EU) 2024/1712 om ændring af direktiv 2011/36/EU": the second act is only named in the
# title of the first, which is the one implemented; such a reference stays a mention.
_IN_OTHER_TITLE = re.compile(r"(?:ændring\w*\s+af|ændrer|ophævelse\s+af|erstatning\s+af)\W+(?:\w+\W+){0,6}$",
                             re.IGNORECASE)


def _now() -> datetime:
    """The current time (tz-aware); tests replace it."""
    return datetime.now(UTC)


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


def eli_endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ELI_ENDPOINT_NAME, DEFAULT_ELI_ENDPOINT).rstrip("/")


# --- service hours -------------------------------------------------------------------------------


def danish_time(now: datetime | None = None) -> datetime:
    """`now` (default `_now()`) in Danish local time; SourceError if the zone data is missing."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    moment = now or _now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(ZoneInfo(TIMEZONE))
    except ZoneInfoNotFoundError:
        raise SourceError(f"time zone {TIMEZONE} is not installed (pip install tzdata): cannot tell "
                          "whether Retsinformation's service hours are open", status="failed") from None


def closed_reason(local_time: datetime) -> str | None:
    """Why the harvest API cannot be called at `local_time` (Danish), or None when it is open."""
    if SERVICE_OPENS <= local_time.time() < SERVICE_CLOSES:
        return None
    return (f"Retsinformation's harvest API is only served {SERVICE_OPENS:%H:%M}-{SERVICE_CLOSES:%H:%M} "
            f"Danish time (HTTP 400 outside); it is {local_time:%Y-%m-%d %H:%M} {TIMEZONE}")


def harvest_dates(today: date, days: int = HARVEST_DAYS) -> list[date]:
    """The dates the harvest API can still list, oldest first (today and the 9 days before)."""
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


# --- the harvest list ----------------------------------------------------------------------------


@dataclass
class HarvestItem:
    accession: str
    reason: str | None
    change_date: str | None
    document_id: Any
    document_type: str | None
    href: str | None
    harvest_date: str | None = None


@dataclass
class HarvestList:
    items: list[HarvestItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_harvest(body: bytes, harvest_date: str | None = None) -> HarvestList:
    """The documents of one `/v1/Documents?date=` answer (an empty `[]` is valid: nothing changed)."""
    what = f"Retsinformation harvest {harvest_date or ''}".rstrip()
    data = parse_json(body, what, html_error=ParseError)
    if isinstance(data, dict):
        raise_error_answer(data, ("message", "Message", "error", "title", "detail"), what)
        raise ParseError(f"{what}: expected a JSON array of documents, got an object")
    if not isinstance(data, list):
        raise ParseError(f"{what}: expected a JSON array of documents, got {type(data).__name__}")
    out = HarvestList()
    for n, raw in enumerate(data):
        if not isinstance(raw, dict):
            raise ParseError(f"{what}: item {n} is not an object")
        href = raw.get("href") if isinstance(raw.get("href"), str) else None
        accession = clean(raw.get("accessionsnummer")) if isinstance(raw.get("accessionsnummer"), str) else None
        if accession is None and href and (m := _ACCN_IN_HREF.search(href)):
            accession = m.group(1)
        if accession is None or not _ACCN.match(accession):
            out.notes.append(f"item {n}: no usable accession number ({accession or href or 'none'}); skipped")
            continue
        doc_type = raw.get("documentType")
        type_name = clean(doc_type.get("shortName")) if isinstance(doc_type, dict) else clean(doc_type)
        out.items.append(HarvestItem(
            accession=accession,
            reason=clean(raw.get("reasonForChange")),
            change_date=clean(raw.get("changeDate")),
            document_id=raw.get("documentId") if isinstance(raw.get("documentId"), str | int) else None,
            document_type=type_name,
            href=href,
            harvest_date=harvest_date,
        ))
    return out


# --- one document --------------------------------------------------------------------------------


def _meta(meta: Element | None, name: str) -> str | None:
    if meta is None:
        return None
    for child in meta:
        if local(child.tag) == name:
            return clean(child.text)
    return None


def eli_of(accession: str | None, year: str | None, number: str | None, announced_in: str | None) -> str | None:
    """The document's ELI: /eli/lta/{year}/{number} for Lovtidende A, else /eli/accn/{accession}."""
    if year and number and year.isdecimal() and number.isdecimal() and (announced_in or "").lower() == "lovtidende a":
        return f"{PUBLIC_ELI}/eli/lta/{int(year)}/{int(number)}"
    if accession and _ACCN.match(accession):
        return f"{PUBLIC_ELI}/eli/accn/{accession}"
    return None


def in_eu_note(text: str, ref: refs.Reference) -> bool:
    """Whether `ref` sits in a Danish EU note (an implementing verb before it, in the same provision)."""
    window = text[max(0, ref.start - NOTE_REACH):ref.start]
    verbs = list(_NOTE_VERB.finditer(window))
    if not verbs or _PROVISION.search(window, verbs[-1].end()):
        return False
    return not _IN_OTHER_TITLE.search(window[-120:])


def parse_lexdania(body: bytes, name: str = "LexDania XML") -> BasisAct:
    """A Retsinformation document (LexDania 2.1 XML, `<Dokument>` + `<Meta>`) with the EU acts it names."""
    # An HTML page is not a LexDania document (a ParseError here); the refresh reports it as a block.
    root, _ = parse_xml(body, name, html_error=None)
    if local(root.tag) != "Dokument":
        raise ParseError(f"{name}: not a LexDania document (root <{local(root.tag) or '?'}>, expected <Dokument>)")
    meta = next((c for c in root if local(c.tag) == "Meta"), None)
    if meta is None:
        raise ParseError(f"{name}: LexDania document without <Meta>")
    accession = _meta(meta, "AccessionNumber")
    year, number = _meta(meta, "Year"), _meta(meta, "Number")
    announced = _meta(meta, "AnnouncedIn")
    key = eli_of(accession, year, number, announced)
    if key is None:
        raise ParseError(f"{name}: neither Year/Number in Lovtidende A nor an AccessionNumber: no stable id")
    doc_type = _meta(meta, "DocumentType")
    short_type = doc_type.split()[0] if doc_type else None
    title = _meta(meta, "DocumentTitle") or text_of(next((c for c in root.iter() if local(c.tag) == "Titel"), None),
                                                     " ") or None
    popular = _meta(meta, "PopularTitle")
    signed = parse_date(_meta(meta, "DiesSigni"))
    act = BasisAct(
        key=key,
        member_state=MEMBER_STATE,
        title=title,
        type=short_type,
        url=key,
        reference=(f"{short_type} nr. {number} af {signed:%d/%m/%Y}" if short_type and number and signed else None),
        adopted=signed,
        published=parse_date(_meta(meta, "DiesEdicti")),
        in_force=parse_date(_meta(meta, "StartDate")),
        # LBK = lovbekendtgørelse, a consolidation of a law as amended (see _support on dates).
        consolidated=(short_type or "").upper() == "LBK",
    )
    act.data.update({
        "accession_number": accession,
        "document_type": doc_type,
        "popular_title": popular,
        "year": year,
        "number": number,
        "status": _meta(meta, "Status"),
        "announced_in": announced,
        "ministry": _meta(meta, "Ministry"),
        "end_date": _meta(meta, "EndDate"),
    })
    for label in (title, popular):
        for ref in refs.extract(label or ""):
            act.add(ref.celex, "title")
    body_text = " ".join(
        " ".join(child.itertext()) for child in root if local(child.tag) != "Meta"
    )
    body_text = " ".join(body_text.split())
    note: set[str] = set()
    for ref in refs.extract(body_text):
        if in_eu_note(body_text, ref):
            act.add(ref.celex, "eu-note")
            note.add(ref.celex)
        else:
            act.add(ref.celex, "text")
    act.data["eu_note_references"] = sorted(note)
    return act


def parse_eli_metadata(body: bytes, name: str = "ELI metadata") -> dict[str, Any]:
    """`eli:transposes` values of an ELI JSON document (any key ending in "transposes").

    The JSON shape is not documented (sources.md §2.3 (I)), so the document is walked whole and
    every value under such a key (a string or an {"@id": …} object, or a list of them) is read
    with `refs.extract` (EU ELI URIs and CELEX numbers). Returns {"values": [...], "celex": [...]}.
    """
    data = parse_json(body, name, html_error=ParseError)
    values: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            values.append(value)
        elif isinstance(value, dict):
            for k in ("@id", "@value", "id", "value"):
                if isinstance(value.get(k), str):
                    values.append(value[k])
        elif isinstance(value, list):
            for v in value:
                collect(v)

    stack: list[Any] = [data]
    seen = 0
    while stack and seen < 100_000:
        seen += 1
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str) and k.lower().rsplit("#", 1)[-1].rsplit(":", 1)[-1].endswith("transposes"):
                    collect(v)
                else:
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)
    celex = sorted({r.celex for v in values for r in refs.extract(v)})
    return {"values": sorted(set(values)), "celex": celex}


# --- refresh -------------------------------------------------------------------------------------


@dataclass
class _Run:
    result: SourceResult = field(default_factory=SourceResult)
    days_done: list[str] = field(default_factory=list)
    day_failures: list[tuple[str, str, str]] = field(default_factory=list)  # (date, status, reason)
    doc_failures: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    closed: str | None = None


def _harvest(ctx: SourceContext, run: _Run) -> dict[str, HarvestItem]:
    assert ctx.http is not None
    base = endpoint(ctx)
    items: dict[str, HarvestItem] = {}
    today = danish_time().date()
    for day in harvest_dates(today):
        reason = closed_reason(danish_time())
        if reason:
            run.closed = reason
            run.day_failures.append((day.isoformat(), "unavailable", reason))
            continue
        ctx.progress(f"gazette-dk: harvest {day.isoformat()}")
        try:
            with HARVEST_PACER.paced():
                fetch = ctx.http.get(INFO.name, f"{base}/v1/Documents", params={"date": day.isoformat()},
                                     headers={"Accept": "application/json"}, conditional=False, ok_statuses=(400,))
            run.result.fetches.append(fetch)
            if fetch.status_code == 400:
                raise SourceError(
                    f"HTTP 400 for date {day.isoformat()}: the harvest API answers so outside its service hours "
                    f"and for dates beyond the last {HARVEST_DAYS} days", status="unavailable")
            listed = parse_harvest(fetch.body, day.isoformat())
        except (SourceError, ParseError) as exc:
            run.day_failures.append((day.isoformat(), status_of(exc), str(exc)))
            continue
        run.days_done.append(day.isoformat())
        run.notes.extend(f"{day.isoformat()}: {n}" for n in listed.notes)
        for item in listed.items:
            items[item.accession] = item  # the latest day's entry wins
    return items


def _read_document(ctx: SourceContext, item: HarvestItem, run: _Run) -> tuple[BasisAct, FetchResult] | None:
    assert ctx.http is not None
    base = eli_endpoint(ctx)
    url = f"{base}/eli/accn/{item.accession}/xml"
    try:
        fetch = ctx.http.get(INFO.name, url, headers={"Accept": "application/xml"})
        run.result.fetches.append(fetch)
        if looks_like_html(fetch.body):
            raise BlockedError(f"{url}: an HTML page instead of LexDania XML")
        act = parse_lexdania(fetch.body, f"Retsinformation {item.accession}")
    except (SourceError, ParseError) as exc:
        run.doc_failures.append((item.accession, str(exc)))
        return None
    act.data["harvest"] = {"date": item.harvest_date, "reason_for_change": item.reason,
                           "change_date": item.change_date, "document_id": item.document_id}
    year, number = act.data.get("year"), act.data.get("number")
    if FETCH_ELI_METADATA and act.key.startswith(f"{PUBLIC_ELI}/eli/lta/") and year and number:
        meta_url = f"{base}/eli/lta/{int(year)}/{int(number)}.json"
        try:
            meta = ctx.http.get(INFO.name, meta_url, headers={"Accept": "application/json"}, ok_statuses=(404,))
            run.result.fetches.append(meta)
            if meta.status_code == 404:
                act.data["eli_metadata"] = {"url": meta_url, "status": "not found"}
            else:
                parsed = parse_eli_metadata(meta.body, meta_url)
                act.add_all(parsed["celex"], "eli-transposes")
                act.data["eli_metadata"] = {"url": meta_url, "sha256": meta.sha256, "transposes": parsed["values"]}
        except (SourceError, ParseError) as exc:
            # Optional metadata: the XML was read, so the act is kept; the gap is said.
            act.data["eli_metadata"] = {"url": meta_url, "error": str(exc)}
    return act, fetch


def refresh(ctx: SourceContext) -> SourceResult:
    """Harvest the last 10 days, read each new document, report the catalogued EU acts they name."""
    run = _Run()
    result = run.result
    result.reason = unselected(ctx, MEMBER_STATE, "Denmark")
    if result.reason:
        return result
    http_of(ctx, INFO.name)
    measures = candidate_measures(ctx)
    if not measures:
        result.reason = "no selected measure has a CELEX number"
        return result
    reason = closed_reason(danish_time())
    if reason:
        result.status, result.reason = "unavailable", reason
        return result
    items = _harvest(ctx, run)
    if not run.days_done:
        result.status = common_status(s for _, s, _ in run.day_failures)
        result.reason = f"no harvest day could be read; first: {run.day_failures[0][0]}: {run.day_failures[0][2]}"
        return result
    removed = {a for a, i in items.items() if (i.reason or "").lower() == "removeddocument"}
    acts = []
    for item in items.values():
        if item.accession in removed:
            continue
        read = _read_document(ctx, item, run)
        if read is None:
            continue
        act, fetch = read
        acts.append(act)
        result.findings.extend(findings_for(act, ctx, fetch, measures))
    strong = sum(1 for f in result.findings if f.kind == "national-measure")
    parts = [
        f"harvested {len(run.days_done)} of {HARVEST_DAYS} days ({run.days_done[0]}..{run.days_done[-1]})",
        f"{len(items)} document(s) listed, {len(removed)} removed (skipped), {len(acts)} read",
        f"{len(result.findings)} finding(s) about catalogued acts ({strong} transposition, "
        f"{len(result.findings) - strong} mention)",
        "no coverage: the harvest only sees the last 10 days and cannot show an absence",
    ]
    others = other_references(acts, measures)
    if others:
        parts.append(f"other EU acts named: {', '.join(others[:20])}{' …' if len(others) > 20 else ''}")
    parts.extend(run.notes[:5])
    if run.day_failures or run.doc_failures:
        # A missed day or document may be a transposing act, and after 10 days it cannot be
        # harvested again: that must be visible, so the run is not "ok".
        result.status = "unavailable" if run.closed and not run.doc_failures else "failed"
        missed = [f"day {d}: {r}" for d, _, r in run.day_failures[:3]]
        missed += [f"document {a}: {r}" for a, r in run.doc_failures[:3]]
        parts.insert(0, f"{len(run.day_failures)} harvest day(s) and {len(run.doc_failures)} document(s) "
                        f"could not be read ({'; '.join(missed)})")
    result.reason = "; ".join(parts)
    return result


# --- import --------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved LexDania XML document (`…/eli/lta/{y}/{n}/xml` or `…/eli/accn/{a}/xml`).

    Imports give findings only, never coverage.
    """
    head = decode(body, name).lstrip()[:200]
    if head.startswith(("[", "{")):
        raise ParseError(f"{name}: JSON (a harvest list or ELI metadata) names no EU acts by itself; "
                         "import the document's LexDania XML (…/eli/accn/{accession}/xml)")
    act = parse_lexdania(body, name)
    measures = candidate_measures(ctx)
    result = SourceResult()
    if wanted_state(ctx, MEMBER_STATE):
        result.findings = findings_for(act, ctx, None, measures)
    others = other_references([act], measures)
    result.reason = (f"{act.key}: {len(act.references)} EU act(s) named, {len(result.findings)} catalogued"
                     + (f"; others: {', '.join(others)}" if others else ""))
    return result
