"""Ireland: the Irish Statute Book (eISB), where ELI URLs are the API (sources.md 2.11).

An act or statutory instrument is `GET https://www.irishstatutebook.ie/eli/{year}/{act|si}/{n}/
{stage}/en/xml` (stage "enacted" for Acts; SIs are "made", I, unless the listing says otherwise),
XML of ISB's own `legislation.dtd`: `<metadata><title/><number/><year/><dateofenactment/>`, then
`frontmatter` (the long title), `body`, `backmatter`. Special characters are empty elements
(`<afada/>` = á, `<odq/>` = “, `<emdash/>` = —); the real sample shows them.

There is no search API and no EU metadata field. Refresh reads the year listings
(`/eli/{year}/act/` and `/eli/{year}/si/`, HTML; their markup is not documented, so every link of
the form `/eli/{year}/{act|si}/{n}` is taken) and fetches:
* every Act of the year;
* the SIs whose title starts with "European Union" or "European Communities", the titles of
  the regulations made under the European Communities Act 1972 that transpose directives.
EU references come from the long title ("to give effect to Directive (EU) 2016/680", verified
in the real sample) and the text ("for the purpose of giving effect to Directive …" in an SI's
preamble). Which years: as for Finland, from the directive's year to three years after its
deadline, at most `MAX_YEARS`; at most `MAX_DOCUMENTS` documents per refresh.

No coverage is emitted: the SI title filter and the year window can miss an act, so an absence
of findings proves nothing.
"""

from __future__ import annotations

import re
from datetime import date
from html.entities import name2codepoint
from typing import TYPE_CHECKING, Any

from ...clock import utcnow
from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ..parallel import host_workers, ordered_map
from ._payloads import check_not_html, decode, local, named_errors, parse_date, parse_xml, refuse_block_page
from ._runs import all_failed, candidate_measures, directive_scope, http_of, status_of
from ._support import NationalAct, findings_for, harvest_years, import_result, one_line, refs_in_text

if TYPE_CHECKING:
    from ...http import FetchResult

INFO = SOURCES["gazette-ie"]
ENDPOINT_NAME = "GAZETTE_IE"
DEFAULT_ENDPOINT = "https://www.irishstatutebook.ie"
MEMBER_STATE = "IE"
ELI_BASE = "https://www.irishstatutebook.ie/eli"
MAX_YEARS = 8
YEARS_AFTER_DEADLINE = 3
MAX_DOCUMENTS = 400

