"""Slovakia: the Collection of Laws (Zbierka zákonov) on Slov-Lex, through its static mirror.

The interface: `static.slov-lex.sk`, the JavaScript-free static version of the Ministry of
Justice's portal ("statická verzia portálu"; sources.md §2.1; matematicsolutions/sk-eli-mcp
`DISCOVERY.md`, probed live 2026-06-29; WWL SK/CollectionOfLaws `config.yaml` and `bootstrap.py`):

* `GET {static}/static/SK/ZZ/{year}/` lists the year's items, one table row each:
  `<td>{n}/{year} Z. z.</td><td><a href="{n}/">{title}</a></td>` (WWL's parser);
* `GET {static}/static/SK/ZZ/{year}/{n}/vyhlasene_znenie.html` is the item as promulgated
  ("vyhlásené znenie"), server-rendered: `div.predpisTyp` (Zákon, Nariadenie vlády, …),
  `div.predpisDatum` ("z 29. marca 2011", the date of adoption), `div.predpisNadpis` (the title),
  the text in `div#predpis`. A missing item is a plain 404.
* Its ELI is `https://www.slov-lex.sk/pravne-predpisy/SK/ZZ/{year}/{n}/` (sk-eli-mcp), its
  citation "č. {n}/{year} Z. z.".

There is no search. How a Slovak act says it transposes EU law: a closing provision "Týmto
zákonom sa preberajú právne záväzné akty Európskej únie uvedené v prílohe č. N" and that annex,
headed "Zoznam preberaných právne záväzných aktov Európskej únie", listing the directives
(sources.md §2.1, I). The directives listed under that heading are the publisher's own "EU acts
transposed" annex: a national measure. Any other mention in the text is a citation. An amending
act that gives the amended law its new annex lists every directive of the new annex, so it is
dated by its own adoption, and the original act (when it falls in the years read) by its own.

Refresh: for each selected directive, the years from the directive's to two years after its
transposition deadline (at most `MAX_YEARS`, most recent first); of each year's items, those whose
title shows a type that can transpose (laws, government regulations, ministerial decrees and
measures: not announcements, decisions or Constitutional Court findings), at most
`MAX_DOCUMENTS` a refresh. The date is the act's adoption ("z 29. marca 2011"): the static pages
read here do not show the date of promulgation. No coverage is emitted: the year window and the
type filter can miss an act, so no finding proves no absence.
"""

from __future__ import annotations

import re
import warnings
from datetime import date
from typing import TYPE_CHECKING, Any

