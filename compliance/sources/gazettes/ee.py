"""Estonia: Riigi Teataja, listing the acts in force through the search JSON and reading each act's XML.

sources.md §2.7. The EU link is in the act XML (V, real samples): `<normtehnmarkus>` /
`<normtehnmarkusTekst>` lists every EU directive the act transposes, one entry per line
(`<reavahetus/>`) or per ";", e.g.

    Euroopa Parlamendi ja nõukogu direktiiv 2014/28/EL tsiviilotstarbeliseks … (ELT L 96, …);
    komisjoni direktiiv 2008/43/EÜ nõukogu direktiivi 93/15/EMÜ kohase …, muudetud direktiiviga 2012/4/EL (…);

In each entry the FIRST act named is the one transposed, and so is an act after "muudetud"
("as amended by"); other acts in the entry are only named in its title (93/15/EMÜ above) and
count as mentions, like a directive cited in the body text (`<sisu>`).

How acts are found (R, reported by third-party code; not verified live):
    GET https://www.riigiteataja.ee/api/oigusakt_otsing/1/otsi
        ?leht=N&limiit=(≤500)&dokument=seadus|määrus&tekst=terviktekst&kehtiv=YYYY-MM-DD&kov=false
    -> {"aktid": [{"globaalID", "url": "/akt/{id}.xml", "kehtivus": {"algus"}}, …]}
and, since the 2026-06-01 relaunch, the act XML at `GET /public-api/api/v1/akt/{id}/xml` (the old
`/akt/{id}.xml` now returns an Angular shell; HEAD redirects to Keycloak, so GET only).
The search has no documented parameter for a directive or a keyword, so this source lists every
act of the types in `DOCUMENT_TYPES` in force today and reads each one's XML. By default only laws
(`seadus`, a few hundred) are read; government and ministerial regulations (`määrus`, thousands)
also transpose directives and are left out unless added to `DOCUMENT_TYPES`.

Coverage: NONE. sources.md documents the search API only as reported (R), with no way to ask for
a directive, and regulations are not read by default: nothing here can show that Estonia has
not transposed a directive. Findings only ever add evidence.

Keys: the original act's Riigi Teataja URL (`/akt/{aktViide of the adopted act}`), which stays the
same across consolidated versions; `url` is the version read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ... import refs
from ...errors import BlockedError, ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ._payloads import (
    checked_params,
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
from ._runs import candidate_measures, http_of, local_now, unselected, wanted_state
from ._support import BasisAct, findings_for, other_references

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

    from ...http import FetchResult

INFO = SOURCES["gazette-ee"]
MEMBER_STATE = "EE"
ENDPOINT_NAME = "GAZETTE_EE"
DEFAULT_ENDPOINT = "https://www.riigiteataja.ee"
PUBLIC_RT = "https://www.riigiteataja.ee"
SEARCH_PATH = "/api/oigusakt_otsing/1/otsi"
XML_PATH = "/public-api/api/v1/akt/{id}/xml"

SEARCH_PARAMETERS = frozenset({"leht", "limiit", "dokument", "tekst", "kehtiv", "kov"})  # sources.md §2.7
SEARCH_LIMIT = 500  # documented maximum per page
MAX_PAGES = 40
MAX_ACTS = 3000  # a listing longer than this is refused, not cut
DOCUMENT_TYPES = ("seadus",)

_ID = re.compile(r"^\d{6,15}$")
_AMENDED_BY = re.compile(r"\bmuudetud\b", re.IGNORECASE)


def _today() -> str:
    """Today's date for `kehtiv` (the acts in force); tests replace it."""
    return local_now("Europe/Tallinn").date().isoformat()


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


def build_params(**params: str | int) -> dict[str, str]:
    """Search parameters, refused (ValueError) if not documented or out of range."""
    out = checked_params(params, SEARCH_PARAMETERS, "Riigi Teataja search")
    if "limiit" in out and (not out["limiit"].isdecimal() or not 1 <= int(out["limiit"]) <= SEARCH_LIMIT):
        raise ValueError(f"limiit must be 1..{SEARCH_LIMIT}")
    if "leht" in out and (not out["leht"].isdecimal() or int(out["leht"]) < 1):
        raise ValueError("leht is 1-based")
    return out