# ISB's character elements (legislation.dtd); the names in the real sample, plus their obvious kin.
_CHARS = {
    "afada": "á", "efada": "é", "ifada": "í", "ofada": "ó", "ufada": "ú",
    "Afada": "Á", "Efada": "É", "Ifada": "Í", "Ofada": "Ó", "Ufada": "Ú",
    "odq": "“", "cdq": "”", "osq": "‘", "csq": "’", "emdash": "—", "endash": "–", "euro": "€",
}
_EU_SI_TITLE = re.compile(r"^\s*European\s+(?:Union|Communities)\b", re.IGNORECASE)
_LISTED = re.compile(r"/eli/(\d{4})/(act|si)/(\d+)(?:/(enacted|made|revised))?", re.IGNORECASE)
_ANCHOR = re.compile(r"<a\b[^>]*\bhref\s*=\s*[\"']([^\"']+)[\"'][^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


# --- ISB XML -------------------------------------------------------------------------------------


def isb_text(el: Any, *, footnotes: bool = True) -> str:
    """The text of an ISB element with the character elements and named entities put back."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        tag = node.tag
        if not isinstance(tag, str):
            name = getattr(node, "name", None)  # an undeclared entity from the external DTD
            if name and name in name2codepoint:
                parts.append(chr(name2codepoint[name]))
        elif local(tag) in _CHARS:
            parts.append(_CHARS[local(tag)])
        elif local(tag) == "fn" and not footnotes:
            pass
        else:
            parts.append(node.text or "")
            for child in node:
                walk(child)
                parts.append(child.tail or "")

    walk(el)
    return " ".join("".join(parts).split())


def eli_of(year: int | str, doc_type: str, number: int | str, stage: str | None = None) -> str:
    stage = stage or ("enacted" if doc_type == "act" else "made")
    return f"{ELI_BASE}/{int(year)}/{doc_type}/{int(number)}/{stage}/en"


def parse_isb(body: bytes, what: str = "eISB XML", *, doc_type: str | None = None, stage: str | None = None,
              recover: bool = False) -> NationalAct:
    """One Act or SI of the Irish Statute Book XML."""
    root, notes = parse_xml(body, what, recover=recover)
    meta = next((el for el in root.iter() if local(el.tag) == "metadata"), None)
    if meta is None:
        raise ParseError(f"{what}: no <metadata> (not Irish Statute Book XML)")
    fields = {local(c.tag): isb_text(c) for c in meta if local(c.tag)}
    number, year = fields.get("number", ""), fields.get("year", "")
    if not (number.isdecimal() and year.isdecimal() and len(year) == 4):
        raise ParseError(f"{what}: metadata number {number!r} / year {year!r} are not numbers")
    front = next((e for e in root if local(e.tag) == "frontmatter"), None)
    front_text = isb_text(front) if front is not None else ""
    kind = doc_type or ("si" if local(root.tag) == "si" or re.search(r"\bS\.\s?I\.\s+No\.", front_text[:3000])
                        else "act")
    enacted_raw = next((v for k, v in fields.items() if k.startswith("dateof")), None)
    eli = eli_of(year, kind, number, stage)
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=eli,
        national_id=f"No. {int(number)} of {year}" if kind == "act" else f"S.I. No. {int(number)} of {year}",
        fmt="eisb-xml",
        title=fields.get("title") or None,
        type="Act" if kind == "act" else "Statutory Instrument",
        eli=eli,
        url=eli + "/html",
        adopted=parse_date(enacted_raw),
        language="en",
    )
    if enacted_raw and act.adopted is None:
        act.notes.append(f"date {one_line(enacted_raw, 30)!r} is not a date; ignored")
    long_title = _long_title(root)
    act.references.extend(refs_in_text(act.title, "title"))
    act.references.extend(refs_in_text(long_title, "long-title"))
    for part in ("frontmatter", "body", "backmatter"):
        el = next((e for e in root if local(e.tag) == part), None)
        if el is not None:
            text = isb_text(el, footnotes=False)
            if long_title and part == "frontmatter":
                text = text.replace(long_title, " ")
            act.references.extend(refs_in_text(text, part))
    act.extra = {"long_title": long_title, "metadata": fields}
    act.notes.extend(notes)
    return act


def _long_title(root: Any) -> str | None:
    """The long title of an Act ("An Act to …") in the front matter, without its footnotes."""
    front = next((e for e in root if local(e.tag) == "frontmatter"), None)
    if front is None:
        return None
    for p in front.iter():
        if local(p.tag) == "p":
            text = isb_text(p, footnotes=False)
            if text.startswith(("An Act ", "AN ACT ")):
                return text
    return None


# --- year listings --------------------------------------------------------------------------------


def parse_listing(body: bytes, year: int, doc_type: str) -> list[dict[str, Any]]:
    """[{number, stage, title, href}] of an eISB year listing page (HTML; any matching link)."""
    text = decode(body, f"eISB {doc_type} listing of {year}")
    if "<" not in text:
        raise ParseError(f"eISB {doc_type} listing of {year}: not an HTML page")
    items: dict[int, dict[str, Any]] = {}
    for href, inner in _ANCHOR.findall(text):
        m = _LISTED.search(href)
        if not m or int(m.group(1)) != year or m.group(2).lower() != doc_type:
            continue
        number = int(m.group(3))
        title = " ".join(_TAG.sub(" ", inner).split())
        item = items.setdefault(number, {"number": number, "stage": None, "title": "", "href": href})
        if m.group(4) and not item["stage"] and m.group(4).lower() != "revised":
            item["stage"] = m.group(4).lower()
        if len(title) > len(item["title"]):
            item["title"] = title
    return [items[n] for n in sorted(items)]


# --- refresh --------------------------------------------------------------------------------------


def _today() -> date:
    return utcnow().date()


def refresh(ctx: SourceContext) -> SourceResult:
    """Read the Acts and EU SIs of the relevant years; findings only (see the module doc).

    The year listings, then the documents, are independent requests: each set is fetched at once
    (as far as the host's politeness policy allows) and taken in order, as one after another would.
    """
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "Ireland")
    if not directives:
        return result
    http = http_of(ctx, INFO.name, "read the eISB")
    base = endpoint(ctx)
    years, skipped = harvest_years(directives, _today(), MAX_YEARS, YEARS_AFTER_DEADLINE)
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    notes: list[str] = []
    todo: list[tuple[int, str, dict[str, Any]]] = []
    listed = 0

    def listing(job: tuple[int, str]) -> tuple[FetchResult, list[dict[str, Any]]] | SourceError | ParseError:
        year, doc_type = job
        try:
            fetch = http.get(INFO.name, f"{base}/eli/{year}/{doc_type}/", conditional=True)
            refuse_block_page(fetch.body, f"eISB {doc_type} listing of {year}")
            return fetch, parse_listing(fetch.body, year, doc_type)
        except (SourceError, ParseError) as exc:
            return exc

    jobs = [(year, doc_type) for year in years for doc_type in ("act", "si")]
    for (year, doc_type), got in zip(jobs, ordered_map(listing, jobs, host_workers(ctx, base, len(jobs)),
                                                       INFO.name), strict=True):
        if isinstance(got, Exception):
            failures.append(f"{doc_type} listing {year} ({status_of(got)}): {got}")
            continue
        fetch, items = got
        result.fetches.append(fetch)
        listed += len(items)
        if not items and year < _today().year:
            notes.append(f"the {doc_type} listing of {year} has no item: it looks incomplete")
            result.status = "suspect"
        for item in items:
            if doc_type == "act" or _EU_SI_TITLE.match(item["title"]):
                todo.append((year, doc_type, item))
    if len(todo) > MAX_DOCUMENTS:
        notes.append(f"{len(todo) - MAX_DOCUMENTS} of {len(todo)} documents not read (MAX_DOCUMENTS={MAX_DOCUMENTS})")
        todo = todo[:MAX_DOCUMENTS]

    def document(job: tuple[int, str, dict[str, Any]]) -> tuple[str, tuple[FetchResult, NationalAct] | Exception]:
        year, doc_type, item = job
        url = f"{base}/eli/{year}/{doc_type}/{item['number']}/{item['stage'] or _stage(doc_type)}/en/xml"
        ctx.progress(f"gazette-ie: {doc_type} {item['number']} of {year}")
        try:
            fetch = http.get(INFO.name, url, headers={"Accept": "application/xml"}, conditional=True)
            return url, (fetch, parse_isb(fetch.body, url, doc_type=doc_type, stage=item["stage"]))
        except (SourceError, ParseError) as exc:
            return url, exc

    read = 0
    for url, got in ordered_map(document, todo, host_workers(ctx, base, len(todo)), INFO.name):
        if isinstance(got, Exception):
            notes.append(f"{url}: {one_line(str(got), 200)}")
            continue
        fetch, act = got
        read += 1
        result.fetches.append(fetch)
        result.findings.extend(findings_for(act, ctx, fetch, wanted))
    if all_failed(result, failures, 2 * len(years), "year listing"):
        return result
    reason = [f"{listed} listed item(s) in {len(years)} year(s); {read} Act(s)/EU SI(s) read; "
              f"{len(result.findings)} finding(s); no coverage: the year window and the SI title filter "
              "can miss an act"]
    if skipped:
        reason.append(f"years not read (more than MAX_YEARS={MAX_YEARS}): {', '.join(map(str, sorted(skipped)))}")
    if failures:
        reason.append(f"{len(failures)} listing(s) failed: " + "; ".join(failures))
    result.reason = "; ".join(reason + notes)
    return result


def _stage(doc_type: str) -> str:
    return "enacted" if doc_type == "act" else "made"


# --- import ----------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved eISB XML of an Act or SI."""
    text = decode(body, name)
    if not text.lstrip().startswith("<"):
        raise ParseError(f"{name}: not Irish Statute Book XML")
    check_not_html(text, name)
    with named_errors(name):
        act = parse_isb(body, name, recover=True)
    return import_result([act], name, ctx)
