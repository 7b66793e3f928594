"""Hungary: the Nemzeti Jogszabálytár (NJT, National Legislation Database), through its ELI URIs.

The interface (sources.md §2.1; matematicsolutions/hu-eli-mcp `DISCOVERY.md`, probed live
2026-07-06; WWL HU/NJT `config.yaml` and `bootstrap.py`): NJT's national ELI ("Hazai ELI URI
sémák", https://njt.jog.gov.hu/eli/urisemak) on `njt.jog.gov.hu` (the historical `njt.hu` sits
behind a WAF that resets non-browser connections). Search and listing pages are client-rendered
and `/search/*` is disallowed by robots.txt; the ELI URIs and the document pages are not:

* `GET {njt}/eli/TV/{year}/{n}` (Acts, törvények) and `GET {njt}/eli/R/{year}/Korm/{n}`
  (government decrees; the issuer code is case-sensitive) answer 302 to the document page
  `/jogszabaly/{doc_id}`, server-rendered HTML of the act as in force today: `h1.jogszabalyMainTitle`
  ("2013. évi V. törvény"), `h2.jogszabalySubtitle` (its subject), `div.hataly` (the in-force date
  shown), the text in `div.jogszabaly`, footnotes in `div.footnote` (one of which gives "A kihirdetés
  napja: 2025. december 29.", the date of promulgation). An ELI that resolves to nothing redirects
  to `/eli/kereses`, NJT's search-assist page: that is the end of the year's numbers.

How a Hungarian act says it transposes a directive: its closing "jogharmonizációs záradék", "Ez a
törvény a(z) … szóló … 2011/36/EU európai parlamenti és tanácsi irányelvnek való megfelelést
szolgálja" (the formula follows the act, in the dative: read by `_support.link_of`). Such a
reference is a national measure; any other mention a citation.

Refresh: for each selected directive, the years from the directive's to one year after its
transposition deadline (at most `MAX_YEARS`, the most recent first); in each year, Acts 1, 2, …
and government decrees 1, 2, … until a number resolves to nothing, at most `MAX_DOCUMENTS` pages a
refresh. The pages are the consolidated text of today: a záradék may have been extended by a later
amendment, so a finding carries no transposition date ("timeliness not assessed"); the date of
promulgation is kept in the finding's data. No coverage is emitted: ministerial decrees are not
read and the year window can miss an act.
"""

from __future__ import annotations

import re
import warnings
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ...clock import utcnow
from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ..parallel import host_workers, ordered_map
from ._payloads import clean, decode, named_errors, refuse_entities
from ._runs import all_failed, candidate_measures, common_status, directive_scope, http_of, status_of
from ._support import NationalAct, findings_for, harvest_years, import_result, one_line, refs_in_text

if TYPE_CHECKING:
    from ...http import FetchResult

INFO = SOURCES["gazette-hu"]
ENDPOINT_NAME = "GAZETTE_HU"
DEFAULT_ENDPOINT = "https://njt.jog.gov.hu"
ELI_BASE = "https://njt.jog.gov.hu/eli"
MEMBER_STATE = "HU"
MAX_YEARS = 4
YEARS_AFTER_DEADLINE = 1
MAX_PER_YEAR = 600  # numbers tried per year and kind, whatever happens
MAX_DOCUMENTS = 2500
CHUNK = 8  # numbers asked at once (as far as the host's politeness policy allows)

# (ELI path of a number, what it is)
KINDS: tuple[tuple[str, str], ...] = (("TV/{year}/{n}", "törvény"), ("R/{year}/Korm/{n}", "Korm. rendelet"))

_MONTHS = {m: i for i, m in enumerate(
    ("január", "február", "március", "április", "május", "június", "július", "augusztus", "szeptember",
     "október", "november", "december"), start=1)}
_PROMULGATED = re.compile(r"kihirdetés\s+napja:\s*(\d{4})\.\s*([a-záéíóöőúüű]+)\s+(\d{1,2})\.", re.IGNORECASE)
_BLOCK_MARKS = ("captcha", "cf-chl", "access denied", "request rejected", "the requested url was rejected")


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


def eli_path(kind: str, year: int, number: int) -> str:
    return kind.format(year=year, n=number)


def promulgated_on(text: str) -> date | None:
    """The date of "A kihirdetés napja: 2025. december 29."."""
    m = _PROMULGATED.search(text)
    month = _MONTHS.get(m.group(2).lower()) if m else None
    if not m or not month:
        return None
    try:
        return date(int(m.group(1)), month, int(m.group(3)))
    except ValueError:
        return None


def not_found(fetch: FetchResult) -> bool:
    """Whether an ELI resolved to nothing: a 404, or NJT's search-assist page `/eli/kereses`."""
    return fetch.status_code == 404 or urlsplit(fetch.final_url).path.rstrip("/").endswith("/eli/kereses")


# --- pages ---------------------------------------------------------------------------------------