from ...clock import utcnow
from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ..parallel import host_workers, ordered_map
from ._payloads import clean, decode, named_errors, refuse_entities
from ._runs import all_failed, candidate_measures, directive_scope, http_of, status_of
from ._support import (
    CITES,
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
    from ...http import FetchResult

INFO = SOURCES["gazette-sk"]
ENDPOINT_NAME = "GAZETTE_SK"
DEFAULT_ENDPOINT = "https://static.slov-lex.sk"
ELI_BASE = "https://www.slov-lex.sk/pravne-predpisy/SK/ZZ"
MEMBER_STATE = "SK"
MAX_YEARS = 6
YEARS_AFTER_DEADLINE = 2
MAX_DOCUMENTS = 1500

ANNEX_HEADING = "Zoznam preberaných právne záväzných aktov Európskej únie"
_ANNEX = re.compile(r"zoznam\s+preberaných\s+právne\s+záväzných\s+aktov\s+európskej\s+únie", re.IGNORECASE)
# Where an annex's list ends: the next annex, the footnotes, or the end of the text.
_ANNEX_END = re.compile(r"\bPríloha\s+č\.|\bPoznámky\b|\bPOZNÁMKY\b")
# Types that can transpose a directive (the start of a listed title).
_READ_TYPES = re.compile(r"^\s*(?:Ústavný\s+zákon|Zákon|Nariadenie\s+vlády|Vyhláška|Výnos|Opatrenie)\b",
                         re.IGNORECASE)
_ROW = re.compile(r"<td[^>]*>\s*(\d+)/(\d{4})\s+Z\.\s*z\.\s*</td>\s*<td[^>]*>\s*"
                  r"<a\s[^>]*?href=\"(\d+)/\"[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
# A numbered item of an annex list: "1. Smernica …" (not "5. apríla", not "15. 4. 2011").
_ITEM = re.compile(r"(?:^|\s)(\d{1,3}\.)\s+(?=[A-ZÁÄČĎÉÍĽĹŇÓÔŔŠŤÚÝŽ])")
_MONTHS = {m: i for i, m in enumerate(
    ("januára", "februára", "marca", "apríla", "mája", "júna", "júla", "augusta", "septembra", "októbra",
     "novembra", "decembra"), start=1)}
_DATED = re.compile(r"\bzo?\s+(\d{1,2})\.\s*([a-záäčďéíľĺňóôŕšťúýž]+)\s+(\d{4})", re.IGNORECASE)


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


def listing_url(base: str, year: int) -> str:
    return f"{base}/static/SK/ZZ/{year}/"


def document_url(base: str, year: int, number: int) -> str:
    return f"{base}/static/SK/ZZ/{year}/{number}/vyhlasene_znenie.html"


# --- pages ---------------------------------------------------------------------------------------


def parse_listing(body: bytes, year: int) -> list[dict[str, Any]]:
    """[{number, title}] of a year listing page, in number order."""
    text = decode(body, f"Slov-Lex listing of {year}")
    items: dict[int, dict[str, Any]] = {}
    for number, listed_year, href, inner in _ROW.findall(text):
        if int(listed_year) != year or number != href or not number.isdecimal():
            continue
        title = " ".join(_unescape(_TAG.sub(" ", inner)).split())
        items.setdefault(int(number), {"number": int(number), "title": title})
    return [items[n] for n in sorted(items)]


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def adopted_on(text: str | None) -> date | None:
    """The date of "z 29. marca 2011" / "zo 7. októbra 2015"."""
    m = _DATED.search(text or "")
    month = _MONTHS.get(m.group(2).lower()) if m else None
    if not m or not month:
        return None
    try:
        return date(int(m.group(3)), month, int(m.group(1)))
    except ValueError:
        return None


def annex_refs(text: str) -> tuple[list[ActRef], str]:
    """(the acts each "Zoznam preberaných …" annex lists, the text without those lists).

    Each numbered item ("1. Smernica …", else each line) lists one act: its first reference is
    the act transposed; the others describe it ("…, ktorou sa nahrádza rámcové rozhodnutie …")
    and are citations."""
    refs: list[ActRef] = []
    rest, pos = [], 0
    for heading in _ANNEX.finditer(text):
        if heading.start() < pos:
            continue
        end = _ANNEX_END.search(text, heading.end())
        stop = end.start() if end else len(text)
        for item in _items(text[heading.end():stop]):
            found = refs_in_text(item, "annex", classify=False)
            refs.extend(ActRef(r.celex, r.kind, IMPLEMENTS if i == 0 else CITES, "annex", r.text,
                               ANNEX_HEADING if i == 0 else None) for i, r in enumerate(found))
        rest.append(text[pos:heading.start()])
        pos = stop
    rest.append(text[pos:])
    return refs, " ".join(rest)


def _items(listed: str) -> list[str]:
    starts = [m.start(1) for m in _ITEM.finditer(listed)]
    if not starts:
        return [line for line in listed.splitlines() if line.strip()]
    return [listed[a:b] for a, b in zip(starts, [*starts[1:], len(listed)], strict=True)]


def parse_document(body: bytes, year: int, number: int, what: str | None = None) -> NationalAct:
    """A NationalAct from a `vyhlasene_znenie.html` page."""
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    what = what or f"Slov-Lex {number}/{year} Z. z."
    text = decode(body, what)
    if "<" not in text:
        raise ParseError(f"{what}: not an HTML page")
    refuse_entities(body, what)
    with warnings.catch_warnings():  # an XML document is refused below (no #predpis), not parsed as XML
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(text, "lxml")  # lxml's HTML parser: no DTD, no entities, no network
    body_el = soup.find(id="predpis")
    if body_el is None:
        lowered = text[:5000].lower()
        if any(m in lowered for m in ("captcha", "cf-chl", "access denied", "request rejected")):
            raise SourceError(f"{what}: a bot check or access-denied page", status="blocked")
        raise ParseError(f"{what}: no <div id=\"predpis\"> (not an act page)")

    def field(css: str) -> str | None:
        el = soup.select_one(css)
        return clean(el.get_text(" ")) if el is not None else None

    kind, dated, title = field("div.predpisTyp"), field("div.predpisDatum"), field("div.predpisNadpis")
    lines = (" ".join(line.split()) for line in body_el.get_text("\n").splitlines())
    full = "\n".join(line for line in lines if line)
    annexed, rest = annex_refs(full)
    national_id = f"č. {number}/{year} Z. z."
    eli = f"{ELI_BASE}/{year}/{number}/"
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=eli,
        national_id=national_id,
        fmt="slov-lex-static-html",
        title=" ".join(p for p in (kind, title) if p) or None,
        type=kind,
        eli=eli,
        url=eli,
        adopted=adopted_on(dated),
        language="sk",
    )
    act.references.extend(annexed)
    act.references.extend(refs_in_text(title, "title"))
    act.references.extend(refs_in_text(rest, "text"))
    act.extra = {"adopted_as_printed": dated, "annex": bool(annexed)}
    if _ANNEX.search(full) and not annexed:
        act.notes.append(f"a \"{ANNEX_HEADING}\" heading without a readable EU act under it")
    return act


# --- refresh ----------------------------------------------------------------------------------------


def _today() -> date:
    return utcnow().date()


def refresh(ctx: SourceContext) -> SourceResult:
    """Read the laws and regulations of the relevant years; findings only (see the module doc)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "Slovakia")
    if not directives:
        return result
    http = http_of(ctx, INFO.name, "read Slov-Lex")
    base = endpoint(ctx)
    years, skipped = harvest_years(directives, _today(), MAX_YEARS, YEARS_AFTER_DEADLINE)
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    notes: list[str] = []
    todo: list[tuple[int, dict[str, Any]]] = []
    listed = 0

    def listing(year: int) -> tuple[FetchResult, list[dict[str, Any]]] | SourceError | ParseError:
        try:
            fetch = http.get(INFO.name, listing_url(base, year), conditional=True)
            check_not_html_block(fetch.body, f"Slov-Lex listing of {year}")
            return fetch, parse_listing(fetch.body, year)
        except (SourceError, ParseError) as exc:
            return exc

    for year, got in zip(years, ordered_map(listing, years, host_workers(ctx, base, len(years)), INFO.name),
                         strict=True):
        if isinstance(got, Exception):
            failures.append(f"listing {year} ({status_of(got)}): {got}")
            continue
        fetch, items = got
        result.fetches.append(fetch)
        listed += len(items)
        if not items and year < _today().year:
            notes.append(f"the listing of {year} has no item: it looks incomplete")
            result.status = "suspect"
        todo.extend((year, item) for item in items if _READ_TYPES.match(item["title"]))
    if len(todo) > MAX_DOCUMENTS:
        notes.append(f"{len(todo) - MAX_DOCUMENTS} of {len(todo)} acts not read (MAX_DOCUMENTS={MAX_DOCUMENTS})")
        todo = todo[:MAX_DOCUMENTS]

    def document(job: tuple[int, dict[str, Any]]) -> tuple[str, tuple[FetchResult, NationalAct] | Exception]:
        year, item = job
        url = document_url(base, year, item["number"])
        ctx.progress(f"gazette-sk: {item['number']}/{year} Z. z.")
        try:
            fetch = http.get(INFO.name, url, headers={"Accept": "text/html"}, conditional=True)
            return url, (fetch, parse_document(fetch.body, year, item["number"], url))
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
        notes.extend(f"{act.national_id}: {n}" for n in act.notes)
        result.findings.extend(findings_for(act, ctx, fetch, wanted))
    if all_failed(result, failures, len(years), "year listing"):
        return result
    reason = [f"{listed} listed item(s) in {len(years)} year(s); {read} law(s)/regulation(s) read; "
              f"{len(result.findings)} finding(s); no coverage: the year window and the type filter can miss an act"]
    if skipped:
        reason.append(f"years not read (more than MAX_YEARS={MAX_YEARS}): {', '.join(map(str, sorted(skipped)))}")
    if failures:
        reason.append(f"{len(failures)} listing(s) failed: " + "; ".join(failures))
    result.reason = "; ".join(reason + notes)
    return result


def check_not_html_block(body: bytes, what: str) -> None:
    """A listing is HTML by nature; a bot check or an access-denied page still is not a listing."""
    text = body[:5000].decode("utf-8", errors="replace").lower()
    if any(m in text for m in ("captcha", "cf-chl", "access denied", "request rejected")):
        raise SourceError(f"{what}: a bot check or access-denied page", status="blocked")


# --- import ----------------------------------------------------------------------------------------

_SAVED = re.compile(r"/SK/ZZ/(\d{4})/(\d+)/")


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved `vyhlasene_znenie.html` page (its year and number are read from a file
    name such as `2013-204.html`, else from the page's first `/SK/ZZ/{year}/{number}/` link)."""
    text = decode(body, name)
    m = re.search(r"(\d{4})[-_](\d+)", name) or _SAVED.search(text)
    if not m:
        raise ParseError(f"{name}: no /SK/ZZ/{{year}}/{{number}}/ link in the page and no year-number in the "
                         "file name (e.g. 2013-204.html)")
    with named_errors(name):
        act = parse_document(body, int(m.group(1)), int(m.group(2)), name)
    return import_result([act], name, ctx)
