"""Luxembourg: Legilux / Casemates, JOLux metadata (sources.md 2.8).

Refresh, per selected directive of the catalogue:

1. SPARQL (`GET {base}/sparqlendpoint?query=…`, `Accept: application/sparql-results+json`,
   the endpoint WWL uses, R) for every Legilux act linked by any predicate to the directive's
   ELI, in the Legilux mirror form `…/eli/dir_ue/2011/36/jo` (the form of the verified
   `jolux:cites …/eli/reg_ue/2016/679/jo` in the real sample) or the EU form
   `http://data.europa.eu/eli/dir/2011/36/oj`.
2. For each act, the ELI dereference (`GET {ELI}`, `Accept: application/rdf+xml`; JSON-LD
   answers 415) gives its JOLux RDF: type, dates, title, `jolux:cites`, manifestations.

A `jolux:cites` link is a citation. A predicate whose name says transposition (Legilux publishes
a vocabulary of "statuts de transposition", so one very likely exists, I) or a title that says
"portant transposition de la directive …" makes the act a national measure.

No coverage is emitted: the links are editorial metadata of the Service central de législation
and nothing public says that every act is linked to every EU act it transposes, so an empty
answer cannot prove an absence.

Imports read a saved JOLux RDF/XML or a filestore Akoma Ntoso (`scl:jolux` metadata).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import SourceContext, SourceResult
from ..parallel import attempt_each, host_workers, ordered_map
from ._payloads import Fixer, decode, local, named_errors, parse_date, parse_xml
from ._runs import all_failed, candidate_measures, directive_scope, http_of, status_of
from ._support import CITES, IMPLEMENTS, NationalAct, findings_for, import_result, one_line, refs_in_text, refs_in_uri

if TYPE_CHECKING:
    from ...http import FetchResult
    from ...model import Measure

INFO = SOURCES["gazette-lu"]
ENDPOINT_NAME = "GAZETTE_LU"
DEFAULT_ENDPOINT = "https://data.legilux.public.lu"
MEMBER_STATE = "LU"
LEGILUX = "http://data.legilux.public.lu"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
JOLUX = "http://data.legilux.public.lu/resource/ontology/jolux#"
RDF_XML = "application/rdf+xml"
SPARQL_JSON = "application/sparql-results+json"
RESULT_LIMIT = 1000  # rows of one SPARQL answer; a full answer is refused as possibly cut

_WORK_TYPES = {"Act", "Work", "LegalResource", "NationalLegalResource", "BaseAct"}
_MEMORIAL = re.compile(r"/memorial/(\d{4})/([a-z])(\d+)$", re.IGNORECASE)
_ACT_URI = re.compile(r"^(https?://data\.legilux\.public\.lu/eli/etat/.+?/jo)(?:/.*)?$")


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


def _transposition(predicate: str) -> bool:
    return "transpos" in predicate.lower()


# --- JOLux RDF/XML -------------------------------------------------------------------------------


def _nodes(root: Any) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """subject URI -> {predicate local name: [(kind, value)]}; kind is "uri" or "literal".

    Reads the RDF/XML forms Legilux uses: `rdf:Description rdf:about` nodes (and typed nodes
    such as `<jolux:Act rdf:about>`), properties with `rdf:resource` or a literal.
    """
    about = f"{{{RDF}}}about"
    resource = f"{{{RDF}}}resource"
    nodes: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for node in root:
        subject = node.get(about)
        if not isinstance(node.tag, str) or not subject:
            continue
        props = nodes.setdefault(subject, {})
        if local(node.tag) != "Description":
            props.setdefault("type", []).append(("uri", node.tag.replace("{", "").replace("}", "")))
        for prop in node:
            name = local(prop.tag)
            if not name:
                continue
            if prop.get(resource) is not None:
                props.setdefault(name, []).append(("uri", prop.get(resource)))
            else:
                # Kept raw: a double-encoding repair must see the bytes before whitespace is collapsed.
                props.setdefault(name, []).append(("literal", "".join(prop.itertext())))
    return nodes


def _values(props: dict[str, list[tuple[str, str]]], name: str) -> list[str]:
    return [v for _, v in props.get(name, [])]


def _first(props: dict[str, list[tuple[str, str]]], name: str) -> str | None:
    values = _values(props, name)
    return values[0] if values else None


def _clean(fixer: Fixer, value: str | None) -> str | None:
    """A literal repaired (if the document is double-encoded), then whitespace collapsed."""
    if value is None:
        return None
    return " ".join((fixer(value) or "").split()) or None


def _last_segment(uri: str | None) -> str | None:
    return uri.rstrip("/").rsplit("/", 1)[-1].split("#")[-1] if uri else None


def _national_id(eli: str, memorial: str | None) -> str:
    m = _MEMORIAL.search(memorial or "")
    if m:
        return f"Mémorial {m.group(2).upper()} n° {int(m.group(3))} de {m.group(1)}"
    return eli


def parse_jolux(body: bytes, what: str = "Legilux JOLux RDF", *, recover: bool = False) -> NationalAct:
    """The act described by a JOLux RDF/XML document (an ELI dereference)."""
    root, notes = parse_xml(body, what, recover=recover)
    if local(root.tag) != "RDF":
        raise ParseError(f"{what}: root <{local(root.tag)}> is not rdf:RDF")
    nodes = _nodes(root)
    works = [
        (s, p) for s, p in nodes.items()
        if "typeDocument" in p or any(_last_segment(t) in _WORK_TYPES for t in _values(p, "type"))
    ]
    if not works:
        raise ParseError(f"{what}: no jolux:Act/Work node (no typeDocument)")
    # The work is the node with a type of document; among several, the shortest URI (the /jo level).
    works.sort(key=lambda w: ("typeDocument" not in w[1], len(w[0]), w[0]))
    eli, props = works[0]
    expression = None
    for uri in _values(props, "isRealizedBy") + [s for s, p in nodes.items() if eli in _values(p, "realizes")]:
        if uri in nodes and _first(nodes[uri], "title"):
            expression = nodes[uri]
            break
    fixer = Fixer(" ".join(v for p in nodes.values() for vs in p.values() for _, v in vs))
    title = _clean(fixer, _first(expression, "title")) if expression else None
    manifestations = []
    for expr_uri in _values(props, "isRealizedBy"):
        for man_uri in _values(nodes.get(expr_uri, {}), "isEmbodiedBy"):
            man = nodes.get(man_uri, {})
            manifestations.append({
                "uri": man_uri,
                "format": _last_segment(_first(man, "userFormat") or _first(man, "format")),
                "url": _first(man, "isExemplifiedBy"),
            })
    memorial = _first(props, "isPartOf")
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=eli,
        national_id=_national_id(eli, memorial),
        fmt="legilux-jolux-rdf",
        title=title,
        type=_last_segment(_first(props, "typeDocument")),
        eli=eli,
        url=next((m["url"] for m in manifestations if m["format"] == "html" and m["url"]), eli),
        adopted=parse_date(_first(props, "dateDocument")),
        published=parse_date(_first(props, "publicationDate")),
        entry_into_force=parse_date(_first(props, "dateEntryInForce")),
        language=_last_segment(_first(expression, "language")) if expression else None,
    )
    _links(act, props)
    act.references.extend(refs_in_text(title, "title"))
    act.extra = {
        "title_short": _clean(fixer, _first(expression, "titleShort")) if expression else None,
        "in_force_status": _last_segment(_first(props, "inForceStatus")),
        "date_applicability": _first(props, "dateApplicability"),
        "memorial": memorial,
        "responsibility_of": _last_segment(_first(props, "responsibilityOf")),
        "modifies": _values(props, "modifies"),
        "repeals": _values(props, "repeals"),
        "manifestations": manifestations,
    }
    act.notes.extend(notes + fixer.note())
    return act


def _links(act: NationalAct, props: dict[str, list[tuple[str, str]]]) -> None:
    """EU acts among the act's outgoing links: `cites` (and others) as citations, a predicate
    named for transposition as implementation."""
    for name, values in props.items():
        for kind, value in values:
            if kind != "uri" or "/eli/" not in value or "/eli/etat/" in value:
                continue
            if _transposition(name):
                act.references.extend(refs_in_uri(value, f"jolux:{name}", IMPLEMENTS, f"jolux:{name}"))
            else:
                act.references.extend(refs_in_uri(value, f"jolux:{name}", CITES))


# --- filestore Akoma Ntoso --------------------------------------------------------------------------


def parse_akn(body: bytes, what: str = "Legilux Akoma Ntoso", *, recover: bool = False) -> NationalAct:
    """The act of a Legilux filestore Akoma Ntoso, from its `scl:jolux` metadata and its text."""
    root, notes = parse_xml(body, what, recover=recover)
    if local(root.tag) != "akomaNtoso":
        raise ParseError(f"{what}: root <{local(root.tag)}> is not akomaNtoso")
    fixer = Fixer(" ".join(root.itertext()))
    work = next((el for el in root.iter() if local(el.tag) == "FRBRWork"), None)
    this = next((el.get("value") for el in (work.iter() if work is not None else [])
                 if local(el.tag) == "FRBRthis"), None)
    props: dict[str, list[tuple[str, str]]] = {}
    title = None
    for el in root.iter():
        if local(el.tag) != "jolux":
            continue
        name = next((v for k, v in el.attrib.items() if local(k) == "name"), None)
        value = _clean(fixer, "".join(el.itertext()))
        if not name or not value:
            continue
        parent = local(el.getparent().tag) if el.getparent() is not None else ""
        if parent == "JOLUXExpression" and name == "title":
            title = title or value
            continue
        if parent == "JOLUXLegalResource":
            props.setdefault(name, []).append(("uri" if value.startswith("http") else "literal", value))
    eli = this or _first(props, "uriThis")
    if not eli:
        raise ParseError(f"{what}: no FRBRWork/FRBRthis nor scl:jolux uriThis (no ELI)")
    memorial = _first(props, "isPartOf")
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=eli,
        national_id=_national_id(eli, memorial),
        fmt="legilux-akn",
        title=title,
        type=_last_segment(_first(props, "typeDocument")),
        eli=eli,
        url=eli,
        adopted=parse_date(_first(props, "dateDocument")),
        published=parse_date(_first(props, "publicationDate")),
        entry_into_force=parse_date(_first(props, "dateEntryInForce")),
        language="fr",
    )
    _links(act, props)
    act.references.extend(refs_in_text(title, "title"))
    body_el = next((el for el in root.iter() if local(el.tag) in ("body", "mainBody")), None)
    if body_el is not None:
        act.references.extend(refs_in_text(_clean(fixer, "".join(body_el.itertext())), "text"))
    act.extra = {
        "in_force_status": _last_segment(_first(props, "inForceStatus")),
        "memorial": memorial,
        "modifies": _values(props, "modifies"),
        "repeals": _values(props, "repeals"),
    }
    act.notes.extend(notes + fixer.note())
    return act


# --- SPARQL: which acts link to a directive ----------------------------------------------------


def eu_uris(celex: str) -> list[str]:
    """The ELI forms of a directive that a Legilux act may link to."""
    year, number = int(celex[1:5]), int(celex[6:10])
    return [f"{LEGILUX}/eli/dir_ue/{year}/{number}/jo", f"http://data.europa.eu/eli/dir/{year}/{number}/oj"]


def links_query(celex: str) -> str:
    values = " ".join(f"<{u}>" for u in eu_uris(celex))
    return (
        "SELECT DISTINCT ?act ?p ?eu WHERE {\n"
        f"  VALUES ?eu {{ {values} }}\n"
        "  ?act ?p ?eu .\n"
        f'  FILTER(STRSTARTS(STR(?act), "{LEGILUX}/eli/etat/"))\n'
        "}\n"
        "ORDER BY ?act ?p ?eu\n"
        f"LIMIT {RESULT_LIMIT}\n"
    )


def parse_links(body: bytes) -> list[tuple[str, str]]:
    """[(act work URI, predicate)] of a links_query answer (W3C SPARQL JSON)."""
    from ..eurlex_parse import parse_sparql_json

    _vars, rows = parse_sparql_json(body, "Legilux SPARQL")
    if len(rows) >= RESULT_LIMIT:
        raise ParseError(f"Legilux SPARQL: {len(rows)} rows, the answer may be cut")
    out: list[tuple[str, str]] = []
    for row in rows:
        act, pred = row.get("act"), row.get("p")
        if act is None or pred is None:
            raise ParseError("Legilux SPARQL: a row without ?act or ?p")
        m = _ACT_URI.match(act.value.strip())
        uri = m.group(1) if m else act.value.strip()
        if (uri, pred.value) not in out:
            out.append((uri, pred.value))
    return out


# --- refresh ----------------------------------------------------------------------------------------


def _http(ctx: SourceContext) -> Any:
    return http_of(ctx, INFO.name, "query Legilux")


def _fetch_url(base: str, uri: str) -> str:
    """An ELI URI of Legilux fetched at the configured endpoint (https, or a test server)."""
    return base + uri[len(LEGILUX):] if uri.startswith(LEGILUX) else uri


def refresh(ctx: SourceContext) -> SourceResult:
    """Ask the Legilux graph which acts link to each selected directive; findings only (no coverage)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "Luxembourg")
    if not directives:
        return result
    base = endpoint(ctx)
    http = _http(ctx)
    wanted = candidate_measures(ctx)
    failures: list[str] = []
    notes: list[str] = []
    acts_seen: dict[str, tuple[NationalAct, FetchResult] | None] = {}

    def links_of(measure: Measure) -> tuple[FetchResult, list | ParseError]:
        celex = measure.celex or ""
        ctx.progress(f"gazette-lu: {measure.id}: acts linked to {celex} in the Legilux graph")
        fetch = http.get(INFO.name, f"{base}/sparqlendpoint", params={"query": links_query(celex)},
                         headers={"Accept": SPARQL_JSON}, conditional=True)
        try:
            return fetch, parse_links(fetch.body)
        except ParseError as exc:  # the answer is kept (a fetch of the run) with its error
            return fetch, exc

    def dereference(uri: str) -> tuple[tuple[NationalAct, FetchResult] | None, SourceResult, list[str]]:
        part, part_notes = SourceResult(), []
        return _dereference(ctx, base, uri, part, part_notes), part, part_notes

    # The link queries at once, then every act they name for the first time at once (up to the
    # host's concurrency); fetches and notes merged in the order one request after another gives.
    queries = attempt_each(ctx, base, INFO.name, links_of, directives, (SourceError,))
    first_seen = list(dict.fromkeys(uri for q in queries if not isinstance(q, BaseException)
                                    and not isinstance(q[1], ParseError) for uri, _ in q[1]))
    read = dict(zip(first_seen, ordered_map(dereference, first_seen,
                                            host_workers(ctx, base, len(first_seen)), INFO.name), strict=True))
    for measure, outcome in zip(directives, queries, strict=True):
        celex = measure.celex or ""
        if isinstance(outcome, SourceError):
            failures.append(f"{measure.id} ({status_of(outcome)}): {outcome}")
            continue
        fetch, links = outcome
        result.fetches.append(fetch)
        if isinstance(links, ParseError):
            failures.append(f"{measure.id} ({status_of(links)}): {links}")
            continue
        for uri, predicate in links:
            if uri not in acts_seen:
                acts_seen[uri], part, part_notes = read[uri]
                result.fetches += part.fetches
                notes += part_notes
            entry = acts_seen[uri]
            if entry is None:
                continue
            act, act_fetch = entry
            if celex not in act.celex():
                # The graph links the act, but its own RDF does not: keep the graph's word.
                link = IMPLEMENTS if _transposition(predicate) else CITES
                act.references.extend(refs_in_uri(eu_uris(celex)[0], f"sparql:{_last_segment(predicate)}", link,
                                                  f"SPARQL link {predicate}" if link == IMPLEMENTS else None))
    for entry in acts_seen.values():
        if entry is not None:
            result.findings.extend(findings_for(entry[0], ctx, entry[1], wanted))
    if all_failed(result, failures, len(directives), "SPARQL query"):
        return result
    reason = [f"{len(acts_seen)} linked act(s), {len(result.findings)} finding(s); no coverage: Legilux links "
              "are editorial metadata, an absence of links proves nothing"]
    if failures:
        reason.append(f"{len(failures)} of {len(directives)} quer(ies) failed: " + "; ".join(failures))
    result.reason = "; ".join(reason + notes)
    return result


def _dereference(ctx: SourceContext, base: str, uri: str, result: SourceResult,
                 notes: list[str]) -> tuple[NationalAct, FetchResult] | None:
    try:
        fetch = _http(ctx).get(INFO.name, _fetch_url(base, uri), headers={"Accept": RDF_XML}, conditional=True)
        result.fetches.append(fetch)
        return parse_jolux(fetch.body, f"JOLux RDF of {uri}"), fetch
    except (SourceError, ParseError) as exc:
        notes.append(f"{uri}: {one_line(str(exc), 200)}")
        return None


# --- import --------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved JOLux RDF/XML or Akoma Ntoso file of Legilux."""
    text = decode(body, name)
    head = text.lstrip()[:3000]
    with named_errors(name):
        if not head.startswith("<"):
            raise ParseError("neither JOLux RDF/XML nor Akoma Ntoso from Legilux")
        if re.search(r"<(?:\w+:)?akomaNtoso[\s>]", head):
            act = parse_akn(body, name, recover=True)
        else:
            act = parse_jolux(body, name, recover=True)
    return import_result([act], name, ctx)