# --- the search JSON -----------------------------------------------------------------------------


@dataclass
class SearchPage:
    ids: list[str] = field(default_factory=list)
    total: int | None = None
    rows: int = 0
    notes: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)


def parse_search(body: bytes, what: str = "Riigi Teataja search") -> SearchPage:
    """One page of the search: the acts' global ids (`globaalID`, else the id in `url`)."""
    data = parse_json(body, what, html_error=ParseError)
    if not isinstance(data, dict):
        raise ParseError(f"{what}: expected a JSON object with 'aktid'")
    if "aktid" not in data:
        raise_error_answer(data, ("viga", "error", "message", "teade"), what)
        raise ParseError(f"{what}: no 'aktid' list")
    acts = data["aktid"]
    if acts is None:
        acts = []
    if not isinstance(acts, list):
        raise ParseError(f"{what}: 'aktid' is not a list")
    page = SearchPage(rows=len(acts))
    meta = data.get("metaandmed")
    # `metaandmed.kokku` (the total) is reported by third-party code only; used when present.
    if isinstance(meta, dict) and isinstance(meta.get("kokku"), int) and not isinstance(meta.get("kokku"), bool):
        page.total = meta["kokku"]
    for n, act in enumerate(acts):
        if not isinstance(act, dict):
            raise ParseError(f"{what}: act {n} is not an object")
        gid = act.get("globaalID")
        gid = str(gid) if isinstance(gid, int | str) and not isinstance(gid, bool) else None
        if not gid or not _ID.match(gid):
            url = act.get("url") if isinstance(act.get("url"), str) else ""
            m = re.search(r"/akt/(\d{6,15})", url)
            gid = m.group(1) if m else None
        if gid is None:
            page.notes.append(f"act {n}: no global id; skipped")
            continue
        page.ids.append(gid)
        if clean(act.get("pealkiri")):
            page.titles[gid] = clean(act.get("pealkiri")) or ""
    return page


# --- the act XML ---------------------------------------------------------------------------------


def _child(elem: Element | None, name: str) -> Element | None:
    if elem is None:
        return None
    return next((c for c in elem if local(c.tag) == name), None)


def _val(elem: Element | None, *path: str) -> str | None:
    for name in path:
        elem = _child(elem, name)
    return clean(elem.text) if elem is not None else None


def normtehnmarkus_entries(elem: Element) -> list[str]:
    """The lines of a `<normtehnmarkusTekst>`: split at `<reavahetus/>` and at ";"."""
    pieces: list[str] = [elem.text or ""]
    for child in elem:
        if local(child.tag) == "reavahetus":
            pieces.append("\n")
        else:
            pieces.append(" ".join(child.itertext()))
        pieces.append(child.tail or "")
    text = "".join(pieces)
    return [e for e in (clean(part) for part in re.split(r"[;\n]", text)) if e]


def transposed_in_entry(entry: str) -> tuple[list[str], list[str]]:
    """(transposed, only named) EU acts of one normtehnmarkus entry (see the module doc)."""
    found = refs.extract(entry)
    transposed, named = [], []
    for i, ref in enumerate(found):
        if i == 0 or _AMENDED_BY.search(entry, found[i - 1].end, ref.start):
            transposed.append(ref.celex)
        else:
            named.append(ref.celex)
    return transposed, [c for c in named if c not in transposed]


def _rt_reference(mark: Element | None) -> str | None:
    """ "RT I, 21.06.2017, 1" from an `<avaldamismarge>`."""
    part, day, article = _val(mark, "RTosa"), parse_date(_val(mark, "avaldamineKuupaev")), _val(mark, "RTartikkel")
    if not (part and day and article):
        return None
    return f"{part}, {day:%d.%m.%Y}, {article}"


