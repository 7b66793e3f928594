"""The acts' own texts from CELLAR, by content negotiation (sources.md, "CELLAR REST / content
negotiation"): what the catalogue says of each act is checked against the act itself.

For every selected measure with a CELEX (built-in or added by a user), and for every amending
act an obligation names (`act:`), the English text is asked for as XHTML
(`GET {base}/{celex}`, `Accept: application/xhtml+xml`), then as Formex 4 when CELLAR has no
XHTML (HTTP 406/404). An HTTP 300 (several documents) is answered with the first document the
list names. The parsed facts (act_text_parse.summary) are stored as act metadata of source
`act-texts` with the fetch they came from; the comparison with the catalogue is catalogue/facts.py's.

A text that cannot be fetched or read is a failed item with its reason: nothing is concluded
from it (the facts stay as the catalogue has them, marked unverified where they were).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from ..errors import BlockedError, ParseError, SourceError
from . import SOURCES
from .act_text_parse import parse, summary
from .base import MetadataItem, SourceContext, SourceResult
from .parallel import host_workers, ordered_map

if TYPE_CHECKING:
    from ..http import FetchResult
    from ..model import Measure

INFO = SOURCES["act-texts"]
ENDPOINT_NAME = "CELLAR_RESOURCE"
DEFAULT_ENDPOINT = "https://publications.europa.eu/resource/celex/"
XHTML = "application/xhtml+xml, text/html;q=0.9"
FORMEX = "application/xml;type=fmx4, application/zip;q=0.5"
LANGUAGE = "eng"
MULTIPLE_CHOICES = 300
NO_SUCH_FORMAT = (404, 406)


def endpoint(ctx: SourceContext) -> str:
    base = ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT)
    return base if base.endswith("/") else base + "/"


def wanted(measures: list[Measure]) -> list[tuple[Measure, str]]:
    """(measure, CELEX) pairs to read: the measure's own act and the amending acts it names."""
    pairs: list[tuple[Measure, str]] = []
    for measure in measures:
        celexes = [measure.celex] if measure.celex else []
        celexes += [o.act for o in measure.obligations if o.act and o.act not in celexes]
        pairs.extend((measure, c) for c in celexes)
    return pairs


def _choices(fetch: FetchResult) -> list[str]:
    """The documents an HTTP 300 answer lists (hrefs, or bare URLs in a plain-text list)."""
    text = fetch.body.decode("utf-8", "replace")
    links = re.findall(r"""href=["']([^"'#]+)["']""", text) or re.findall(r"https?://\S+", text)
    return [urljoin(fetch.final_url, link) for link in links]


def _get(ctx: SourceContext, url: str, accept: str) -> FetchResult:
    assert ctx.http is not None
    return ctx.http.get(INFO.name, url, headers={"Accept": accept, "Accept-Language": LANGUAGE},
                        conditional=True, ok_statuses=(MULTIPLE_CHOICES, *NO_SUCH_FORMAT))


def fetch_text(ctx: SourceContext, base: str, celex: str) -> tuple[FetchResult, list[FetchResult]]:
    """The response holding the act's text, and every response used on the way."""
    used: list[FetchResult] = []
    for accept in (XHTML, FORMEX):
        fetch = _get(ctx, urljoin(base, celex), accept)
        used.append(fetch)
        if fetch.status_code == MULTIPLE_CHOICES:
            choices = _choices(fetch)
            if not choices:
                raise ParseError(f"{celex}: HTTP 300 without a list of documents")
            fetch = _get(ctx, choices[0], accept)
            used.append(fetch)
        if fetch.status_code in NO_SUCH_FORMAT:
            continue
        if fetch.status_code == MULTIPLE_CHOICES:
            raise ParseError(f"{celex}: CELLAR answered HTTP 300 twice; no single document")
        return fetch, used
    raise SourceError(f"{celex}: CELLAR has no English XHTML or Formex text (HTTP {used[-1].status_code})",
                      status="failed")


def _is_challenge(body: bytes) -> bool:
    head = body[:4096]
    return b"awsWafCookieDomainList" in head or b"challenge-container" in head


def read_act(ctx: SourceContext, base: str, measure: Measure, celex: str) -> tuple[MetadataItem, list[FetchResult]]:
    fetch, used = fetch_text(ctx, base, celex)
    if _is_challenge(fetch.body):
        raise BlockedError(f"{celex}: a bot challenge page instead of the act's text")
    try:
        data = summary(parse(fetch.body))
    except ParseError as exc:
        raise ParseError(f"{celex}: {exc}") from None
    data.update({"kind": "act-text", "celex": celex, "url": fetch.final_url, "sha256": fetch.sha256,
                 "content_type": fetch.content_type})
    return MetadataItem(measure_id=measure.id, celex=celex, data=data, fetch=fetch), used


def refresh(ctx: SourceContext) -> SourceResult:
    """Read every selected act's text; one failing act never stops the rest."""
    result = SourceResult()
    if ctx.http is None:
        raise SourceError("act-texts: no HTTP client", status="unavailable")
    pairs = wanted(ctx.measures())
    if not pairs:
        result.reason = "no selected measure has a CELEX number"
        return result
    base = endpoint(ctx)

    def one(pair: tuple[Measure, str]) -> tuple[MetadataItem | None, list[FetchResult], str | None]:
        measure, celex = pair
        ctx.progress(f"act-texts: {measure.id}: text of {celex}")
        try:
            item, used = read_act(ctx, base, measure, celex)
            return item, used, None
        except (SourceError, ParseError) as exc:
            status = exc.status if isinstance(exc, SourceError) else "failed"
            ctx.progress(f"act-texts: {measure.id}: {status}: {exc}")
            return None, [], f"{measure.id} ({celex}): {status}: {exc}"

    failures = []
    for item, used, failure in ordered_map(one, pairs, host_workers(ctx, base, len(pairs)), "act-texts"):
        result.fetches.extend(used)
        if item is not None:
            result.metadata.append(item)
        if failure:
            failures.append(failure)
    if failures and len(failures) == len(pairs):
        result.status = "failed"
        result.reason = f"no act text could be read; first: {failures[0]}"
    elif failures:
        result.reason = f"{len(failures)} of {len(pairs)} act text(s) not read: " + "; ".join(failures[:5])
    else:
        result.reason = f"{len(pairs)} act text(s) read"
    return result


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """An act text a user saved (XHTML or Formex), for the one measure given with --measure."""
    chosen = [m for m in ctx.measures() if m.celex] if ctx.measure_ids else []
    if len(chosen) != 1:
        raise ParseError(f"{name}: pass --measure with the one catalogued act this text is of")
    try:
        data = summary(parse(body))
    except ParseError as exc:
        raise ParseError(f"{name}: {exc}") from None
    measure = chosen[0]
    data.update({"kind": "act-text", "celex": measure.celex, "url": None, "imported": name,
                 "sha256": hashlib.sha256(body).hexdigest()})
    result = SourceResult()
    result.metadata.append(MetadataItem(measure_id=measure.id, celex=measure.celex or "", data=data))
    return result
