"""Belgium: the Moniteur belge / Belgisch Staatsblad through its ELI URLs on ejustice.just.fgov.be.

There is no API and no EU metadata field; the ELI URLs are the interface (sources.md 2.1; the
Belgian ELI entry of the EU ELI register, eur-lex.europa.eu/eli-register/belgium.html, as cited by
worldwidelaw/legal-sources `sources/BE/moniteurbelge/config.yaml`, which also documents the paths
below and a pace of one request every two seconds):

* `GET {base}/eli/loi/{year}`: the year listing of the federal laws (HTML), one row per act with
  its title ("7 JANVIER 2024. - Loi modifiant …") and links
  `/eli/loi/{yyyy}/{mm}/{dd}/{numac}/moniteur` (the text as published) and `…/justel` (the
  consolidated text). Its markup is not documented: every link of that form is taken, and the
  row's text before it is the title;
* `GET {base}/eli/loi/{yyyy}/{mm}/{dd}/{numac}/moniteur`: the act as published (HTML, French by
  default). The `moniteur` text is read, not `justel`: a consolidated text may carry the EU links
  of later amendments, so its date would be wrong.

Belgian laws say what they transpose in an article of their own ("Art. 2. La présente loi
transpose la directive (UE) 2024/1712 …", "Deze wet voorziet in de omzetting van richtlijn …"): the
shared wording rule reads it as an implementing link (national measure); any other mention is a
citation. The ELI date is the act's own date (promulgation), the finding's date when no
publication date is found on the page ("Publication : …" / "Publicatie : …").

Which acts: the federal laws (`loi`) of the years from each directive's year to three after its
deadline (at most `MAX_YEARS`, at most `MAX_DOCUMENTS` acts a refresh). Royal decrees (`arrete`),
the Communities' and Regions' decrees and ordinances are NOT read, so no coverage is emitted: an
absence of findings proves nothing.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import TYPE_CHECKING, Any

from ...clock import utcnow
from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ..parallel import host_workers, ordered_map
from ._payloads import named_errors, parse_date, refuse_block_page
from ._runs import all_failed, candidate_measures, directive_scope, http_of, status_of
from ._support import NationalAct, findings_for, harvest_years, import_result, one_line, refs_in_text

if TYPE_CHECKING:
    from ...http import FetchResult

INFO = SOURCES["gazette-be"]
ENDPOINT_NAME = "GAZETTE_BE"
DEFAULT_ENDPOINT = "https://www.ejustice.just.fgov.be"
ELI_BASE = "https://www.ejustice.just.fgov.be/eli"
MEMBER_STATE = "BE"
MAX_YEARS = 6
YEARS_AFTER_DEADLINE = 3
MAX_DOCUMENTS = 400

_LINK = re.compile(r"/eli/loi/(\d{4})/(\d{2})/(\d{2})/(\d{10})(?:/(justel|moniteur))?")
_ELI_PAGE = re.compile(r"/eli/loi/(\d{4})/(\d{2})/(\d{2})/(\d{10})")
_ROW = re.compile(r"<tr\b.*?</tr\s*>", re.IGNORECASE | re.DOTALL)
_DROP = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)
_TITLE = re.compile(r"\b(\d{1,2}(?:er)?\s+[^\W\d_]+\s+\d{4})\s*\.\s*[-–]\s*((?:Loi|Wet|Gesetz)\b[^\n]{0,600})",
                    re.IGNORECASE)
_PUBLISHED = re.compile(r"\b(?:Publication|Publicatie|Publié le|Bekendgemaakt op)\s*:?\s*"
                        r"(\d{4}-\d{2}-\d{2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})", re.IGNORECASE)


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


# --- HTML ----------------------------------------------------------------------------------------


def decode_page(body: bytes, what: str, content_type: str | None = None) -> str:
    """An HTML page as a string: UTF-8, else the charset the page or its Content-Type declares
    (ejustice pages have long been ISO-8859-1), else Windows-1252."""
    if not isinstance(body, bytes | bytearray):
        raise ParseError(f"{what}: expected bytes, got {type(body).__name__}")
    body = bytes(body)
    if not body.strip():
        raise ParseError(f"{what}: empty body")
    try:
        raw = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        m = re.search(r"charset=([\w-]+)", content_type or "", re.IGNORECASE) or _CHARSET.search(body[:4000])
        declared = (m.group(1).decode() if isinstance(m.group(1), bytes) else m.group(1)) if m else None
        try:
            raw = body.decode(declared or "cp1252")
        except (LookupError, UnicodeDecodeError):
            raise ParseError(f"{what}: neither UTF-8 nor the declared charset {declared!r}") from None
    if "<" not in raw:
        raise ParseError(f"{what}: not an HTML page")
    return raw


def html_text(raw: str) -> str:
    """The text of a page: scripts and tags dropped, entities decoded, one line per block."""
    text = _DROP.sub(" ", raw)
    text = re.sub(r"<(?:br|/p|/div|/tr|/li|/h\d|/td)\b[^>]*>", "\n", text, flags=re.IGNORECASE)
    text = unescape(_TAG.sub(" ", text))
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def parse_listing(body: bytes, year: int, content_type: str | None = None) -> list[dict[str, Any]]:
    """[{date, numac, title}] of a `/eli/loi/{year}` listing: every ELI link of a law of that year."""
    raw = decode_page(body, f"ejustice law listing of {year}", content_type)
    rows = _ROW.findall(raw) or [raw]
    items: dict[str, dict[str, Any]] = {}
    for row in rows:
        for m in _LINK.finditer(row):
            y, mm, dd, numac = m.group(1), m.group(2), m.group(3), m.group(4)
            when = parse_date(f"{y}-{mm}-{dd}")
            if int(y) != year or when is None:
                continue
            tag_start = row.rfind("<", 0, m.start())  # the link sits in an attribute of that tag
            before = " ".join(unescape(_TAG.sub(" ", row[: max(tag_start, 0)])).split())
            title = _TITLE.search(before)
            item = items.setdefault(numac, {"date": when, "numac": numac, "title": None})
            if title and not item["title"]:
                item["title"] = f"{title.group(1)}. - {title.group(2).strip()}"
    return [items[n] for n in sorted(items)]


def eli_of(when: date, numac: str) -> str:
    return f"{ELI_BASE}/loi/{when:%Y/%m/%d}/{numac}"


def parse_act(body: bytes, what: str = "Moniteur belge act", *, when: date | None = None, numac: str | None = None,
              listed_title: str | None = None, content_type: str | None = None) -> NationalAct:
    """One law as published (the `/moniteur` page), or a saved copy of such a page."""
    raw = decode_page(body, what, content_type)
    text = html_text(raw)
    if when is None or numac is None:
        m = _ELI_PAGE.search(raw)
        if m is None:
            raise ParseError(f"{what}: no ELI of a Belgian law (/eli/loi/yyyy/mm/dd/numac) in the page")
        when, numac = parse_date(f"{m.group(1)}-{m.group(2)}-{m.group(3)}"), m.group(4)
        if when is None:
            raise ParseError(f"{what}: the ELI date {m.group(0)!r} is not a date")
    found = _TITLE.search(text)
    title = f"{found.group(1)}. - {found.group(2).strip()}" if found else listed_title
    if not found and not listed_title:
        raise ParseError(f"{what}: no law title (\"D MOIS YYYY. - Loi …\") in the page")
    published = None
    pub = _PUBLISHED.search(text)
    if pub:
        raw = pub.group(1)
        parts = re.split(r"[-/.]", raw)
        published = parse_date(raw) if len(parts[0]) == 4 else parse_date(f"{parts[2]}-{int(parts[1]):02d}-"
                                                                           f"{int(parts[0]):02d}")
    eli = eli_of(when, numac)
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=eli,
        national_id=f"NUMAC {numac}",
        fmt="moniteur-belge-html",
        title=one_line(title, 500) if title else None,
        type="Loi / Wet",
        eli=eli,
        url=f"{eli}/moniteur",
        adopted=when,
        published=published,
        language="fr",
    )
    body_text = text.replace(found.group(0), " ", 1) if found else text
    act.references.extend(refs_in_text(act.title, "title"))
    act.references.extend(refs_in_text(body_text, "text"))
    act.extra = {"numac": numac}
    if pub and published is None:
        act.notes.append(f"publication date {pub.group(1)!r} is not a date; ignored")
    return act


# --- refresh -------------------------------------------------------------------------------------


def _today() -> date:
    return utcnow().date()


def refresh(ctx: SourceContext) -> SourceResult:
    """Read the federal laws of the relevant years as published; findings only (see the module doc)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "Belgium")
    if not directives:
        return result
    http = http_of(ctx, INFO.name, "read the Moniteur belge")
    base = endpoint(ctx)
    years, skipped = harvest_years(directives, _today(), MAX_YEARS, YEARS_AFTER_DEADLINE)
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    notes: list[str] = []
    todo: list[dict[str, Any]] = []

    def listing(year: int) -> tuple[FetchResult, list[dict[str, Any]]] | SourceError | ParseError:
        try:
            fetch = http.get(INFO.name, f"{base}/eli/loi/{year}", headers={"Accept-Language": "fr"},
                             conditional=True)
            refuse_block_page(fetch.body, f"ejustice law listing of {year}")
            return fetch, parse_listing(fetch.body, year, fetch.content_type)
        except (SourceError, ParseError) as exc:
            return exc

    for year, got in zip(years, ordered_map(listing, years, host_workers(ctx, base, len(years)), INFO.name),
                         strict=True):
        if isinstance(got, Exception):
            failures.append(f"listing {year} ({status_of(got)}): {got}")
            continue
        fetch, items = got
        result.fetches.append(fetch)
        if not items and year < _today().year:
            notes.append(f"the law listing of {year} has no item: it looks incomplete")
            result.status = "suspect"
        todo.extend(items)
    listed = len(todo)
    if len(todo) > MAX_DOCUMENTS:
        notes.append(f"{len(todo) - MAX_DOCUMENTS} of {len(todo)} laws not read (MAX_DOCUMENTS={MAX_DOCUMENTS})")
        todo = todo[:MAX_DOCUMENTS]

    def document(item: dict[str, Any]) -> tuple[str, tuple[FetchResult, NationalAct] | Exception]:
        url = f"{base}/eli/loi/{item['date']:%Y/%m/%d}/{item['numac']}/moniteur"
        ctx.progress(f"gazette-be: NUMAC {item['numac']}")
        try:
            fetch = http.get(INFO.name, url, headers={"Accept-Language": "fr"}, conditional=True)
            refuse_block_page(fetch.body, url)
            return url, (fetch, parse_act(fetch.body, url, when=item["date"], numac=item["numac"],
                                          listed_title=item["title"], content_type=fetch.content_type))
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
    if all_failed(result, failures, len(years), "law listing"):
        return result
    reason = [f"{listed} law(s) listed in {len(years)} year(s); {read} read as published; "
              f"{len(result.findings)} finding(s); no coverage: royal decrees and the Communities' and "
              "Regions' acts are not read"]
    if skipped:
        reason.append(f"years not read (more than MAX_YEARS={MAX_YEARS}): {', '.join(map(str, sorted(skipped)))}")
    if failures:
        reason.append(f"{len(failures)} listing(s) failed: " + "; ".join(failures))
    result.reason = "; ".join(reason + notes)
    return result


# --- import --------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved page of a Belgian law as published (`/eli/loi/…/moniteur`)."""
    with named_errors(name):
        act = parse_act(body, name)
    return import_result([act], name, ctx)