def parse_act(body: bytes, name: str = "Riigi Teataja act XML") -> BasisAct:
    """A Riigi Teataja act (`<oigusakt>` with `<metaandmed>`, any schema namespace) and its EU links."""
    if isinstance(body, bytes | bytearray) and looks_like_html(body):
        raise BlockedError(f"{name}: an HTML page (the web application shell?) instead of the act XML")
    root, _ = parse_xml(body, name)
    if local(root.tag) != "oigusakt":
        raise ParseError(f"{name}: not a Riigi Teataja act (root <{local(root.tag) or '?'}>, expected <oigusakt>)")
    meta = _child(root, "metaandmed")
    if meta is None:
        raise ParseError(f"{name}: act without <metaandmed>")
    global_id = _val(meta, "globaalID")
    adopted = _child(meta, "vastuvoetud")
    original = _child(adopted, "avaldamismarge")
    original_id = _val(original, "aktViide")
    current = _child(meta, "avaldamismarge")
    version_id = global_id or _val(current, "aktViide")
    if not (original_id and _ID.match(original_id)) and not (version_id and _ID.match(version_id)):
        raise ParseError(f"{name}: neither globaalID nor an aktViide: no stable id")
    key_id = original_id if original_id and _ID.match(original_id) else version_id
    amendments = [c for c in root if local(c.tag) == "muutmismarge"]
    text_kind = _val(meta, "tekstiliik")
    title = text_of(_child(_child(_child(root, "aktinimi"), "nimi"), "pealkiri"), " ") or None
    act = BasisAct(
        key=f"{PUBLIC_RT}/akt/{key_id}",
        member_state=MEMBER_STATE,
        title=title,
        type=_val(meta, "dokumentLiik"),
        url=f"{PUBLIC_RT}/akt/{version_id}" if version_id and _ID.match(version_id) else None,
        reference=_rt_reference(original),
        adopted=parse_date(_val(adopted, "aktikuupaev")),
        published=parse_date(_val(original, "avaldamineKuupaev")),
        in_force=parse_date(_val(adopted, "joustumine")),
        # A consolidated text of an amended act: its list may come from any amendment.
        consolidated=(text_kind or "").lower() == "terviktekst" and bool(amendments),
    )
    named_in_note: set[str] = set()
    entries: list[str] = []
    for note in root.iter():
        if local(note.tag) != "normtehnmarkusTekst":
            continue
        for entry in normtehnmarkus_entries(note):
            entries.append(entry)
            transposed, named = transposed_in_entry(entry)
            act.add_all(transposed, "normtehnmarkus")
            named_in_note.update(named)
    body_text = text_of(_child(root, "sisu"), " ")
    for ref in refs.extract(body_text):
        act.add(ref.celex, "text")
    for celex in named_in_note:
        act.add(celex, "named-in-normtehnmarkus")
    act.data.update({
        "global_id": global_id,
        "issuer": _val(meta, "valjaandja"),
        "text_kind": text_kind,
        "abbreviation": _val(meta, "lyhend"),
        "act_number": _val(adopted, "aktiNr"),
        "consolidation_group": _val(meta, "terviktekstiGrupiID"),
        "version": {"reference": _rt_reference(current), "published": _val(current, "avaldamineKuupaev"),
                    "valid_from": _val(meta, "kehtivus", "kehtivuseAlgus"),
                    "valid_until": _val(meta, "kehtivus", "kehtivuseLopp")},
        "amendments": len(amendments),
        "normtehnmarkus": entries,
    })
    return act


# --- refresh -------------------------------------------------------------------------------------


