"""Austria: RIS (Rechtsinformationssystem des Bundes), OGD API v2.6, searched per catalogued directive.

sources.md §2.2. For each catalogued directive two full-text searches are run on
`GET {base}/Bundesrecht`:

  * `Applikation=BrKons` (consolidated federal law; one document per paragraph/article), and
  * `Applikation=BgblAuth` (the authentic Federal Law Gazette, since 2004; one document per item),

with `Suchworte` = the directive's number as a phrase ("2011/36", which German texts write
"Richtlinie 2011/36/EU" or "Richtlinie (EU) 2024/1712") ODER its CELEX number, paged with
`Seitennummer` (1-based) and `DokumenteProSeite=OneHundred`.

The EU link is RIS's own: `Titel` (original version) and `Aenderung` (one line per amendment)
carry `[CELEX-Nr.: 32016L0680]` markers naming the EU acts that version implements; the line
before a marker in `Aenderung` is the amending gazette item ("BGBl. I Nr. 120/2017 …"). A
BgblAuth item names them in a field of its own, `BgblAuth.CelexNummer`: one CELEX number as a
string, or a list of them (JSON serialised XML: one item arrives as a string, several as an
array; an item may be `{"#text": …}`), read like a marker (`celex_field`). A marker or that field
is a transposition; a document that only matched the full-text search (the number somewhere in
its text) is a mention (see `_support`). BrKons paragraph documents carry no
`Titel`/`Aenderung`: for a law seen only through such documents, its "Norm" document (§ 0)
is looked up by `Gesetzesnummer` to read its markers.

API quirks handled here (all from sources.md §2.2 and the real captures in samples/gazettes/at):
  * JSON is serialised XML: attributes are `@pageNumber`, text is `#text`, and a list with one
    item arrives as an object, with several as an array (`as_list`);
  * errors arrive in-band, `OgdSearchResult.Error{Applikation | @type, Message}`, also with
    HTTP 200; a page past the end answers HTTP 500 with that envelope ("Die Seitennummer ist
    höher als die Anzahl der verfügbaren Seiten"). Paging stops at the documented total
    (`Hits.#text`), so that 500 is never asked for; if the total is missing, paging goes on
    until a short page or that 500, which then ends the search cleanly;
  * unknown parameter names are silently ignored by RIS (a typo would widen the search to
    everything), so every parameter is checked against `PARAMETERS` before it is sent.

Coverage: CoverageItem(measure, "ok", "AT") for each directive whose two searches completed
(every page up to the documented total, every law's markers read), and only after a check
search has found one known transposition (`canary`: the search terms are not verified live, and
a strategy that silently matched nothing must not turn into "not transposed"). This is federal law only:
Land law (`/Landesrecht`, nine Länder) is NOT searched, so a directive that the Länder transpose
(e.g. in part) can look missing here; the coverage reason says so.

Rate: no published limit; the guidance is 1-2 s between requests on bulk runs (`RIS_PACER`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import refs
from ...errors import BlockedError, ParseError, SourceError
from .. import SOURCES
from ..base import CoverageItem, SourceContext, SourceResult
from ._payloads import as_list, clean, looks_like_html, parse_date, parse_json
from ._runs import Pacer, candidate_measures, coverage_verdict, http_of, status_of, unselected, wanted_state
from ._support import BasisAct, findings_for, other_references

if TYPE_CHECKING:
    from ...http import FetchResult

INFO = SOURCES["gazette-at"]
MEMBER_STATE = "AT"
ENDPOINT_NAME = "GAZETTE_AT"
DEFAULT_ENDPOINT = "https://data.bka.gv.at/ris/api/v2.6"
PUBLIC_RIS = "https://www.ris.bka.gv.at"

APPLICATIONS = ("BrKons", "BgblAuth")
PAGE_SIZES = {"Ten": 10, "Twenty": 20, "Fifty": 50, "OneHundred": 100}
PAGE_SIZE = "OneHundred"
MAX_PAGES = 20  # beyond this a search is refused as too broad, never cut
NORM_LOOKUP_PAGES = 3  # pages of one law searched for its "Norm" document
# A known transposition the search must find before any absence is trusted (see `canary`).
CANARY_CELEX = "32016L0680"
CANARY_LAW = "10001597"
RIS_PACER = Pacer(1.0)

# The documented parameters (sources.md §2.2); RIS ignores unknown names silently.
PARAMETERS: dict[str, frozenset[str]] = {
    "Bundesrecht": frozenset({
        "Applikation", "Suchworte", "Titel", "DokumenteProSeite", "Seitennummer", "ImRisSeit",
        "Bgblnummer", "Kundmachung.Von", "Kundmachung.Bis", "Teil.SucheInTeil1", "Teil.SucheInTeil2",
        "Teil.SucheInTeil3", "FassungVom", "Gesetzesnummer", "Index",
    }),
}
_APPLIKATIONEN = frozenset({"BrKons", "BgblAuth", "BgblPdf", "RegV", "Begut"})

_MARKER = re.compile(r"\[\s*CELEX[^\]]*\]", re.IGNORECASE)
_BGBL_LINE = re.compile(r"^\s*(BGBl\.\s*(?:I{1,3}\s*)?Nr\.\s*\d+/\d{4})")
_LAW_ELI = re.compile(r"^https?://(?:www\.)?ris\.bka\.gv\.at(/eli/bgbl/.+?)/[A-Za-z]+[0-9]*[a-z]*/NOR\d+/?$")
_ELI = re.compile(r"^https?://(?:www\.)?ris\.bka\.gv\.at(/eli/.+?)/?$")
_PAST_END = re.compile(r"Seitennummer ist h(?:ö|oe)her", re.IGNORECASE)
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,200}>")


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


def build_params(resource: str = "Bundesrecht", **params: str | int) -> dict[str, str]:
    """Query parameters for `resource`, refused if RIS would silently ignore one (ValueError)."""
    allowed = PARAMETERS.get(resource)
    if allowed is None:
        raise ValueError(f"RIS resource {resource!r} is not used by this source")
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValueError(f"RIS {resource} does not know parameter(s) {', '.join(unknown)}; "
                         "it would ignore them silently")
    out = {k: str(v) for k, v in params.items()}
    if "Applikation" not in out or out["Applikation"] not in _APPLIKATIONEN:
        raise ValueError(f"RIS {resource}: Applikation must be one of {', '.join(sorted(_APPLIKATIONEN))}")
    if "DokumenteProSeite" in out and out["DokumenteProSeite"] not in PAGE_SIZES:
        raise ValueError(f"DokumenteProSeite must be one of {', '.join(PAGE_SIZES)}")
    if "Seitennummer" in out and (not out["Seitennummer"].isdecimal() or int(out["Seitennummer"]) < 1):
        raise ValueError("Seitennummer is 1-based")
    return out


def search_terms(celex: str) -> str:
    """`Suchworte` for a directive: its number as a phrase, or its CELEX (also the 2-digit-year form
    that RIS uses for acts before 2000, e.g. 395L0046)."""
    m = re.fullmatch(r"3(\d{4})L(\d{4})", celex)
    if not m:
        raise ValueError(f"not a directive CELEX: {celex!r}")
    year, number = int(m.group(1)), int(m.group(2))
    terms = [f'"{year}/{number}"', celex]
    if year < 2000:
        terms.append(f"3{year % 100:02d}L{number:04d}")
    return " ODER ".join(terms)


# --- parsing -------------------------------------------------------------------------------------


class RisError(SourceError):
    """An `OgdSearchResult.Error` envelope; `past_end` when it says the page is past the last one."""

    def __init__(self, message: str, past_end: bool) -> None:
        super().__init__(message, status="failed")
        self.past_end = past_end


@dataclass
class RisHit:
    id: str | None
    application: str | None
    allgemein: dict[str, Any]
    bundesrecht: dict[str, Any]
    app_fields: dict[str, Any]
    content_urls: dict[str, str]


@dataclass
class RisPage:
    total: int | None
    page_number: int | None
    page_size: int | None
    hits: list[RisHit] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # /History: IDs of documents taken out of RIS


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    return None


def parse_search(body: bytes, what: str = "RIS search result") -> RisPage:
    """One page of a RIS OGD search (`OgdSearchResult`); RisError for an error envelope."""
    data = parse_json(body, what, html_error=ParseError)
    if not isinstance(data, dict) or not isinstance(data.get("OgdSearchResult"), dict):
        raise ParseError(f"{what}: no OgdSearchResult object")
    result = data["OgdSearchResult"]
    if "Error" in result:
        error = result["Error"]
        message = clean(error.get("Message")) if isinstance(error, dict) else clean(error)
        kind = clean(error.get("@type") or error.get("Applikation")) if isinstance(error, dict) else None
        message = message or "(no message)"
        raise RisError(f"RIS error{f' ({kind})' if kind else ''}: {message[:300]}", bool(_PAST_END.search(message)))
    docs = result.get("OgdDocumentResults")
    if not isinstance(docs, dict):
        raise ParseError(f"{what}: OgdSearchResult has neither OgdDocumentResults nor Error")
    hits = docs.get("Hits")
    if isinstance(hits, dict):
        total, page_number, page_size = _int(hits.get("#text")), _int(hits.get("@pageNumber")), \
            _int(hits.get("@pageSize"))
    else:
        total, page_number, page_size = _int(hits), None, None
    page = RisPage(total=total, page_number=page_number, page_size=page_size)
    for n, ref in enumerate(as_list(docs.get("OgdDocumentReference"))):
        if isinstance(ref, dict) and isinstance(ref.get("Deleted"), dict) and "Data" not in ref:
            page.deleted.append(clean(ref["Deleted"].get("ID")) or "?")
            continue
        if not isinstance(ref, dict) or not isinstance(ref.get("Data"), dict):
            raise ParseError(f"{what}: OgdDocumentReference {n} has no Data object")
        meta = _obj(ref["Data"].get("Metadaten"))
        technisch, bundesrecht = _obj(meta.get("Technisch")), _obj(meta.get("Bundesrecht"))
        application = clean(technisch.get("Applikation"))
        app_fields = _obj(bundesrecht.get(application)) if application else {}
        urls: dict[str, str] = {}
        for content in as_list(_obj(ref["Data"].get("Dokumentliste")).get("ContentReference")):
            content = _obj(content)
            if content.get("ContentType") not in (None, "MainDocument"):
                continue
            for url in as_list(_obj(content.get("Urls")).get("ContentUrl")):
                url = _obj(url)
                if isinstance(url.get("DataType"), str) and isinstance(url.get("Url"), str):
                    urls.setdefault(url["DataType"], url["Url"])
        page.hits.append(RisHit(
            id=clean(technisch.get("ID")), application=application, allgemein=_obj(meta.get("Allgemein")),
            bundesrecht=bundesrecht, app_fields=app_fields, content_urls=urls,
        ))
    if page.total is not None and page.total < len(page.hits) + len(page.deleted):
        raise ParseError(f"{what}: {len(page.hits) + len(page.deleted)} documents on a page of a result said "
                         f"to have {page.total}")
    return page


def _text(value: Any) -> str:
    """A RIS metadata value as plain text (HTML breaks become newlines, other tags are dropped)."""
    if not isinstance(value, str):
        return ""
    return _TAG.sub("", _HTML_BREAK.sub("\n", value))


def markers(value: Any) -> tuple[list[str], list[str]]:
    """(CELEX numbers in `[CELEX-Nr.: …]` markers, other EU acts cited in the text) of a field."""
    text = _text(value)
    marked, cited = [], []
    for m in _MARKER.finditer(text):
        marked.extend(r.celex for r in refs.extract(m.group(0)))
    rest = _MARKER.sub(" ", text)
    cited.extend(r.celex for r in refs.extract(rest))
    return sorted(set(marked)), sorted(set(cited))


def celex_field(value: Any) -> list[str]:
    """The CELEX numbers of a `CelexNummer` field: a string, a list, items as `{"#text": …}`; a
    string may hold several, separated by commas, semicolons or spaces (the 2-digit-year form
    of acts before 2000, "395L0046", is understood as in the markers)."""
    found: list[str] = []
    for item in as_list(value):
        if isinstance(item, dict):
            item = item.get("#text")
        if isinstance(item, str) and item.strip():
            found.extend(markers(f"[CELEX-Nr.: {item}]")[0])
    return sorted(set(found))


def amendment_markers(aenderung: Any) -> list[dict[str, Any]]:
    """The amendments named before each marker of `Aenderung`: [{"bgbl", "celex"}]."""
    out: list[dict[str, Any]] = []
    last: str | None = None
    for line in _text(aenderung).splitlines():
        m = _BGBL_LINE.match(line)
        if m:
            last = " ".join(m.group(1).split())
        found = []
        for marker in _MARKER.finditer(line):
            found.extend(r.celex for r in refs.extract(marker.group(0)))
        if found:
            out.append({"bgbl": last, "celex": sorted(set(found))})
    return out


def _public(url: str | None) -> str | None:
    """An RIS ELI/URL on the public www host (the API mixes ris.bka.gv.at and www.ris.bka.gv.at)."""
    if not url:
        return None
    m = _ELI.match(url)
    return f"{PUBLIC_RIS}{m.group(1)}" if m else url


def _first_line(value: Any) -> str | None:
    lines = [clean(line) for line in _text(value).splitlines()]
    return next((line for line in lines if line), None)


def has_law_metadata(hit: RisHit) -> bool:
    """Whether a BrKons document carries the law-level Titel/Aenderung (the "Norm" document does)."""
    return bool(clean(_text(hit.bundesrecht.get("Titel")))) or bool(clean(_text(hit.app_fields.get("Aenderung"))))


def act_of(hit: RisHit) -> BasisAct | None:
    """The national act a BrKons or BgblAuth document belongs to; None for other applications."""
    br, app = hit.bundesrecht, hit.app_fields
    short = clean(br.get("Kurztitel"))
    title = _first_line(br.get("Titel")) or short
    title_marked, title_cited = markers(br.get("Titel"))
    if hit.application == "BrKons":
        number = clean(app.get("Gesetzesnummer"))
        eli = clean(br.get("Eli")) or clean(hit.allgemein.get("DokumentUrl"))
        law = _LAW_ELI.match(eli or "")
        overview = clean(app.get("GesamteRechtsvorschriftUrl"))
        if law:
            key = f"{PUBLIC_RIS}{law.group(1)}"
        elif number and number.isdecimal():
            key = f"{PUBLIC_RIS}/GeltendeFassung.wxe?Abfrage=Bundesnormen&Gesetzesnummer={number}"
        else:
            return None
        organ, stamm = clean(app.get("StammnormPublikationsorgan")), clean(app.get("StammnormBgblnummer"))
        act = BasisAct(
            key=key, member_state=MEMBER_STATE, title=title, type=clean(app.get("Typ")),
            url=overview or _public(eli), reference=f"{organ} {stamm}" if organ and stamm else None,
            consolidated=True,
        )
        amendments = amendment_markers(app.get("Aenderung"))
        if title_marked:
            amendments.insert(0, {"bgbl": act.reference, "celex": title_marked, "original_version": True})
        act.add_all(title_marked, "celex-marker")
        for item in amendments:
            act.add_all(item["celex"], "celex-marker")
        act.add_all(title_cited, "title")
        act.data.update({
            "application": "BrKons",
            "short_title": short,
            "law_number": number,
            "abbreviation": clean(app.get("Abkuerzung")),
            "promulgation": clean(app.get("Kundmachungsorgan")),
            "amendments_with_celex": amendments,
            "law_metadata_read": has_law_metadata(hit),
            "documents": [{"id": hit.id, "eli": _public(eli), "part": clean(app.get("ArtikelParagraphAnlage")),
                           "version_in_force_from": clean(app.get("Inkrafttretensdatum"))}],
        })
        return act
    if hit.application == "BgblAuth":
        eli = _public(clean(br.get("Eli")) or clean(hit.allgemein.get("DokumentUrl")))
        number = clean(app.get("Bgblnummer"))
        key = eli or (f"RIS:BgblAuth:{number}" if number else None)
        if key is None:
            return None
        act = BasisAct(
            key=key, member_state=MEMBER_STATE, title=title, type=clean(app.get("Typ")), url=eli,
            reference=number, published=parse_date(app.get("Ausgabedatum")),
        )
        linked = celex_field(app.get("CelexNummer"))
        act.add_all(title_marked, "celex-marker")
        act.add_all(linked, "celex-marker")
        act.add_all(title_cited, "title")
        act.data.update({
            "application": "BgblAuth",
            "short_title": short,
            "celex_field": linked,
            "part": clean(app.get("Teil")),
            "authentic_pdf": hit.content_urls.get("Authentisch"),
            "documents": [{"id": hit.id, "eli": eli}],
        })
        return act
    return None


def merge(acts: dict[str, BasisAct], act: BasisAct) -> BasisAct:
    """Fold `act` into the act with the same key (several documents of one law)."""
    known = acts.get(act.key)
    if known is None:
        acts[act.key] = act
        return act
    for celex, bases in act.bases.items():
        for basis in bases:
            known.add(celex, basis)
    if act.data.get("law_metadata_read") and not known.data.get("law_metadata_read"):
        for name in ("law_metadata_read", "amendments_with_celex"):
            known.data[name] = act.data[name]
        known.title = act.title or known.title
    docs = known.data.setdefault("documents", [])
    for doc in act.data.get("documents", []):
        if doc not in docs and len(docs) < 50:
            docs.append(doc)
    return known


# --- refresh -------------------------------------------------------------------------------------


@dataclass
class _Search:
    hits: list[RisHit] = field(default_factory=list)
    fetches: list[FetchResult] = field(default_factory=list)
    hit_fetch: list[FetchResult] = field(default_factory=list)  # the page each hit came from
    total: int | None = None
    note: str | None = None


def _get(ctx: SourceContext, params: dict[str, str]) -> FetchResult:
    assert ctx.http is not None
    with RIS_PACER.paced():
        return ctx.http.get(INFO.name, f"{endpoint(ctx)}/Bundesrecht", params=params,
                            headers={"Accept": "application/json"}, ok_statuses=(500,))


def search(ctx: SourceContext, application: str, **criteria: str) -> _Search:
    """Every document of one search, page by page up to the documented total.

    Raises SourceError (or ParseError) when the search cannot be completed.
    """
    size = PAGE_SIZES[PAGE_SIZE]
    out = _Search()
    for page in range(1, MAX_PAGES + 1):
        params = build_params("Bundesrecht", Applikation=application, DokumenteProSeite=PAGE_SIZE,
                              Seitennummer=page, **criteria)
        fetch = _get(ctx, params)
        out.fetches.append(fetch)
        if looks_like_html(fetch.body):
            raise BlockedError(f"RIS {application} page {page}: an HTML page instead of JSON "
                               f"(HTTP {fetch.status_code})")
        try:
            parsed = parse_search(fetch.body, f"RIS {application} page {page}")
        except RisError as exc:
            if fetch.status_code == 500 and page > 1 and out.total is None and exc.past_end:
                out.note = f"no total given; ended at page {page - 1} ({exc})"
                return out
            raise
        except ParseError:
            if fetch.status_code == 500:
                raise SourceError(f"RIS {application} page {page}: HTTP 500 without an error envelope",
                                  status="failed") from None
            raise
        if fetch.status_code == 500:
            raise SourceError(f"RIS {application} page {page}: HTTP 500", status="failed")
        out.total = parsed.total
        out.hits.extend(parsed.hits)
        out.hit_fetch.extend([fetch] * len(parsed.hits))
        if parsed.total is not None:
            if len(out.hits) >= parsed.total:
                return out
            if not parsed.hits:
                raise SourceError(f"RIS {application}: page {page} is empty but the total is {parsed.total} "
                                  f"and only {len(out.hits)} were read", status="failed")
        elif len(parsed.hits) < size:
            return out
    raise SourceError(f"RIS {application}: more than {MAX_PAGES} pages of {size} ({out.total} documents); "
                      "refused rather than reported incomplete", status="failed")


@dataclass
class _Acts:
    acts: dict[str, BasisAct] = field(default_factory=dict)
    fetch: dict[str, FetchResult] = field(default_factory=dict)

    def add(self, act: BasisAct, fetch: FetchResult | None) -> BasisAct:
        merged = merge(self.acts, act)
        if fetch is not None and (act.key not in self.fetch or act.data.get("law_metadata_read")):
            self.fetch[act.key] = fetch
        return merged


def _norm_lookup(ctx: SourceContext, law_number: str) -> tuple[RisHit | None, FetchResult | None, list[FetchResult]]:
    """The "Norm" document of a BrKons law (its § 0, with Titel and Aenderung), by Gesetzesnummer."""
    fetches: list[FetchResult] = []
    for page in range(1, NORM_LOOKUP_PAGES + 1):
        params = build_params("Bundesrecht", Applikation="BrKons", Gesetzesnummer=law_number,
                              DokumenteProSeite=PAGE_SIZE, Seitennummer=page)
        fetch = _get(ctx, params)
        fetches.append(fetch)
        if fetch.status_code == 500:
            break
        parsed = parse_search(fetch.body, f"RIS BrKons law {law_number} page {page}")
        for hit in parsed.hits:
            if has_law_metadata(hit):
                return hit, fetch, fetches
        if parsed.total is None or page * PAGE_SIZES[PAGE_SIZE] >= parsed.total:
            break
    return None, None, fetches


def _search_measure(ctx: SourceContext, measure_id: str, celex: str, found: _Acts, result: SourceResult,
                    applications: tuple[str, ...] = APPLICATIONS, only_laws: set[str] | None = None,
                    strict: bool = False) -> CoverageItem:
    """Search one directive; its coverage row. Adds the acts to `found`, the fetches to `result`.

    `only_laws`: look up the "Norm" documents of these laws only (the check search needs one).
    `strict`: a failure is raised as it is instead of becoming a coverage row (the probe).
    """
    terms = search_terms(celex)
    counts: dict[str, int] = {}
    notes: list[str] = []
    first_fetch: FetchResult | None = None
    unresolved: list[str] = []
    try:
        for application in applications:
            ctx.progress(f"gazette-at: {measure_id}: {application} Suchworte={terms}")
            done = search(ctx, application, Suchworte=terms)
            result.fetches.extend(done.fetches)
            first_fetch = first_fetch or (done.fetches[0] if done.fetches else None)
            counts[application] = len(done.hits)
            if done.note:
                notes.append(f"{application}: {done.note}")
            for hit, fetch in zip(done.hits, done.hit_fetch, strict=True):
                act = act_of(hit)
                if act is None:
                    continue
                # The search engine matched the directive's number or CELEX in this document.
                act.add(celex, "full-text-hit")
                found.add(act, fetch)
        for key, act in list(found.acts.items()):
            if (act.data.get("application") != "BrKons" or act.data.get("law_metadata_read")
                    or celex not in act.bases or not act.data.get("law_number")
                    or (only_laws is not None and act.data["law_number"] not in only_laws)):
                continue
            hit, fetch, fetches = _norm_lookup(ctx, act.data["law_number"])
            result.fetches.extend(fetches)
            norm = act_of(hit) if hit is not None else None
            if norm is None or norm.key != key:
                unresolved.append(act.data["law_number"])
                continue
            found.add(norm, fetch)
    except (SourceError, ParseError, ValueError) as exc:
        if strict:
            raise
        status = status_of(exc)
        ctx.progress(f"gazette-at: {measure_id}: {status}: {exc}")
        return CoverageItem(measure_id, status, MEMBER_STATE, f"RIS search for {celex}: {exc}", None)
    laws = [a for a in found.acts.values() if celex in a.bases]
    marked = [a for a in laws if "celex-marker" in a.bases[celex]]
    reason = (f"federal law only (Land law is not searched); Suchworte {terms}: "
              f"{counts.get('BrKons', 0)} BrKons and {counts.get('BgblAuth', 0)} BgblAuth document(s), "
              f"{len(laws)} act(s), {len(marked)} with a CELEX marker for {celex}")
    if notes:
        reason += "; " + "; ".join(notes)
    if unresolved:
        return CoverageItem(measure_id, "suspect", MEMBER_STATE,
                            reason + f"; the CELEX markers of law(s) {', '.join(unresolved)} could not be read",
                            first_fetch)
    return CoverageItem(measure_id, "ok", MEMBER_STATE, reason, first_fetch)


def canary(ctx: SourceContext, result: SourceResult) -> str | None:
    """Check that the search strategy finds a known transposition; None if it does, else why not.

    The search terms (`search_terms`) and RIS's tokenising of "2016/680" are not verified live
    (sources.md is second-hand here). A search that silently matched nothing would make every
    directive look untransposed, so first the strategy must find one known case: the real
    capture samples/gazettes/at/ris-search-brkons-celex.json shows the Datenschutzgesetz
    (Gesetzesnummer 10001597) marked "[CELEX-Nr.: 32016L0680]" after BGBl. I Nr. 120/2017.
    """
    found = _Acts()
    cov = _search_measure(ctx, "canary", CANARY_CELEX, found, result, ("BrKons",), only_laws={CANARY_LAW})
    if cov.status != "ok":
        return f"the check search for {CANARY_CELEX} did not complete: {cov.reason}"
    return _canary_miss(found)


def _canary_miss(found: _Acts) -> str | None:
    hit = any(a.data.get("law_number") == CANARY_LAW and "celex-marker" in a.bases.get(CANARY_CELEX, set())
              for a in found.acts.values())
    if not hit:
        return (f"the check search for {CANARY_CELEX} did not find law {CANARY_LAW} (Datenschutzgesetz) with its "
                "CELEX marker, which RIS is known to carry: the search terms may not match RIS's index")
    return None


def probe(ctx: SourceContext) -> str:
    """The canary of `compliance sources --probe`: the check search of `canary`, its failures raised
    as they are (an answer of another shape is a ParseError: drift; a failed request: unreachable)."""
    found = _Acts()
    cov = _search_measure(ctx, "canary", CANARY_CELEX, found, SourceResult(), ("BrKons",), only_laws={CANARY_LAW},
                          strict=True)
    miss = _canary_miss(found) if cov.status == "ok" else f"the check search for {CANARY_CELEX}: {cov.reason}"
    if miss:
        raise ParseError(miss)
    return f"the check search for {CANARY_CELEX} finds law {CANARY_LAW} (Datenschutzgesetz) with its CELEX marker"


def refresh(ctx: SourceContext) -> SourceResult:
    """Search RIS for every selected catalogued directive; one failing directive never stops the rest."""
    result = SourceResult()
    result.reason = unselected(ctx, MEMBER_STATE, "Austria")
    if result.reason:
        return result
    http_of(ctx, INFO.name)
    measures = candidate_measures(ctx)
    directives = [m for m in measures.values() if m.kind == "directive" and m.celex
                  and re.fullmatch(r"3\d{4}L\d{4}", m.celex)]
    if not directives:
        result.reason = "no selected measure is a directive with a CELEX number"
        return result
    ctx.progress("gazette-at: checking the search strategy on a known case")
    broken = canary(ctx, result)
    found = _Acts()
    for measure in directives:
        cov = _search_measure(ctx, measure.id, measure.celex or "", found, result)
        if broken and cov.status == "ok":
            cov = CoverageItem(cov.measure_id, "suspect", MEMBER_STATE, f"{broken}; {cov.reason}", cov.fetch)
        result.coverage.append(cov)
    for key, act in found.acts.items():
        result.findings.extend(findings_for(act, ctx, found.fetch.get(key), measures))
    summary = (f"{len(directives)} directive(s) searched, {len(found.acts)} federal act(s) found, "
               f"{len(result.findings)} finding(s); Land law not covered")
    others = other_references(found.acts.values(), measures)
    if others:
        summary += f"; other EU acts marked: {len(others)}"
    coverage_verdict(result, summary,
                     lambda bad: f"no directive search is ok ({len(bad)}); first: {bad[0].measure_id}: {bad[0].reason}")
    return result


# --- import --------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved RIS search page (BrKons, BgblAuth, or a /History page of them).

    Imports give findings only, never coverage. Other applications (RegV bills, Begut drafts)
    are not adopted measures and are skipped, with a note.
    """
    page = parse_search(body, name)
    found = _Acts()
    skipped: dict[str, int] = {}
    for hit in page.hits:
        act = act_of(hit)
        if act is None:
            skipped[hit.application or "?"] = skipped.get(hit.application or "?", 0) + 1
            continue
        found.add(act, None)
    measures = candidate_measures(ctx)
    result = SourceResult()
    if wanted_state(ctx, MEMBER_STATE):
        for act in found.acts.values():
            result.findings.extend(findings_for(act, ctx, None, measures))
    parts = [f"{len(page.hits)} document(s), {len(found.acts)} act(s), {len(result.findings)} finding(s)"]
    if page.total is not None and page.total > len(page.hits):
        parts.append(f"the search had {page.total} documents; this file holds one page")
    if page.deleted:
        parts.append(f"{len(page.deleted)} deleted document(s) listed (no findings from them)")
    if skipped:
        parts.append("skipped (not adopted acts): " + ", ".join(f"{k} ({v})" for k, v in sorted(skipped.items())))
    others = other_references(found.acts.values(), measures)
    if others:
        parts.append(f"other EU acts named: {', '.join(others)}")
    silent = [act.reference or act.key for act in found.acts.values() if not act.references]
    if silent:
        shown = ", ".join(silent[:5]) + (f" and {len(silent) - 5} more" if len(silent) > 5 else "")
        parts.append(f"{len(silent)} act(s) name no EU act (no [CELEX-Nr.: …] marker, no CelexNummer, no citation "
                     f"in the title): {shown}")
    result.reason = "; ".join(parts)
    return result

