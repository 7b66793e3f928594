"""Germany: NeuRIS, the federal legal information portal (beta) (sources.md 2.10).

Refresh, per selected directive: `GET {api}/v1/legislation?searchTerm="2011/36/EU"&size=100&
pageIndex=n` (JSON-LD `hydra:Collection`: `totalItems`, `member[].item` = a `Legislation` with
`legislationIdentifier`, `name`, `abbreviation`, `exampleOfWork` (the work: ELI, `legislationDate`,
`datePublished`, `isPartOf.name` "BGBl I, 2017 2097") and `member[].textMatches[]` (snippets of
the text where the term was found, with `<mark>`). The snippets are read for the EU acts they
name and how ("Umsetzung der Richtlinie …" implements).

NeuRIS holds consolidated federal law: a law found today may have taken up the directive through
any later amendment, so a finding's date is left empty ("timeliness not assessed") and the
work's own dates are kept in `data`. No coverage is emitted: the service is a beta and its
coverage is incomplete (sources.md 2.10), so an empty search proves nothing.

Imports read a saved search answer or a single `Legislation` (`/v1/legislation/eli/…`), whose
`hasPart[]` headlines are read too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ..parallel import attempt_each
from ._payloads import Fixer, json_page, named_errors, parse_date, parse_json
from ._runs import all_failed, candidate_measures, directive_scope, http_of, keep_fetch, status_of
from ._support import NationalAct, findings_for, import_result, one_line, refs_in_text, unique_findings

if TYPE_CHECKING:
    from ...http import FetchResult
    from ...model import Measure

INFO = SOURCES["gazette-de"]
ENDPOINT_NAME = "GAZETTE_DE"
DEFAULT_ENDPOINT = "https://testphase.rechtsinformationen.bund.de"
MEMBER_STATE = "DE"
PAGE_SIZE = 100  # the API allows up to 300 (sources.md 2.10)
MAX_PAGES = 10

_MARK = re.compile(r"</?mark>", re.IGNORECASE)
# Every place NeuRIS text comes from is the consolidated version (see the module doc).
_CONSOLIDATED = frozenset({"name", "text-match", "headline"})


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


def search_term(celex: str) -> str:
    year, number = int(celex[1:5]), int(celex[6:10])
    return f'"(EU) {year}/{number}"' if year >= 2015 else f'"{year}/{number}/EU"' if year >= 2010 else \
        f'"{year}/{number}/EG"'


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _clean(fixer: Fixer, value: Any) -> str | None:
    text = _s(value)
    if text is None:
        return None
    return " ".join(_MARK.sub("", fixer(text) or "").split()) or None


def legislation_act(item: dict[str, Any], fixer: Fixer, matches: list[Any] | None = None) -> NationalAct:
    """A NationalAct from a NeuRIS `Legislation` object (search item or single act)."""
    work = item.get("exampleOfWork") if isinstance(item.get("exampleOfWork"), dict) else {}
    work_eli = _s(work.get("legislationIdentifier"))
    expr = _s(item.get("legislationIdentifier"))
    if not work_eli and not expr:
        raise ParseError("NeuRIS: a Legislation without legislationIdentifier")
    part_of = work.get("isPartOf") if isinstance(work.get("isPartOf"), dict) else {}
    name = _clean(fixer, item.get("name"))
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=work_eli or expr or "",
        national_id=_clean(fixer, part_of.get("name")) or work_eli or expr or "",
        fmt="neuris-legislation",
        title=name,
        type="Gesetz/Verordnung (konsolidiert)",
        eli=work_eli,
        # The public address of the expression in the NeuRIS API (its `@id` is a path).
        url=f"{DEFAULT_ENDPOINT}{item['@id']}" if _s(item.get("@id", "")) and item["@id"].startswith("/") else None,
        adopted=parse_date(work.get("legislationDate")),
        published=parse_date(work.get("datePublished")),
        language="de",
    )
    act.consolidated_places = _CONSOLIDATED
    act.references.extend(refs_in_text(name, "name"))
    for match in matches or []:
        if isinstance(match, dict):
            text = " ".join(p for p in (_clean(fixer, match.get("name")), _clean(fixer, match.get("text"))) if p)
            act.references.extend(refs_in_text(text, "text-match"))
    for headline in _headlines(item.get("hasPart"), fixer):
        act.references.extend(refs_in_text(headline, "headline"))
    act.extra = {
        "expression": expr,
        "abbreviation": _clean(fixer, item.get("abbreviation")),
        "alternate_name": _clean(fixer, item.get("alternateName")),
        "legal_force": _s(item.get("legislationLegalForce")),
        "api_path": _s(item.get("@id")),
    }
    act.notes.extend(fixer.note())
    return act


def _headlines(parts: Any, fixer: Fixer, depth: int = 0) -> list[str]:
    out: list[str] = []
    if not isinstance(parts, list) or depth > 30:
        return out
    for part in parts:
        if isinstance(part, dict):
            text = " ".join(p for p in (_clean(fixer, part.get("name")), _clean(fixer, part.get("headline"))) if p)
            if text:
                out.append(text)
            out.extend(_headlines(part.get("hasPart"), fixer, depth + 1))
    return out


def parse_search(body: bytes) -> tuple[list[NationalAct], int]:
    """(acts, totalItems) of one `/v1/legislation` search page."""
    what = "NeuRIS legislation search"
    doc = parse_json(body, what)
    _check_error(doc, what)
    members, total = json_page(doc, what, "member", "totalItems", "not a hydra:Collection with `member`")
    fixer = Fixer.of(body)
    acts = []
    for i, member in enumerate(members):
        item = member.get("item") if isinstance(member, dict) else None
        if not isinstance(item, dict):
            raise ParseError(f"{what}: member #{i + 1} has no item")
        matches = member.get("textMatches") if isinstance(member.get("textMatches"), list) else []
        acts.append(legislation_act(item, fixer, matches))
    return acts, total


def parse_legislation(body: bytes) -> NationalAct:
    what = "NeuRIS legislation"
    doc = parse_json(body, what)
    _check_error(doc, what)
    if not isinstance(doc, dict) or doc.get("@type") != "Legislation":
        raise ParseError(f"{what}: not a Legislation object")
    return legislation_act(doc, Fixer.of(body))


def _check_error(doc: Any, what: str) -> None:
    if isinstance(doc, dict) and isinstance(doc.get("errors"), list) and doc["errors"]:
        first = doc["errors"][0]
        message = first.get("message") or first.get("code") if isinstance(first, dict) else first
        raise SourceError(f"{what}: error answer: {one_line(str(message), 200)}", status="failed")


# --- refresh ----------------------------------------------------------------------------------------


def _search(ctx: SourceContext, base: str, celex: str) -> tuple[list[tuple[NationalAct, FetchResult]], bool]:
    assert ctx.http is not None
    hits: list[tuple[NationalAct, FetchResult]] = []
    for page in range(MAX_PAGES):
        fetch = ctx.http.get(INFO.name, f"{base}/v1/legislation",
                             params={"searchTerm": search_term(celex), "size": str(PAGE_SIZE),
                                     "pageIndex": str(page)},
                             headers={"Accept": "application/json"}, conditional=True)
        acts, total = parse_search(fetch.body)
        hits.extend((a, fetch) for a in acts)
        if len(hits) >= total or not acts:
            return hits, len(hits) >= total
    return hits, False


def refresh(ctx: SourceContext) -> SourceResult:
    """Search NeuRIS for each selected directive; findings only (see the module doc)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "Germany")
    if not directives:
        return result
    http_of(ctx, INFO.name, "query NeuRIS")
    base = endpoint(ctx)
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    notes: list[str] = []
    def search(measure: Measure) -> tuple[list, bool]:
        ctx.progress(f"gazette-de: {measure.id}: searching NeuRIS for {search_term(measure.celex or '')}")
        return _search(ctx, base, measure.celex or "")

    # One search per directive, at once up to the host's concurrency, reported in order.
    searches = attempt_each(ctx, base, INFO.name, search, directives, (SourceError, ParseError))
    for measure, outcome in zip(directives, searches, strict=True):
        celex = measure.celex or ""
        if isinstance(outcome, SourceError | ParseError):
            failures.append(f"{measure.id} ({status_of(outcome)}): {outcome}")
            continue
        hits, complete = outcome
        if not complete:
            notes.append(f"{celex}: not every result page was read")
        for act, fetch in hits:
            keep_fetch(result, fetch)
            if celex not in act.celex():
                notes.append(f"{act.key}: a hit for {celex} whose name and snippets do not name it; ignored")
            result.findings.extend(findings_for(act, ctx, fetch, wanted))
    result.findings = unique_findings(result.findings)
    if all_failed(result, failures, len(directives), "search"):
        return result
    reason = [f"{len(result.findings)} finding(s); no coverage: NeuRIS is a beta with incomplete coverage"]
    if failures:
        reason.append(f"{len(failures)} of {len(directives)} search(es) failed: " + "; ".join(failures))
    result.reason = "; ".join(reason + notes)
    return result


# --- import ---------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved NeuRIS search answer or Legislation object."""
    with named_errors(name):
        doc = parse_json(body, name)
        if isinstance(doc, dict) and "member" in doc:
            acts, _ = parse_search(body)
        elif isinstance(doc, dict) and doc.get("@type") == "Legislation":
            acts = [parse_legislation(body)]
        else:
            raise ParseError("neither a NeuRIS search answer nor a Legislation object")
    return import_result(acts, name, ctx)