def list_acts(ctx: SourceContext, document: str, fetches: list[FetchResult]) -> list[str]:
    """Every act of type `document` in force today, page by page; SourceError if incomplete."""
    assert ctx.http is not None
    ids: list[str] = []
    for leht in range(1, MAX_PAGES + 1):
        params = build_params(leht=leht, limiit=SEARCH_LIMIT, dokument=document, tekst="terviktekst",
                              kehtiv=_today(), kov="false")
        fetch = ctx.http.get(INFO.name, f"{endpoint(ctx)}{SEARCH_PATH}", params=params,
                             headers={"Accept": "application/json"})
        fetches.append(fetch)
        page = parse_search(fetch.body, f"Riigi Teataja search {document} page {leht}")
        ids.extend(page.ids)
        if page.total is not None and len(ids) >= page.total:
            return ids
        if page.rows < SEARCH_LIMIT:
            if page.total is not None and len(ids) < page.total:
                raise SourceError(f"Riigi Teataja search {document}: {len(ids)} of {page.total} acts listed",
                                  status="failed")
            return ids
        if len(ids) > MAX_ACTS:
            break
    raise SourceError(f"Riigi Teataja search {document}: more than {min(len(ids), MAX_ACTS)} acts or "
                      f"{MAX_PAGES} pages; refused rather than cut", status="failed")


def refresh(ctx: SourceContext) -> SourceResult:
    """Read every act in force of `DOCUMENT_TYPES`; report the catalogued EU acts they transpose or cite."""
    result = SourceResult()
    result.reason = unselected(ctx, MEMBER_STATE, "Estonia")
    if result.reason:
        return result
    http_of(ctx, INFO.name)
    measures = candidate_measures(ctx)
    if not measures:
        result.reason = "no selected measure has a CELEX number"
        return result
    ids: list[str] = []
    try:
        for document in DOCUMENT_TYPES:
            ctx.progress(f"gazette-ee: listing {document} in force")
            ids.extend(list_acts(ctx, document, result.fetches))
    except (SourceError, ParseError) as exc:
        result.status = exc.status if isinstance(exc, SourceError) else "failed"
        result.reason = f"the list of acts could not be read: {exc}"
        return result
    ids = list(dict.fromkeys(ids))
    failures: list[tuple[str, str]] = []
    acts: list[BasisAct] = []
    for n, gid in enumerate(ids, start=1):
        if n % 50 == 0:
            ctx.progress(f"gazette-ee: {n} of {len(ids)} acts read")
        url = f"{endpoint(ctx)}{XML_PATH.format(id=gid)}"
        try:
            fetch = ctx.http.get(INFO.name, url, headers={"Accept": "application/xml"})
            result.fetches.append(fetch)
            act = parse_act(fetch.body, f"Riigi Teataja act {gid}")
        except (SourceError, ParseError) as exc:
            failures.append((gid, str(exc)))
            continue
        acts.append(act)
        result.findings.extend(findings_for(act, ctx, fetch, measures))
    strong = sum(1 for f in result.findings if f.kind == "national-measure")
    parts = [
        f"{len(ids)} act(s) of type {', '.join(DOCUMENT_TYPES)} in force listed, {len(acts)} read",
        f"{len(result.findings)} finding(s) about catalogued acts ({strong} in <normtehnmarkus>)",
        "no coverage: the search API cannot be asked for a directive and is only reported, not verified",
    ]
    if failures:
        result.status = "failed"
        parts.insert(0, f"{len(failures)} act(s) could not be read (first: {failures[0][0]}: {failures[0][1]})")
    others = other_references(acts, measures)
    if others:
        parts.append(f"other EU acts named: {len(others)}")
    result.reason = "; ".join(parts)
    return result


# --- import --------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved Riigi Teataja act XML (new `/public-api/…/xml` or legacy `/akt/{id}.xml`)."""
    if decode(body, name).lstrip()[:1] in ("{", "["):
        raise ParseError(f"{name}: a search result lists acts but names no EU acts; import an act's XML")
    act = parse_act(body, name)
    measures = candidate_measures(ctx)
    result = SourceResult()
    if wanted_state(ctx, MEMBER_STATE):
        result.findings = findings_for(act, ctx, None, measures)
    result.reason = (f"{act.key}: {len(act.references)} EU act(s) named, {len(result.findings)} catalogued; "
                     f"<normtehnmarkus>: {len(act.data['normtehnmarkus'])} entr(ies)")
    return result