def parse_document(body: bytes, eli: str, what: str | None = None) -> NationalAct:
    """A NationalAct from a `/jogszabaly/{doc_id}` page."""
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    what = what or f"NJT {eli}"
    text = decode(body, what)
    if "<" not in text:
        raise ParseError(f"{what}: not an HTML page")
    refuse_entities(body, what)
    with warnings.catch_warnings():  # an XML document is refused below (no title), not read as XML
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(text, "lxml")  # lxml's HTML parser: no DTD, no entities, no network
    heading = soup.select_one("h1.jogszabalyMainTitle")
    if heading is None:
        if any(m in text[:5000].lower() for m in _BLOCK_MARKS):
            raise SourceError(f"{what}: a bot check or access-denied page", status="blocked")
        raise ParseError(f"{what}: no h1.jogszabalyMainTitle (not an NJT document page)")
    for sup in soup.select("h2.jogszabalySubtitle sup"):
        sup.decompose()
    main = clean(heading.get_text(" "))
    subtitle_el = soup.select_one("h2.jogszabalySubtitle")
    subtitle = clean(subtitle_el.get_text(" ")) if subtitle_el is not None else None
    in_force = soup.select_one("div.hataly")
    footnotes = " ".join(clean(f.get_text(" ")) or "" for f in soup.select("div.footnote"))
    for f in soup.select("div.footnote"):
        f.decompose()
    container = soup.select_one("div.jogszabaly") or soup.body or soup
    full = " ".join(container.get_text(" ").split())
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=eli,
        national_id=main or eli,
        fmt="njt-html",
        title=" ".join(p for p in (main, subtitle) if p) or None,
        type="törvény" if "/eli/TV/" in eli else "Korm. rendelet" if "/Korm/" in eli else None,
        eli=eli,
        url=eli,
        published=promulgated_on(footnotes) or promulgated_on(full),
        language="hu",
        consolidated_places=frozenset({"text"}),
    )
    act.references.extend(refs_in_text(full, "text"))
    act.extra = {"in_force_as_shown": clean(in_force.get_text(" ")) if in_force is not None else None,
                 "consolidated": True}
    return act


# --- refresh ----------------------------------------------------------------------------------------


def _today() -> date:
    return utcnow().date()


def refresh(ctx: SourceContext) -> SourceResult:
    """Walk the Acts and government decrees of the relevant years; findings only (see the module doc)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "Hungary")
    if not directives:
        return result
    http = http_of(ctx, INFO.name, "read the NJT")
    base = endpoint(ctx)
    years, skipped = harvest_years(directives, _today(), MAX_YEARS, YEARS_AFTER_DEADLINE)
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    statuses: list[str] = []
    notes: list[str] = []
    read = 0
    walks = 0

    def page(job: tuple[str, int, int]) -> tuple[str, FetchResult | Exception]:
        kind, year, number = job
        eli = f"{ELI_BASE}/{eli_path(kind, year, number)}"
        ctx.progress(f"gazette-hu: {eli_path(kind, year, number)}")
        try:
            return eli, http.get(INFO.name, f"{base}/eli/{eli_path(kind, year, number)}",
                                 headers={"Accept": "text/html"}, conditional=True, ok_statuses=(404,))
        except SourceError as exc:
            return eli, exc

    for year in years:
        for kind, label in KINDS:
            if read >= MAX_DOCUMENTS:
                notes.append(f"{label} {year}: not read (MAX_DOCUMENTS={MAX_DOCUMENTS})")
                continue
            walks += 1
            done, errors, number, found = False, 0, 1, 0
            while not done and number <= MAX_PER_YEAR and read < MAX_DOCUMENTS:
                jobs = [(kind, year, n) for n in range(number, min(number + CHUNK, MAX_PER_YEAR + 1))]
                number += len(jobs)
                for eli, got in ordered_map(page, jobs, host_workers(ctx, base, len(jobs)), INFO.name):
                    if not isinstance(got, Exception) and not_found(got):
                        done = True  # the year's numbers end here
                        break
                    try:
                        if isinstance(got, Exception):
                            raise got
                        act = parse_document(got.body, eli, eli)
                    except (SourceError, ParseError) as exc:
                        # A page that fails three times running is the service failing, not one act.
                        errors += 1
                        notes.append(f"{eli}: {one_line(str(exc), 160)}")
                        if errors >= 3:
                            statuses.append(status_of(exc))
                            failures.append(f"{label} {year} ({statuses[-1]}): {exc}")
                            done = True
                            break
                        continue
                    errors = 0
                    read += 1
                    found += 1
                    result.fetches.append(got)
                    result.findings.extend(findings_for(act, ctx, got, wanted))
            if not done and number > MAX_PER_YEAR:
                notes.append(f"{label} {year}: more than {MAX_PER_YEAR} numbers; the rest was not read")
            if done and not found and not errors and year < _today().year:
                notes.append(f"{label} {year}: number 1 resolves to nothing: the walk looks incomplete")
                result.status = "suspect"
    if all_failed(result, failures, walks, "walk", common_status(statuses)):
        return result
    reason = [f"{read} page(s) of Acts and government decrees read in {len(years)} year(s); "
              f"{len(result.findings)} finding(s); no coverage: ministerial decrees are not read and the year "
              "window can miss an act; consolidated texts, so no transposition dates"]
    if skipped:
        reason.append(f"years not read (more than MAX_YEARS={MAX_YEARS}): {', '.join(map(str, sorted(skipped)))}")
    if failures:
        reason.append(f"{len(failures)} walk(s) failed: " + "; ".join(failures))
    result.reason = "; ".join(reason + notes[:20])
    return result


# --- import ----------------------------------------------------------------------------------------

_SAVED_ELI = re.compile(r"/eli/(TV/\d{4}/\d+|R/\d{4}/Korm/\d+)")


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved NJT document page (its ELI read from the page, else `name` is the key)."""
    text = decode(body, name)
    m = _SAVED_ELI.search(text)
    eli = f"{ELI_BASE}/{m.group(1)}" if m else name
    with named_errors(name):
        act = parse_document(body, eli, name)
    return import_result([act], name, ctx)

