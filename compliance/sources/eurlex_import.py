"""EUR-Lex / CELLAR: a file a user saved (a CELLAR NIM SPARQL JSON result or a EUR-Lex NIM page),
read whole into findings, and the finding each NIM makes (also for eurlex.py's refresh).

A big SPARQL result is streamed instead (eurlex.stream_import, eurlex_findings.py); StreamedImport
here is the plain streamed reading it is held equal to.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urljoin

from ..errors import BlockedError, ParseError
from .base import FoundItem, SourceContext, SourceResult
from .eurlex_html import (
    HtmlNim,
    looks_like_nim_html,
    parse_nim_html,
)
from .eurlex_parse import (
    NimRecord,
    check_body,
    decode,
    directive_of_nim_celex,
    is_waf_challenge,
    nim_data,
    nim_reference,
    parse_nim_results,
)

if TYPE_CHECKING:
    from ..http import FetchResult
    from ..model import Measure

EURLEX_BASE = "https://eur-lex.europa.eu/legal-content/EN/NIM/"


def nim_item(rec: NimRecord, measure_id: str, directive: str | None, fetch: FetchResult | None) -> FoundItem:
    """A NIM as a finding; the date is the earliest notification date."""
    celex = rec.celex_for(directive)
    values = rec.values
    url = (values.get("link") or values.get("eli") or [None])[0]
    return FoundItem(
        key=celex or rec.nim or rec.group,
        kind="national-measure",
        measure_id=measure_id,
        member_state=rec.member_state,
        celex=celex,
        date=rec.notified[0] if rec.notified else None,
        title=rec.titles[0]["value"] if rec.titles else None,
        reference=nim_reference(rec),
        url=url,
        data=nim_data(rec, directive),
        fetch=fetch,
    )


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a file a user saved: a CELLAR NIM SPARQL JSON result or a EUR-Lex NIM page.

    Imports give findings only, never coverage: a saved file cannot prove an absence. `fetch` is
    None; refresh/run.py attaches the file's own provenance.
    """
    text = decode(body, name)
    head = text.lstrip()
    if not head.startswith(("{", "[")) and is_waf_challenge(text):
        raise BlockedError(
            f"{name}: this is the AWS WAF JavaScript challenge page, not EUR-Lex data; let the page "
            "load in a browser, then save it again"
        )
    if head.startswith("Virtuoso"):
        check_body(text, name)
    if head.startswith(("{", "[")):
        return _import_sparql(body, name, ctx)
    if looks_like_nim_html(text):
        return _import_html(body, name, ctx)
    raise ParseError(f"{name}: neither a CELLAR SPARQL JSON result of NIMs nor a EUR-Lex NIM page")


def _wanted(ctx: SourceContext, member_state: str | None) -> bool:
    targets = ctx.eu_targets()
    return targets is None or member_state in targets


