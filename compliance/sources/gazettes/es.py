"""Spain: BOE datos abiertos, consolidated legislation (sources.md 2.4).

Refresh, per selected directive of the catalogue:

1. `GET {api}/legislacion-consolidada?query=…&offset=&limit=` (JSON, `Accept: application/json`)
   with a query_string over `titulo` and `texto` for the directive's number as a phrase
   (`"(UE) 2024/1712"`, or `"2011/36"` for the old numbering). The query style (lowercase
   `and`/`or`, `field:(…)`) is the one of the captured request in
   ../shared/samples/gazettes/es/boe-legislacion-consolidada-search-capture-wrapper.json; the
   `texto` field is reported by pepo1275/boe-mcp (R).
2. For each hit, `GET …/id/{BOE-A-…}/analisis` (XML): `referencias/anteriores/anterior` carry
   the EU acts the act relates to (`referencia="DOUE-L-…"`, relation word `palabra`, e.g.
   "TRANSPONE", "DE CONFORMIDAD con", and a `texto` naming the act).
3. A hit that names the directive neither in its title nor in its analysis is checked against
   its consolidated text (`…/id/{id}/texto`); a hit whose text does not name it either is
   dropped (the search engine may match the numbers loosely).

No coverage is emitted: the consolidated-legislation database is not the whole BOE (not every
disposition is consolidated) and the `texto` field is known only second-hand, so an empty
search cannot prove that Spain adopted nothing.

Imports read a saved search result (JSON), a metadatos/analisis/complete act (XML or JSON) of
the consolidated API, a BOE diario document XML (`<documento>`), or a daily summary (`sumario`)
JSON of `GET /datosabiertos/api/boe/sumario/{AAAAMMDD}`: `data.sumario.metadatos`
(`fecha_publicacion`) and `diario[]` → `seccion[]` → `departamento[]` → (`epigrafe[]` →) `item`,
each level an object or a list (serialised XML: one child arrives as an object), each item with
`identificador`, `titulo`, `url_pdf` (`{texto: URL}` or a URL), `url_html`, `url_xml` (the layout
documented by the BOE's API for the summary and read the same way by the public clients that call
it, e.g. pepo1275/boe-mcp). A summary item carries only its title: it is a national measure only
when its title says it transposes the directive.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...errors import ParseError, SourceError
from .. import SOURCES
from ..base import FoundItem, SourceContext, SourceResult
from ..parallel import attempt_each, host_workers, ordered_map
from ._payloads import as_list, check_not_html, decode, local, named_errors, parse_date, parse_json, parse_xml, text_of
from ._runs import all_failed, candidate_measures, directive_scope, http_of, keep_fetch, status_of
from ._support import CITES, IMPLEMENTS, ActRef, NationalAct, import_result, one_line, refs_in_text, unique_findings

if TYPE_CHECKING:
    from ...http import FetchResult
    from ...model import Measure

INFO = SOURCES["gazette-es"]
ENDPOINT_NAME = "GAZETTE_ES"
DEFAULT_ENDPOINT = "https://www.boe.es/datosabiertos/api"
MEMBER_STATE = "ES"
JSON = "application/json"
XML = "application/xml"

PAGE_SIZE = 50  # the API's default `limit` (sources.md 2.4)
MAX_PAGES = 20  # more hits than this for one directive is not a plausible search result

# Relation words (`palabra`) of the BOE analysis that say the act implements the EU act.
_IMPLEMENTING_WORDS = ("TRANSPON", "INCORPORA")


def endpoint(ctx: SourceContext) -> str:
    return ctx.settings.endpoint(ENDPOINT_NAME, DEFAULT_ENDPOINT).rstrip("/")


# --- envelopes ---------------------------------------------------------------------------------


def _status_json(doc: Any, what: str) -> tuple[str, str]:
    status = doc.get("status") if isinstance(doc, dict) else None
    if not isinstance(status, dict):
        raise ParseError(f"{what}: no BOE `status` object")
    return str(status.get("code", "")).strip(), one_line(str(status.get("text", "")))


def check_status(code: str, text: str, what: str, *, not_found_ok: bool = False) -> bool:
    """True for a 200 envelope, False for an accepted "not found"; raises for errors."""
    if code == "200":
        return True
    if code == "404" and not_found_ok:
        return False
    raise SourceError(f"{what}: BOE answered status {code or '?'}: {text or 'no message'}", status="failed")


# --- one act -------------------------------------------------------------------------------------


def _code_text(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, dict):
        code, text = value.get("codigo"), value.get("texto")
        return (str(code) if code is not None else None, str(text) if text is not None else None)
    if isinstance(value, str | int):
        return None, str(value)
    return None, None


def act_from_fields(fields: dict[str, Any], fmt: str) -> NationalAct:
    """A NationalAct from the metadatos fields (search item, JSON or XML metadatos)."""
    ident = fields.get("identificador")
    if not isinstance(ident, str) or not ident.strip():
        raise ParseError(f"{fmt}: an act without `identificador`")
    ident = ident.strip()
    title = fields.get("titulo") if isinstance(fields.get("titulo"), str) else None
    rango_code, rango = _code_text(fields.get("rango"))
    dep_code, dep = _code_text(fields.get("departamento"))
    amb_code, ambito = _code_text(fields.get("ambito"))
    _, estado = _code_text(fields.get("estado_consolidacion"))
    eli = fields.get("url_eli") if isinstance(fields.get("url_eli"), str) and fields.get("url_eli") else None
    html = fields.get("url_html_consolidada")
    act = NationalAct(
        member_state=MEMBER_STATE,
        key=eli or ident,
        national_id=ident,
        fmt=fmt,
        title=" ".join(title.split()) if title else None,
        type=rango,
        eli=eli,
        url=html if isinstance(html, str) and html else eli,
        adopted=parse_date(fields.get("fecha_disposicion")),
        published=parse_date(fields.get("fecha_publicacion")),
        entry_into_force=parse_date(fields.get("fecha_vigencia")),
        language="es",
    )
    for key in ("fecha_disposicion", "fecha_publicacion", "fecha_vigencia"):
        raw = fields.get(key)
        if raw and parse_date(raw) is None:
            act.notes.append(f"{key} {one_line(str(raw), 40)!r} is not a date; ignored")
    act.extra = {
        "rango_code": rango_code,
        "departamento": dep,
        "departamento_code": dep_code,
        "ambito": ambito,
        "ambito_code": amb_code,
        "numero_oficial": fields.get("numero_oficial") if isinstance(fields.get("numero_oficial"), str) else None,
        "diario_numero": fields.get("diario_numero") if isinstance(fields.get("diario_numero"), str) else None,
        "vigencia_agotada": fields.get("vigencia_agotada") if isinstance(fields.get("vigencia_agotada"), str) else None,
        "estado_consolidacion": estado,
        "estatus_derogacion": fields.get("estatus_derogacion") if isinstance(fields.get("estatus_derogacion"), str)
        else None,
        "estatus_anulacion": fields.get("estatus_anulacion") if isinstance(fields.get("estatus_anulacion"), str)
        else None,
    }
    act.references.extend(refs_in_text(act.title, "titulo"))
    return act


def _xml_fields(element: Any) -> dict[str, Any]:
    """metadatos children as the JSON shape: text, or {codigo, texto} when there is a code."""
    out: dict[str, Any] = {}
    for child in element:
        name = local(child.tag)
        if not name:
            continue
        value = text_of(child)
        code = child.get("codigo")
        out[name] = {"codigo": code, "texto": value} if code is not None else value
    return out


# --- analysis: references to earlier acts -------------------------------------------------------


def _relation_refs(ref_id: str | None, word: str | None, texto: str | None) -> list[ActRef]:
    """The EU acts of one `anterior`: named in its `texto` (the DOUE-L id itself is an OJ
    publication id, not a CELEX; it is kept in `doue_references`)."""
    word = " ".join((word or "").split())
    implements = any(w in word.upper() for w in _IMPLEMENTING_WORDS)
    where = f"analisis:{word}" if word else "analisis"
    shown = " ".join(p for p in (ref_id, word, texto) if p)
    out = []
    for ref in refs_in_text(texto, where, classify=False):
        link = IMPLEMENTS if implements else CITES
        out.append(ActRef(ref.celex, ref.kind, link, where, shown, f"palabra {word!r}" if implements else None))
    return out


def _analysis_xml(analisis: Any) -> tuple[list[ActRef], dict[str, Any]]:
    refs: list[ActRef] = []
    doue: list[dict[str, Any]] = []
    materias: list[str] = []
    for el in analisis.iter():
        name = local(el.tag)
        if name == "materia":
            materias.append(text_of(el))
        elif name == "nota":
            refs.extend(refs_in_text(text_of(el), "analisis:nota"))
        elif name == "anterior":
            ref_id = el.get("referencia")
            word = texto = None
            for child in el:
                cname = local(child.tag)
                if cname in ("id_norma", "referencia") and not ref_id:
                    ref_id = text_of(child)
                elif cname in ("palabra", "relacion"):
                    word = text_of(child)
                elif cname == "texto":
                    texto = text_of(child)
            refs.extend(_relation_refs(ref_id, word, texto))
            if ref_id and ref_id.upper().startswith("DOUE"):
                doue.append({"id": ref_id, "palabra": word, "texto": one_line(texto or "", 300)})
    return refs, {"materias": materias, "doue_references": doue}


def _analysis_json(analisis: Any) -> tuple[list[ActRef], dict[str, Any]]:
    refs: list[ActRef] = []
    doue: list[dict[str, Any]] = []
    materias: list[str] = []

    def items(value: Any, key: str) -> list[Any]:
        if isinstance(value, dict) and key in value:
            value = value[key]
        if isinstance(value, dict):
            return [value]
        return value if isinstance(value, list) else []

    if not isinstance(analisis, dict):
        return refs, {"materias": materias, "doue_references": doue}
    for m in items(analisis.get("materias"), "materia"):
        _, text = _code_text(m)
        if text:
            materias.append(text)
    for n in items(analisis.get("notas"), "nota"):
        _, text = _code_text(n)
        refs.extend(refs_in_text(text, "analisis:nota"))
    referencias = analisis.get("referencias")
    for a in items(referencias.get("anteriores") if isinstance(referencias, dict) else None, "anterior"):
        if not isinstance(a, dict):
            continue
        ref_id = a.get("referencia") or a.get("id_norma")
        _, word = _code_text(a.get("palabra") or a.get("relacion"))
        _, texto = _code_text(a.get("texto"))
        ref_id = str(ref_id) if isinstance(ref_id, str | int) else None
        refs.extend(_relation_refs(ref_id, word, texto))
        if ref_id and ref_id.upper().startswith("DOUE"):
            doue.append({"id": ref_id, "palabra": word, "texto": one_line(texto or "", 300)})
    return refs, {"materias": materias, "doue_references": doue}


def parse_analysis(body: bytes) -> tuple[list[ActRef], dict[str, Any], bool]:
    """(references, extra fields, found) of an `/id/{id}/analisis` XML response; found=False
    for a "404" envelope (the act has no analysis)."""
    what = "BOE analisis"
    root, _ = parse_xml(body, what)
    status = root.find("status")
    if (local(root.tag) == "response" and status is not None
            and not check_status(text_of(status.find("code")), text_of(status.find("text")), what,
                                 not_found_ok=True)):
        return [], {}, False
    analisis = next((el for el in root.iter() if local(el.tag) == "analisis"), None)
    if analisis is None:
        raise ParseError(f"{what}: no <analisis> element")
    refs, extra = _analysis_xml(analisis)
    return refs, extra, True


def parse_text(body: bytes) -> str:
    """The plain text of an `/id/{id}/texto` XML response."""
    what = "BOE texto"
    root, _ = parse_xml(body, what)
    status = root.find("status")
    if local(root.tag) == "response" and status is not None:
        check_status(text_of(status.find("code")), text_of(status.find("text")), what)
    texto = next((el for el in root.iter() if local(el.tag) == "texto"
                  and local(el.getparent().tag) in ("data", "response")), None)
    if texto is None:
        raise ParseError(f"{what}: no <texto> element")
    return text_of(texto)


# --- search results ------------------------------------------------------------------------------


def parse_search(body: bytes) -> list[NationalAct]:
    """Acts of one page of `GET /legislacion-consolidada` (JSON); [] for a "404" envelope."""
    what = "BOE legislacion-consolidada search"
    return search_acts(parse_json(body, what), what)


def search_acts(doc: Any, what: str) -> list[NationalAct]:
    if isinstance(doc, dict) and "mcp_response" in doc:
        raise ParseError(f"{what}: this is a capture tool's wrapper (`mcp_response`), not the BOE response; "
                         "save the BOE response itself (its `status` + `data`)")
    code, text = _status_json(doc, what)
    if not check_status(code, text, what, not_found_ok=True):
        return []
    data = doc.get("data")
    if data is None or data == "":
        return []
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ParseError(f"{what}: `data` is not a list of acts")
    acts = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise ParseError(f"{what}: item #{i + 1} is not an object")
        acts.append(_consolidated(act_from_fields(item, "boe-legislacion-consolidada-json")))
    return acts


def _consolidated(act: NationalAct) -> NationalAct:
    """An act of the consolidated-legislation API: its `texto` is the current version."""
    act.consolidated_places = frozenset({"texto"})
    return act


def parse_act_xml(body: bytes, what: str = "BOE act XML", *, recover: bool = False) -> NationalAct:
    """One act from a consolidated-API XML (`<response><data><metadatos>` [+ analisis, texto])
    or a BOE diario document (`<documento><metadatos>` …)."""
    root, notes = parse_xml(body, what, recover=recover)
    name = local(root.tag)
    if name == "response":
        status = root.find("status")
        if status is not None:
            check_status(text_of(status.find("code")), text_of(status.find("text")), what)
        fmt = "boe-legislacion-consolidada-xml"
    elif name == "documento":
        fmt = "boe-diario-xml"
    else:
        raise ParseError(f"{what}: root <{name}> is neither a BOE <response> nor a <documento>")
    meta = next((el for el in root.iter() if local(el.tag) == "metadatos"), None)
    if meta is None:
        if any(local(el.tag) == "analisis" for el in root.iter()):
            raise ParseError(f"{what}: an analysis without the act's metadatos (no id, title or dates); "
                             "save the complete act (…/legislacion-consolidada/id/{id}) instead")
        raise ParseError(f"{what}: no <metadatos> element")
    act = act_from_fields(_xml_fields(meta), fmt)
    if fmt == "boe-legislacion-consolidada-xml":
        _consolidated(act)
    act.notes.extend(notes)
    analisis = next((el for el in root.iter() if local(el.tag) == "analisis"), None)
    if analisis is not None:
        refs, extra = _analysis_xml(analisis)
        act.references.extend(refs)
        act.extra.update(extra)
    # The act's own text: <documento><texto> or <response><data><texto> (not an analysis <texto>).
    texto = next((el for el in root.iter() if local(el.tag) == "texto"
                  and local(el.getparent().tag) in ("documento", "data", "response")), None)
    if texto is not None:
        act.references.extend(refs_in_text(text_of(texto), "texto"))
    return act


def _children(node: Any, name: str) -> list[dict[str, Any]]:
    """The objects under `name`: one arrives as an object, several as a list (serialised XML)."""
    return [item for item in as_list(node.get(name) if isinstance(node, dict) else None) if isinstance(item, dict)]


def _url(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("texto")
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_sumario_json(sumario: Any, what: str) -> list[NationalAct]:
    """The dispositions of a BOE daily summary (`data.sumario`), one act per item."""
    if not isinstance(sumario, dict):
        raise ParseError(f"{what}: `data.sumario` is not an object")
    meta = sumario.get("metadatos") if isinstance(sumario.get("metadatos"), dict) else {}
    published = meta.get("fecha_publicacion")
    acts: list[NationalAct] = []

    def walk(node: dict[str, Any], place: dict[str, Any]) -> None:
        for item in _children(node, "item"):
            fields = {"identificador": item.get("identificador"), "titulo": item.get("titulo"),
                      "fecha_publicacion": published}
            try:
                act = act_from_fields(fields, "boe-sumario-json")
            except ParseError as exc:
                raise ParseError(f"{what}: item {len(acts) + 1} of the summary ({place.get('seccion') or '?'}): "
                                 f"{exc}") from None
            act.url = _url(item.get("url_html")) or _url(item.get("url_pdf"))
            act.extra = {**{k: v for k, v in place.items() if v}, "url_pdf": _url(item.get("url_pdf")),
                         "url_xml": _url(item.get("url_xml"))}
            acts.append(act)
        for epigrafe in _children(node, "epigrafe"):
            walk(epigrafe, {**place, "epigrafe": epigrafe.get("nombre")})

    for diario in _children(sumario, "diario"):
        daily = diario.get("sumario_diario") if isinstance(diario.get("sumario_diario"), dict) else {}
        for seccion in _children(diario, "seccion"):
            for departamento in _children(seccion, "departamento"):
                walk(departamento, {"diario_numero": diario.get("numero"), "sumario": daily.get("identificador"),
                                    "seccion": seccion.get("nombre"), "departamento": departamento.get("nombre")})
    if not acts and _children(sumario, "diario"):
        raise ParseError(f"{what}: a BOE summary without any item (no disposition listed)")
    return acts


def parse_act_json(doc: Any, what: str) -> list[NationalAct]:
    """Acts of a consolidated-API JSON (a search page, or one act's metadatos/analisis), or of a
    daily summary (`data.sumario`)."""
    code, text = _status_json(doc, what)
    check_status(code, text, what)
    data = doc.get("data")
    if isinstance(data, dict) and "sumario" in data:
        return parse_sumario_json(data["sumario"], what)
    if isinstance(data, dict) and ("metadatos" in data or "analisis" in data):
        meta = data.get("metadatos")
        if isinstance(meta, list) and len(meta) == 1:
            meta = meta[0]
        if not isinstance(meta, dict):
            raise ParseError(f"{what}: no metadatos object (an analysis alone has no act id; save the complete act)")
        act = _consolidated(act_from_fields(meta, "boe-legislacion-consolidada-json"))
        refs, extra = _analysis_json(data.get("analisis"))
        act.references.extend(refs)
        act.extra.update(extra)
        return [act]
    return search_acts(doc, what)


# --- refresh --------------------------------------------------------------------------------------


def search_phrase(celex: str) -> str:
    """The directive's number as the BOE writes it: "(UE) 2024/1712" since 2015, else "2011/36"."""
    year, number = int(celex[1:5]), int(celex[6:10])
    return f"(UE) {year}/{number}" if year >= 2015 else f"{year}/{number}"


def search_query(celex: str) -> str:
    phrase = search_phrase(celex).replace('"', "")
    return json.dumps({"query": {"query_string": {"query": f'titulo:"{phrase}" or texto:"{phrase}"'}}},
                      ensure_ascii=False)


def _get(ctx: SourceContext, url: str, accept: str, params: dict[str, str] | None = None) -> FetchResult:
    http = http_of(ctx, INFO.name, "query the BOE")
    fetch = http.get(INFO.name, url, params=params, headers={"Accept": accept}, conditional=True,
                     ok_statuses=(400, 404))
    if fetch.status_code in (400, 404):
        # BOE sends an envelope with the error; anything else (an HTML page) is not BOE data.
        text = fetch.body[:4000].decode("utf-8", errors="replace")
        check_not_html(text, f"{url}: HTTP {fetch.status_code}")
        if not text.lstrip().startswith(("{", "<")):
            raise SourceError(f"{url}: HTTP {fetch.status_code} without a BOE envelope", status="failed")
    return fetch


def _search(ctx: SourceContext, base: str, celex: str, notes: list[str]) -> list[tuple[NationalAct, FetchResult]]:
    hits: list[tuple[NationalAct, FetchResult]] = []
    for page in range(MAX_PAGES):
        params = {"query": search_query(celex), "offset": str(page * PAGE_SIZE), "limit": str(PAGE_SIZE)}
        fetch = _get(ctx, f"{base}/legislacion-consolidada", JSON, params)
        acts = parse_search(fetch.body)
        hits.extend((a, fetch) for a in acts)
        if len(acts) < PAGE_SIZE:
            return hits
    notes.append(f"{celex}: more than {MAX_PAGES * PAGE_SIZE} hits; only the first {MAX_PAGES} pages were read")
    return hits


def _enrich(ctx: SourceContext, base: str, act: NationalAct, celex: str,
            fetches: dict[str, FetchResult]) -> bool:
    """Add the analysis references (and, if still needed, the text's); True when the act names
    `celex`. `fetches` gets the responses by what they hold ("analisis", "texto")."""
    ident = act.national_id
    fetch = _get(ctx, f"{base}/legislacion-consolidada/id/{ident}/analisis", XML)
    fetches["analisis"] = fetch
    refs, extra, found = parse_analysis(fetch.body)
    act.references.extend(refs)
    act.extra.update(extra)
    if not found:
        act.notes.append("the BOE has no analysis for this act")
    if celex in act.celex():
        return True
    fetch = _get(ctx, f"{base}/legislacion-consolidada/id/{ident}/texto", XML)
    fetches["texto"] = fetch
    act.references.extend(refs_in_text(parse_text(fetch.body), "texto"))
    return celex in act.celex()


def _evidence_fetch(act: NationalAct, celex: str, fetches: dict[str, FetchResult]) -> FetchResult:
    """The response that shows the link best: the analysis, else the title (search page), else the text."""
    places = [r.where.split(":")[0] for r in act.refs_for(celex)]
    for place in ("analisis", "titulo", "texto"):
        if place in places:
            return fetches.get(place) or fetches["titulo"]
    return fetches["titulo"]


def _act_items(act: NationalAct, wanted: dict[str, Measure], fetches: dict[str, FetchResult]) -> list[FoundItem]:
    items = []
    for celex in act.celex():
        if celex in wanted:
            item = act.finding(wanted[celex], _evidence_fetch(act, celex, fetches))
            item.data["responses"] = {k: {"url": f.url, "sha256": f.sha256} for k, f in sorted(fetches.items())}
            items.append(item)
    return items


def refresh(ctx: SourceContext) -> SourceResult:
    """Search the consolidated legislation for each selected directive; findings only (no coverage)."""
    result = SourceResult()
    directives, result.reason = directive_scope(ctx, MEMBER_STATE, "Spain")
    if not directives:
        return result
    base = endpoint(ctx)
    wanted = candidate_measures(ctx)
    notes: list[str] = []
    failures: list[str] = []
    done: dict[str, NationalAct] = {}

    def search(measure: Measure) -> tuple[list[str], Any]:
        celex = measure.celex or ""
        ctx.progress(f"gazette-es: {measure.id}: searching the consolidated legislation for {search_phrase(celex)}")
        found: list[str] = []  # the search's notes, kept when it fails as they would be one after another
        try:
            return found, _search(ctx, base, celex, found)
        except (SourceError, ParseError) as exc:
            return found, exc

    def enrich(job: tuple[NationalAct, str, Any]) -> tuple[dict[str, Any], bool | Exception]:
        act, celex, search_fetch = job
        fetches = {"titulo": search_fetch}
        try:
            return fetches, _enrich(ctx, base, act, celex, fetches)
        except (SourceError, ParseError) as exc:
            return fetches, exc

    # The searches at once, then the analysis and text of every act they find for the first time
    # at once (up to the host's concurrency); merged in the order one request after another gives.
    searches = attempt_each(ctx, base, INFO.name, search, directives, ())
    first: dict[str, tuple[NationalAct, str, Any]] = {}
    for measure, (_notes, hits) in zip(directives, searches, strict=True):
        if not isinstance(hits, Exception):
            for act, search_fetch in hits:
                first.setdefault(act.national_id, (act, measure.celex or "", search_fetch))
    enriched = dict(zip(first, ordered_map(enrich, list(first.values()), host_workers(ctx, base, len(first)),
                                           INFO.name), strict=True))
    for measure, (search_notes, hits) in zip(directives, searches, strict=True):
        celex = measure.celex or ""
        notes += search_notes
        if isinstance(hits, Exception):
            status = status_of(hits)
            failures.append(f"{measure.id} ({status}): {hits}")
            ctx.progress(f"gazette-es: {measure.id}: {status}: {hits}")
            continue
        for act, search_fetch in hits:
            keep_fetch(result, search_fetch)
            if act.national_id in done:
                if celex not in done[act.national_id].celex():
                    notes.append(f"{act.national_id}: found for {celex} but does not name it; ignored")
                continue
            fetches, named = enriched[act.national_id]
            if isinstance(named, Exception):
                # One act's analysis or text failing does not lose the others; its title still counts.
                act.notes.append(f"analysis/text not read: {one_line(str(named), 160)}")
                notes.append(f"{act.national_id}: analysis/text not read ({one_line(str(named), 160)})")
                named = celex in act.celex()
            result.fetches.extend(f for k, f in fetches.items() if k != "titulo")
            if not named:
                notes.append(f"{act.national_id}: a search hit for {celex} that names it neither in its title, "
                             "its analysis nor its consolidated text; ignored")
            done[act.national_id] = act
            result.findings.extend(_act_items(act, wanted, fetches))
    result.findings = unique_findings(result.findings)
    if all_failed(result, failures, len(directives), "search"):
        return result
    reason = [f"{len(done)} act(s) examined, {len(result.findings)} finding(s); no coverage: the consolidated "
              "legislation is not the whole BOE, so an empty search proves nothing"]
    if failures:
        reason.append(f"{len(failures)} of {len(directives)} search(es) failed: " + "; ".join(failures))
    result.reason = "; ".join(reason + notes)
    return result


# --- import ---------------------------------------------------------------------------------------


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    """Findings from a saved BOE payload (JSON search page or act; XML act or diario document)."""
    text = decode(body, name)
    head = text.lstrip()
    with named_errors(name):
        if head.startswith(("{", "[")):
            doc = parse_json(body, name)
            if isinstance(doc, dict) and "mcp_response" in doc:
                raise ParseError("this is a capture tool's wrapper (`mcp_response`), not the BOE response; "
                                 "save the BOE response itself (its `status` + `data`)")
            acts = parse_act_json(doc, name)
        elif head.startswith("<"):
            acts = [parse_act_xml(body, name, recover=True)]
        else:
            raise ParseError("neither JSON nor XML from the BOE open-data API")
    return import_result(acts, name, ctx)