def _import_sparql(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    try:
        parsed = parse_nim_results(body)
    except ParseError as exc:
        raise ParseError(f"{name}: {exc}") from None
    matcher = ImportMatcher(ctx)
    result = SourceResult()
    for rec in parsed.records:
        result.findings.extend(matcher.items(rec))
    result.reason = matcher.reason(name, parsed.notes, bool(parsed.records))
    return result


class ImportMatcher:
    """Which catalogued measure(s) each NIM of an imported result is about (whole or streamed)."""

    def __init__(self, ctx: SourceContext) -> None:
        candidates = [m for m in (ctx.measures() if ctx.measure_ids else ctx.catalogue.measures.values()) if m.celex]
        self.by_celex = {m.celex: m for m in candidates}
        self.only = candidates[0] if ctx.measure_ids and len(candidates) == 1 else None
        self.measure_ids = ctx.measure_ids
        self.targets = ctx.eu_targets()
        self.uninferable = 0
        self.other: dict[str, int] = {}
        self.found = 0

    def items(self, rec: NimRecord) -> list[FoundItem]:
        directives = rec.directives()
        matched = [self.by_celex[d] for d in directives if d in self.by_celex]
        if not directives and self.only is not None:
            matched = [self.only]
        if not matched:
            if directives:
                for d in directives:
                    self.other[d] = self.other.get(d, 0) + 1
            else:
                self.uninferable += 1
            return []
        wanted = self.targets is None or rec.member_state in self.targets
        items = [nim_item(rec, measure.id, measure.celex, None) for measure in matched] if wanted else []
        self.found += len(items)
        return items

    def reason(self, name: str, parse_notes: list[str], any_records: bool) -> str | None:
        """The notes of the import (its `reason`); ParseError when the file cannot be imported."""
        if self.uninferable:
            raise ParseError(
                f"{name}: {self.uninferable} measure(s) have no NIM CELEX, so their directive cannot be "
                "inferred; pass --measure with the one catalogued measure the file is for"
            )
        notes = list(parse_notes)
        if self.other:
            listed = ", ".join(f"{d} ({n})" for d, n in sorted(self.other.items()))
            if not self.found and any_records:
                raise ParseError(
                    f"{name}: the measures implement {listed}, none of which is a catalogued measure"
                    + (" selected with --measure" if self.measure_ids else "")
                    + "; add the directive to your catalogue (by CELEX) or pass --measure"
                )
            notes.append(f"ignored measures of directives not selected or not catalogued: {listed}")
        return "; ".join(notes) or None


class StreamedImport:
    """The plain streamed reading of a big saved NIM result (eurlex_stream.NimStream, one
    NimRecord at a time): the reference that eurlex_findings.FindingStream, which `stream_import`
    uses, is held equal to (tests/sources/test_eurlex_findings.py).

    Iterate `findings()` (file order); afterwards `reason` holds the import's notes as
    parse_import would give them. Raises ParseError (with the file name) like parse_import, and
    eurlex_stream.NotGrouped when the file has to be read whole instead.
    """

    def __init__(self, fh: IO[bytes], name: str, ctx: SourceContext) -> None:
        from .eurlex_stream import NimStream

        self.name = name
        self.stream = NimStream.of_file(fh, "CELLAR NIM query result")
        self.matcher = ImportMatcher(ctx)
        self.reason: str | None = None
        self.records = 0

    @property
    def rows(self) -> int:
        return self.stream.rows

    def findings(self) -> Iterator[FoundItem]:
        try:
            for rec in self.stream:
                self.records += 1
                yield from self.matcher.items(rec)
            self.reason = self.matcher.reason(self.name, self.stream.notes, self.records > 0)
        except ParseError as exc:
            message = str(exc)
            raise ParseError(message if message.startswith(f"{self.name}: ") else f"{self.name}: {message}") from None


def _import_html(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    try:
        page = parse_nim_html(body)
    except ParseError as exc:
        raise ParseError(f"{name}: {exc}") from None
    in_page = sorted({d for d in (c if c.startswith("3") else directive_of_nim_celex(c) for c in page.celex) if d})
    measure = _html_measure_for(name, ctx, in_page)
    result = SourceResult()
    notes = list(page.notes)
    unknown = 0
    for nim in page.measures:
        if nim.member_state is None:
            unknown += 1
            continue
        if _wanted(ctx, nim.member_state):
            result.findings.append(_html_item(nim, measure, page.countries.get(nim.iso3, {})))
    if unknown:
        notes.append(f"skipped {unknown} measure(s) of countries that are not EU Member States")
    result.reason = "; ".join(notes) or None
    return result


def _html_measure_for(name: str, ctx: SourceContext, in_page: list[str]) -> Measure:
    if ctx.measure_ids:
        chosen = [m for m in ctx.measures() if m.celex]
        if len(chosen) > 1:
            chosen = [m for m in chosen if m.celex in in_page]
        if len(chosen) != 1:
            raise ParseError(f"{name}: pass --measure with the one catalogued directive this NIM page is for")
        measure = chosen[0]
        if in_page and measure.celex not in in_page:
            raise ParseError(
                f"{name}: the page is for {', '.join(in_page)}, but --measure {measure.id} is {measure.celex}"
            )
        return measure
    matches = [ctx.catalogue.by_celex[d] for d in in_page if d in ctx.catalogue.by_celex]
    if len(matches) == 1:
        return matches[0]
    found = f"it names {', '.join(in_page)}" if in_page else "it names no directive CELEX"
    raise ParseError(f"{name}: cannot tell which catalogued directive this NIM page is for ({found}); pass --measure")


def _html_item(nim: HtmlNim, measure: Measure, country: dict[str, Any]) -> FoundItem:
    eurlex_url = urljoin(EURLEX_BASE, nim.href) if nim.href else None
    key = nim.celex or (f"NIM:{nim.nim_id}" if nim.nim_id else f"{nim.iso3}:{nim.oj_number or nim.title}")
    reference = " ".join(p for p in (nim.oj_name, nim.oj_number) if p) or None
    data: dict[str, Any] = {
        "format": "eurlex-nim-html",
        "directive": measure.celex,
        "country": nim.iso3,
        "nim_id": nim.nim_id,
        "nim_celex": [nim.celex] if nim.celex else [],
        "title": nim.title,
        "language": nim.language,
        "oj_name": nim.oj_name,
        "oj_number": nim.oj_number,
        "publication_date": nim.publication_date.isoformat() if nim.publication_date else None,
        "publication_date_raw": nim.publication_date_raw,
        "date_kind": "publication (official journal); the saved page shows no notification date",
        "eurlex_url": eurlex_url,
        "links": nim.links,
        "page_transposition_deadlines": country.get("deadlines", []),
        "page_declared_count": country.get("declared"),
    }
    return FoundItem(
        key=key,
        kind="national-measure",
        measure_id=measure.id,
        member_state=nim.member_state,
        celex=nim.celex,
        date=nim.publication_date,
        title=nim.title,
        reference=reference,
        url=(nim.links[0]["href"] if nim.links else eurlex_url),
        data=data,
        fetch=None,
    )
