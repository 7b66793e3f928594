"""Pure parsing for the EUR-Lex / CELLAR source: SPARQL queries in, SPARQL JSON and saved pages out.

Nothing here touches the network or the store, so every function can be tested on a payload and
memoised by the body's sha256. Bad input raises `ParseError` (a one-line message); a body that
is a Virtuoso error or a bot challenge raises `SourceError` / `BlockedError` instead, so that a
failed or blocked source can never look like "no measures".

References (../shared/reference/sources.md, section 1): the CDM predicates (1.3), the NIM
query and the W3C SPARQL 1.1 JSON result shape (1.4), act metadata and amending acts (1.5),
errors inside HTTP 200 and the AWS WAF stub (1.9).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from ..errors import BlockedError, ParseError, SourceError

CDM = "http://publications.europa.eu/ontology/cdm#"
XSD = "http://www.w3.org/2001/XMLSchema#"
COUNTRY_AUTHORITY = "http://publications.europa.eu/resource/authority/country/"
LANGUAGE_ENG = "http://publications.europa.eu/resource/authority/language/ENG"

# One page of a paged SPARQL query; a page with this many rows means "ask for the next one".
PAGE_SIZE = 1000
# Guard against endless paging: beyond this the result is refused as incomplete, never cut.
MAX_PAGES = 50
# LIMIT of the unpaged queries (metadata, amending acts); a result this long is refused as cut.
RESULT_LIMIT = 1000

# The CELEX numbers that may be put into a query (validated: nothing else reaches SPARQL).
_CELEX_RE = re.compile(r"^[0-9CE][0-9]{4}[A-Z]{1,2}[0-9]{4}(?:\([0-9]{2}\))?$")
# A directive's CELEX (sector 3, type L) and a NIM's CELEX (sector 7, same year/type/number).
_DIRECTIVE_CELEX_RE = re.compile(r"3[0-9]{4}L[0-9]{4}")
_NIM_CELEX_RE = re.compile(r"^7([0-9]{4}L[0-9]{4})")
_ISO_DATE_RE = re.compile(r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2})(?:$|T|Z|[+-][0-9]{2}:?[0-9]{2}|\s)")
_WAF_MARKERS = ("awsWafCookieDomainList", "gokuProps", "challenge-container", "challenge.js")

SPARQL_JSON = "application/sparql-results+json"


# --- queries ---------------------------------------------------------------------------------

_PREFIXES = f"PREFIX cdm: <{CDM}>\nPREFIX xsd: <{XSD}>\n"


def check_celex(celex: str) -> str:
    """`celex` if it is a CELEX number that may go into a query; ValueError otherwise."""
    if not isinstance(celex, str) or not _CELEX_RE.match(celex):
        raise ValueError(f"not a CELEX number: {celex!r}")
    return celex


def nim_prefix(celex: str) -> str:
    """The CELEX prefix of the NIMs of a directive: '7' + the directive's year/type/number."""
    return "7" + check_celex(celex)[1:]


def _work_by_celex(var: str, celex: str, celex_match: str) -> str:
    """The triple pattern that finds the work with CELEX `celex`.

    "typed" matches the xsd:string literal (fast, the usual form); "str" compares STR() of the
    value, the fallback of sources.md 1.4 when the typed literal matches nothing.
    """
    check_celex(celex)
    if celex_match == "typed":
        return f'  ?{var} cdm:resource_legal_id_celex "{celex}"^^xsd:string .\n'
    if celex_match == "str":
        return (
            f"  ?{var} cdm:resource_legal_id_celex ?{var}Celex .\n"
            f'  FILTER(STR(?{var}Celex) = "{celex}")\n'
        )
    raise ValueError(f"celex_match must be 'typed' or 'str', not {celex_match!r}")


NIM_VARS = (
    "nim", "nimCelex", "country", "title", "notified", "ojName", "ojNumber", "ojPage", "ojDate",
    "typeAct", "refCommission", "refMemberState", "link", "eli",
)


def nim_query(celex: str, *, limit: int = PAGE_SIZE, offset: int = 0, celex_match: str = "typed") -> str:
    """All national implementing measures notified for directive `celex`, one page of rows.

    Both the current and the legacy link predicate are asked (UNION). The NIM CELEX is filtered
    on the prefix '7'+celex[1:], because an omnibus NIM carries one CELEX per directive it
    transposes (the counting trap of sources.md 1.3). ORDER BY every projected variable makes
    LIMIT/OFFSET paging stable.
    """
    if limit < 1 or offset < 0:
        raise ValueError(f"bad paging: limit={limit}, offset={offset}")
    prefix = nim_prefix(celex)
    select = " ".join(f"?{v}" for v in NIM_VARS)
    return (
        _PREFIXES
        + f"SELECT DISTINCT {select}\nWHERE {{\n"
        + _work_by_celex("dir", celex, celex_match)
        + "  { ?nim cdm:measure_national_implementing_implements_resource_legal ?dir }\n"
        "  UNION\n"
        "  { ?nim cdm:measure_national_implementing_implements_directive ?dir }\n"
        "  ?nim cdm:measure_national_implementing_implemented_by_country ?country .\n"
        "  OPTIONAL { ?nim cdm:resource_legal_id_celex ?nimCelex .\n"
        f'             FILTER(STRSTARTS(STR(?nimCelex), "{prefix}")) }}\n'
        "  OPTIONAL { ?nim cdm:work_title ?title }\n"
        "  OPTIONAL { ?nim cdm:measure_national_implementing_date_notification ?notified }\n"
        "  OPTIONAL { ?nim cdm:measure_national_implementing_name_official_journal ?ojName }\n"
        "  OPTIONAL { ?nim cdm:measure_national_implementing_number_official_journal ?ojNumber }\n"
        "  OPTIONAL { ?nim cdm:measure_national_implementing_page_official_journal ?ojPage }\n"
        "  OPTIONAL { ?nim cdm:measure_national_implementing_date_official_journal ?ojDate }\n"
        "  OPTIONAL { ?nim cdm:measure_national_implementing_type_act ?typeAct }\n"
        "  OPTIONAL { ?nim cdm:measure_national_implementing_reference_commission ?refCommission }\n"
        "  OPTIONAL { ?nim cdm:measure_national_implementing_reference_member-state ?refMemberState }\n"
        "  OPTIONAL { ?nim cdm:measure_national_implementing_national_website_link ?link }\n"
        "  OPTIONAL { ?nim cdm:resource_legal_eli ?eli }\n"
        "}\n"
        f"ORDER BY {select}\n"
        f"LIMIT {int(limit)}\nOFFSET {int(offset)}\n"
    )


def nim_countries_query(celex: str, *, celex_match: str = "typed") -> str:
    """The Member States that notified national measures for directive `celex` (at most 27 rows):
    the canary of `compliance sources --probe`, asked with the same predicates as `nim_query`."""
    return (
        _PREFIXES
        + "SELECT DISTINCT ?country\nWHERE {\n"
        + _work_by_celex("dir", celex, celex_match)
        + "  { ?nim cdm:measure_national_implementing_implements_resource_legal ?dir }\n"
        "  UNION\n"
        "  { ?nim cdm:measure_national_implementing_implements_directive ?dir }\n"
        "  ?nim cdm:measure_national_implementing_implemented_by_country ?country .\n"
        "}\n"
        "ORDER BY ?country\n"
    )


def act_metadata_query(celex: str, *, celex_match: str = "typed") -> str:
    """Official metadata of one act: dates, transposition deadline(s), in force, ELI, EN title."""
    return (
        _PREFIXES
        + "SELECT DISTINCT ?work ?dateDoc ?eif ?transpos ?deadline ?inForce ?endValid ?eli ?title\n"
        "WHERE {\n"
        + _work_by_celex("work", celex, celex_match)
        + "  OPTIONAL { ?work cdm:work_date_document ?dateDoc }\n"
        "  OPTIONAL { ?work cdm:resource_legal_date_entry-into-force ?eif }\n"
        "  OPTIONAL { ?work cdm:directive_date_transposition ?transpos }\n"
        "  OPTIONAL { ?work cdm:resource_legal_date_deadline ?deadline }\n"
        "  OPTIONAL { ?work cdm:resource_legal_in-force ?inForce }\n"
        "  OPTIONAL { ?work cdm:resource_legal_date_end-of-validity ?endValid }\n"
        "  OPTIONAL { ?work cdm:resource_legal_eli ?eli }\n"
        "  OPTIONAL { ?expr cdm:expression_belongs_to_work ?work ;\n"
        f"                  cdm:expression_uses_language <{LANGUAGE_ENG}> ;\n"
        "                  cdm:expression_title ?title }\n"
        "}\n"
        "ORDER BY ?work ?dateDoc ?eif ?transpos ?deadline ?inForce ?endValid ?eli ?title\n"
        f"LIMIT {RESULT_LIMIT}\n"
    )


def amending_acts_query(celex: str, *, celex_match: str = "typed") -> str:
    """Acts that amend `celex` (the incoming `resource_legal_amends_resource_legal`)."""
    return (
        _PREFIXES
        + "SELECT DISTINCT ?amCelex ?amDate\nWHERE {\n"
        + _work_by_celex("work", celex, celex_match)
        + "  ?am cdm:resource_legal_amends_resource_legal ?work ;\n"
        "      cdm:resource_legal_id_celex ?amCelex .\n"
        "  OPTIONAL { ?am cdm:work_date_document ?amDate }\n"
        "}\n"
        "ORDER BY ?amDate ?amCelex\n"
        f"LIMIT {RESULT_LIMIT}\n"
    )


# --- bodies ----------------------------------------------------------------------------------


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def decode(body: bytes, what: str = "response") -> str:
    if not isinstance(body, bytes | bytearray):
        raise ParseError(f"{what}: expected bytes, got {type(body).__name__}")
    try:
        return bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def is_waf_challenge(text: str) -> bool:
    return any(marker in text for marker in _WAF_MARKERS)


def check_body(text: str, what: str = "CELLAR SPARQL response") -> None:
    """Raise for bodies that are not data: Virtuoso errors (HTTP 200!) and HTML/bot challenges."""
    head = text.lstrip()
    if head.startswith("Virtuoso") and "Error" in head[:2000]:
        kind = " (query timeout)" if "SP031" in head[:2000] else ""
        raise SourceError(f"CELLAR SPARQL error{kind}: {_one_line(head)}", status="failed")
    if not head.startswith(("{", "[")) and is_waf_challenge(text):
        raise BlockedError(f"{what}: AWS WAF JavaScript challenge page instead of data (bot check)")
    if head.startswith("<"):
        sniff = head[:1000].lower()
        if "<sparql" in sniff:
            raise ParseError(f"{what}: SPARQL XML results, expected {SPARQL_JSON}")
        if not any(tag in sniff for tag in ("<html", "<!doctype html", "<head", "<body", "<title")):
            # An XML document (a proxy's error envelope, anything but a page): a failure, not a bot wall.
            raise ParseError(f"{what}: an XML document instead of {SPARQL_JSON}")
        raise BlockedError(f"{what}: an HTML page instead of {SPARQL_JSON} (blocked or redirected?)")


@dataclass(frozen=True)
class Term:
    """One RDF term of a binding: its value plus the optional language tag and datatype."""

    value: str
    type: str = "literal"
    lang: str | None = None
    datatype: str | None = None


Row = dict[str, Term]


def sparql_document(body: bytes, what: str) -> tuple[list[str], list[Any]]:
    """(head.vars, results.bindings) of a W3C SPARQL 1.1 JSON result, its shape checked."""
    text = decode(body, what)
    check_body(text, what)
    if not text.strip():
        raise ParseError(f"{what}: empty body, expected {SPARQL_JSON}")
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise ParseError(f"{what}: not JSON ({msg})") from None
    if not isinstance(doc, dict):
        raise ParseError(f"{what}: not a SPARQL JSON result (top level is not an object)")
    if "boolean" in doc and "results" not in doc:
        raise ParseError(f"{what}: an ASK result, expected SELECT results")
    head, results = doc.get("head"), doc.get("results")
    if not isinstance(head, dict) or not isinstance(results, dict):
        raise ParseError(f"{what}: not a SPARQL JSON result (no head/results)")
    variables = head.get("vars", [])
    bindings = results.get("bindings")
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        raise ParseError(f"{what}: head.vars is not a list of names")
    if not isinstance(bindings, list):
        raise ParseError(f"{what}: results.bindings is not a list")
    return variables, bindings


def parse_sparql_json(body: bytes, what: str = "CELLAR SPARQL response") -> tuple[list[str], list[Row]]:
    """(vars, rows) of a W3C SPARQL 1.1 JSON result; an unbound column is absent from its row."""
    variables, bindings = sparql_document(body, what)
    rows: list[Row] = []
    for index, binding in enumerate(bindings):
        if not isinstance(binding, dict):
            raise ParseError(f"{what}: binding #{index + 1} is not an object")
        row: Row = {}
        for name, term in binding.items():
            if not isinstance(term, dict) or not isinstance(term.get("value"), str):
                raise ParseError(f"{what}: binding #{index + 1}, {name!r} has no string value")
            lang = term.get("xml:lang")
            datatype = term.get("datatype")
            row[name] = Term(
                value=term["value"],
                type=str(term.get("type", "literal")),
                lang=lang if isinstance(lang, str) and lang else None,
                datatype=datatype if isinstance(datatype, str) and datatype else None,
            )
        rows.append(row)
    return list(variables), rows


def parse_date(value: str | None) -> date | None:
    """The date of an xsd:date / xsd:dateTime lexical value (timezone ignored), or None."""
    if not value:
        return None
    match = _ISO_DATE_RE.match(value)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def normalise_text(value: str | None) -> str | None:
    """Collapse runs of whitespace (embedded newlines in titles) to single spaces."""
    if value is None:
        return None
    text = " ".join(value.split())
    return text or None


def _pick(row: Row, names: Iterable[str]) -> Term | None:
    for name in names:
        term = row.get(name)
        if term is not None:
            return term
    return None


@cache
def _iso3_to_code() -> dict[str, str]:
    from ..catalogue.memberstates import member_states

    return {ms.iso3: ms.code for ms in member_states()}


def country_code(value: str | None) -> tuple[str | None, str | None]:
    """(EU code, ISO alpha-3) of a CELLAR country URI (…/country/AUT) or bare code."""
    if not value:
        return None, None
    iso3 = value.rstrip("/").rsplit("/", 1)[-1].strip().upper()
    return _iso3_to_code().get(iso3), iso3 or None


def directive_of_nim_celex(celex: str | None) -> str | None:
    """The directive CELEX a NIM CELEX points at: 7YYYYLNNNN… -> 3YYYYLNNNN."""
    if not celex:
        return None
    match = _NIM_CELEX_RE.match(celex.strip())
    return "3" + match.group(1) if match else None


# --- NIM results -----------------------------------------------------------------------------

# Column aliases: the §1.4 query's names first, then those of other public queries (the real
# sample in ../shared/samples/eurlex uses dir/c/notif/ojn/ojno/e/t).
NIM_COLUMNS: dict[str, tuple[str, ...]] = {
    "nim": ("nim", "m", "measure"),
    "nim_celex": ("nimCelex", "c", "celex"),
    "country": ("country",),
    "title": ("title", "t"),
    "notified": ("notified", "notif"),
    "oj_name": ("ojName", "ojn"),
    "oj_number": ("ojNumber", "ojno"),
    "oj_page": ("ojPage",),
    "oj_date": ("ojDate",),
    "type_act": ("typeAct",),
    "ref_commission": ("refCommission",),
    "ref_member_state": ("refMemberState",),
    "link": ("link",),
    "eli": ("eli", "e"),
    "directive": ("dir", "directive"),
}
_MULTI = ("nim_celex", "title", "notified", "oj_name", "oj_number", "oj_page", "oj_date", "type_act",
          "ref_commission", "ref_member_state", "link", "eli", "directive")


@dataclass(frozen=True)
class NimRow:
    """One binding of a NIM query, with the canonical field names; `page` is its page index."""

    fields: Mapping[str, Term]
    page: int = 0


@dataclass
class NimRecord:
    """One national implementing measure: the rows of one ?nim grouped, multi-values collected."""

    group: str  # the ?nim URI, or the NIM CELEX when the query had no ?nim column
    nim: str | None
    member_state: str
    iso3: str
    celex: list[str]  # every NIM CELEX value, sorted
    titles: list[dict[str, str | None]]  # [{"value", "lang"}], sorted unique
    notified: list[date]
    values: dict[str, list[str]]  # the other multi-valued fields, sorted unique
    notes: list[str] = field(default_factory=list)
    first_page: int = 0
    rows: int = 0

    def directives(self) -> list[str]:
        """The directive CELEX numbers this NIM is linked to (from the ?dir column or its CELEX)."""
        found = {d for d in self.values.get("directive", []) if _DIRECTIVE_CELEX_RE.fullmatch(d)}
        found.update(d for d in (directive_of_nim_celex(c) for c in self.celex) if d)
        return sorted(found)

    def celex_for(self, directive: str | None) -> str | None:
        """The NIM CELEX of this measure for `directive` (prefix 7+directive[1:])."""
        if directive:
            prefix = "7" + directive[1:]
            matching = [c for c in self.celex if c.startswith(prefix)]
            return matching[0] if matching else None
        return self.celex[0] if len(self.celex) == 1 else None


@dataclass
class NimParse:
    records: list[NimRecord]
    rows: int  # bindings read
    skipped: int = 0  # rows dropped (unknown country, no key)
    notes: list[str] = field(default_factory=list)


def parse_nim_rows(body: bytes, page: int = 0) -> list[NimRow]:
    """The rows of one page of a NIM query result, under canonical names (pure: memoisable)."""
    _vars, rows = parse_sparql_json(body, "CELLAR NIM query result")
    out: list[NimRow] = []
    for row in rows:
        canonical: dict[str, Term] = {}
        for name, aliases in NIM_COLUMNS.items():
            term = _pick(row, aliases)
            if term is not None:
                canonical[name] = term
        out.append(NimRow(canonical, page))
    return out


def group_nim_rows(rows: Iterable[NimRow], directive: str | None = None) -> NimParse:
    """Group rows by NIM; multi-valued OPTIONALs multiply rows, so every field is collected.

    With `directive` given, NIM CELEX values of other directives (an omnibus act) are left in
    `values["other_celex"]` and not used as the key. Rows whose country is not an EU Member
    State, or that have neither a ?nim nor a NIM CELEX, are skipped and counted.
    """
    prefix = "7" + directive[1:] if directive else None
    groups: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    skipped = 0
    unknown: dict[str, int] = {}
    nokey = 0
    count = 0
    for row in rows:
        count += 1
        f = row.fields
        code, iso3 = country_code(f["country"].value if "country" in f else None)
        if code is None:
            skipped += 1
            label = iso3 or "(no country)"
            unknown[label] = unknown.get(label, 0) + 1
            continue
        nim = f["nim"].value.strip() if "nim" in f and f["nim"].value.strip() else None
        celex = f["nim_celex"].value.strip() if "nim_celex" in f else None
        group = nim or celex
        if not group:
            skipped += 1
            nokey += 1
            continue
        g = groups.get(group)
        if g is None:
            g = groups[group] = {
                "nim": nim, "countries": set(), "first_page": row.page, "rows": 0,
                "titles": set(), "notified_raw": set(),
                **{k: set() for k in _MULTI if k not in ("title", "notified")},
            }
            order.append(group)
        g["rows"] += 1
        g["first_page"] = min(g["first_page"], row.page)
        g["countries"].add((code, iso3))
        for key in _MULTI:
            term = f.get(key)
            if term is None:
                continue
            if key == "title":
                text = normalise_text(term.value)
                if text:
                    g["titles"].add((text, term.lang))
            elif key == "notified":
                g["notified_raw"].add(term.value.strip())
            elif key in ("oj_name", "type_act"):
                text = normalise_text(term.value)
                if text:
                    g[key].add(text)
            elif term.value.strip():
                # Numbers and references are kept as given (messy ones: U+2212, stray brackets).
                g[key].add(term.value.strip())
    notes: list[str] = []
    if unknown:
        listed = ", ".join(f"{k} ({n})" for k, n in sorted(unknown.items()))
        notes.append(f"skipped {sum(unknown.values())} row(s) whose country is not an EU Member State: {listed}")
    if nokey:
        notes.append(f"skipped {nokey} row(s) with neither a ?nim nor a NIM CELEX")
    records = [_record(group, groups[group], prefix) for group in order]
    for rec in records:
        notes.extend(f"{rec.celex_for(directive) or rec.group}: {n}" for n in rec.notes)
    records.sort(key=lambda r: (r.member_state, r.celex_for(directive) or r.group))
    return NimParse(records=records, rows=count, skipped=skipped, notes=notes)


def _record(group: str, g: dict[str, Any], prefix: str | None) -> NimRecord:
    notes: list[str] = []
    countries = sorted(g["countries"])
    if len(countries) > 1:
        notes.append("linked to several countries: " + ", ".join(c[1] for c in countries) + f"; kept {countries[0][1]}")
    notified: set[date] = set()
    for raw in sorted(g["notified_raw"]):
        parsed = parse_date(raw)
        if parsed is None:
            notes.append(f"notification date {raw!r} is not a date; ignored")
        else:
            notified.add(parsed)
    all_celex = sorted(g["nim_celex"])
    celex = [c for c in all_celex if c.startswith(prefix)] if prefix else all_celex
    other = [c for c in all_celex if c not in celex]
    values = {k: sorted(g[k]) for k in _MULTI if k not in ("title", "notified", "nim_celex")}
    if other:
        values["other_celex"] = other
    titles = [{"value": v, "lang": lang} for v, lang in sorted(g["titles"], key=lambda t: (t[0], t[1] or ""))]
    return NimRecord(
        group=group,
        nim=g["nim"],
        member_state=countries[0][0],
        iso3=countries[0][1],
        celex=celex,
        titles=titles,
        notified=sorted(notified),
        values=values,
        notes=notes,
        first_page=g["first_page"],
        rows=g["rows"],
    )


def parse_nim_results(body: bytes, directive: str | None = None) -> NimParse:
    """Parse one complete NIM result body (pure: the same bytes always give the same records)."""
    return group_nim_rows(parse_nim_rows(body), directive)


def nim_reference(rec: NimRecord) -> str | None:
    """Commission reference MNE(…), else the Member State's reference, else 'OJ name number'."""
    for key in ("ref_commission", "ref_member_state"):
        if rec.values.get(key):
            return rec.values[key][0]
    name = (rec.values.get("oj_name") or [None])[0]
    number = (rec.values.get("oj_number") or [None])[0]
    joined = " ".join(p for p in (name, number) if p)
    return joined or None


def nim_data(rec: NimRecord, directive: str | None) -> dict[str, Any]:
    """Every parsed field of a NIM, JSON-able (dates as ISO strings)."""
    data: dict[str, Any] = {
        "nim": rec.nim,
        "directive": directive,
        "country": rec.iso3,
        "nim_celex": rec.celex,
        "titles": rec.titles,
        "notified": [d.isoformat() for d in rec.notified],
        "date_kind": "notification",
        "rows": rec.rows,
    }
    for key, values in sorted(rec.values.items()):
        if key != "directive":
            data[key] = values
    if rec.values.get("directive"):
        data["directives_in_result"] = rec.values["directive"]
    if rec.notes:
        data["notes"] = list(rec.notes)
    return data


# --- act metadata ----------------------------------------------------------------------------

ACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "celex": ("celex",),
    "work": ("work",),
    "date_document": ("dateDoc", "date"),
    "entry_into_force": ("eif",),
    "transposition": ("transpos",),
    "deadline": ("deadline",),
    "in_force": ("inForce", "inforce"),
    "end_of_validity": ("endValid", "endvalid"),
    "eli": ("eli",),
    "title": ("title", "expression_title"),
}
_TRUE = {"1", "true"}
_FALSE = {"0", "false"}


def parse_act_metadata(body: bytes, celex: str, *, directive: bool | None = None) -> dict[str, Any] | None:
    """The official metadata of act `celex`, or None when the result has no row for it.

    Rows with a ?celex column for other acts are ignored (a result may cover several acts).
    Multi-valued fields are sorted unique lists; the transposition deadline falls back on
    `resource_legal_date_deadline` for directives that only have that.
    """
    _vars, rows = parse_sparql_json(body, f"CELLAR metadata of {celex}")
    if directive is None:
        directive = bool(_DIRECTIVE_CELEX_RE.fullmatch(celex))
    values: dict[str, set[str]] = {k: set() for k in ACT_COLUMNS}
    titles: set[tuple[str, str | None]] = set()
    matched = 0
    for row in rows:
        own = _pick(row, ACT_COLUMNS["celex"])
        if own is not None and own.value.strip() != celex:
            continue
        matched += 1
        for key, aliases in ACT_COLUMNS.items():
            term = _pick(row, aliases)
            if term is None or not term.value.strip():
                continue
            if key == "title":
                text = normalise_text(term.value)
                if text:
                    titles.add((text, term.lang))
            else:
                values[key].add(term.value.strip())
    if not matched:
        return None
    notes: list[str] = []

    def dates(key: str) -> list[str]:
        out = set()
        for raw in values[key]:
            parsed = parse_date(raw)
            if parsed is None:
                notes.append(f"{key}: {raw!r} is not a date; ignored")
            else:
                out.add(parsed.isoformat())
        return sorted(out)

    date_doc = dates("date_document")
    if len(date_doc) > 1:
        notes.append(f"several document dates: {', '.join(date_doc)}; kept the earliest")
    transposition = dates("transposition") if directive else []
    deadline = dates("deadline")
    predicate = "directive_date_transposition" if transposition else None
    if directive and not transposition and deadline:
        transposition, predicate = deadline, "resource_legal_date_deadline"
    flags = {v.lower() for v in values["in_force"]}
    in_force: bool | None = None
    if flags and flags <= _TRUE:
        in_force = True
    elif flags and flags <= _FALSE:
        in_force = False
    elif flags:
        notes.append(f"in-force values {sorted(flags)} are unclear or conflicting; left unknown")
    # Prefer an English-tagged title, then an untagged one; never guess between two.
    english = sorted(t for t, lang in titles if (lang or "").lower().startswith("en"))
    plain = sorted(t for t, lang in titles if not lang)
    title = (english or plain or sorted(t for t, _ in titles) or [None])[0]
    data: dict[str, Any] = {
        "title": title,
        "date_document": date_doc[0] if date_doc else None,
        "entry_into_force": dates("entry_into_force"),
        "transposition": transposition,
        "transposition_predicate": predicate,
        "deadline": deadline,
        "in_force": in_force,
        "end_of_validity": dates("end_of_validity"),
        "eli": sorted(values["eli"])[0] if values["eli"] else None,
        "work": sorted(values["work"]),
        "rows": matched,
    }
    if len(values["eli"]) > 1:
        data["eli_all"] = sorted(values["eli"])
    if notes:
        data["notes"] = notes
    return data


def parse_amending_acts(body: bytes, celex: str | None = None) -> list[dict[str, str | None]]:
    """[{"celex", "date"}] of the acts amending `celex`, sorted by date then CELEX, unique.

    Also reads results that carry ?base (the amended act) and ?rel ("amends"/"corrects"): only
    "amends" rows for `celex` are kept.
    """
    _vars, rows = parse_sparql_json(body, f"CELLAR amending acts of {celex or 'act'}")
    found: dict[str, set[str]] = {}
    for row in rows:
        base = row.get("base")
        if celex and base is not None and base.value.strip() != celex:
            continue
        rel = row.get("rel")
        if rel is not None and rel.value.strip().lower() not in ("amends", "amend"):
            continue
        am = _pick(row, ("amCelex", "celex", "amender"))
        if am is None or not am.value.strip():
            continue
        when_term = _pick(row, ("amDate", "date"))
        when = parse_date(when_term.value if when_term else None)
        found.setdefault(am.value.strip(), set())
        if when:
            found[am.value.strip()].add(when.isoformat())
    out = [{"celex": c, "date": min(ds) if ds else None} for c, ds in found.items()]
    out.sort(key=lambda a: (a["date"] or "9999-12-31", a["celex"]))
    return out


# --- a NIM page saved from a browser (EUR-Lex HTML) ------------------------------------------

_NTM_CLASS = re.compile(r"^([A-Z]{3})_ntm$")
_LABEL_RE = re.compile(r"(Official publication|Number|Publication date)\s*:\s*$", re.I)
_NIM_ID_RE = re.compile(r"uri=NIM:([0-9]+)", re.I)
_CELEX_IN_PAGE = re.compile(r"CELEX(?::|%3A)\s*([0-9CE][0-9]{4}[A-Z]{1,2}[0-9]{4}[A-Z0-9_()]*)", re.I)
_DMY_RE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")


@dataclass
class HtmlNim:
    iso3: str
    member_state: str | None
    title: str | None
    language: str | None
    nim_id: str | None
    celex: str | None
    href: str | None
    oj_name: str | None
    oj_number: str | None
    publication_date: date | None
    publication_date_raw: str | None
    links: list[dict[str, str]]


@dataclass
class HtmlNimPage:
    measures: list[HtmlNim]
    countries: dict[str, dict[str, Any]]  # iso3 -> {"declared": n, "found": n, "deadlines": [...]}
    celex: list[str]  # CELEX numbers named in the page (directive or NIM)
    notes: list[str]


def looks_like_nim_html(text: str) -> bool:
    return "ntmRow" in text or re.search(r"class=\"[A-Z]{3}_ntm\"", text) is not None


def parse_nim_html(body: bytes) -> HtmlNimPage:
    """The measures listed on a EUR-Lex NIM page (legal-content/../NIM/?uri=CELEX:…) saved by a user.

    Parsed with BeautifulSoup on lxml's HTML parser (no DTD, no entities, no network).
    """
    from bs4 import BeautifulSoup

    text = decode(body, "EUR-Lex NIM page")
    if is_waf_challenge(text):
        raise BlockedError("EUR-Lex NIM page: the file is the AWS WAF JavaScript challenge, not the page")
    if not looks_like_nim_html(text):
        raise ParseError("EUR-Lex NIM page: no 'ntmRow' blocks or '<li class=\"XXX_ntm\">' measures found")
    soup = BeautifulSoup(text, "lxml")
    notes: list[str] = []
    countries: dict[str, dict[str, Any]] = {}
    for div in soup.find_all(id=re.compile(r"^[A-Z]{3}_numOfNims$")):
        iso3 = div["id"][:3]
        span = div.find("span", class_="VMIMore")
        raw = span.get_text(strip=True) if span else ""
        countries.setdefault(iso3, {})["declared"] = int(raw) if raw.isdecimal() else None
    for div in soup.find_all(id=re.compile(r"^[A-Z]{3}_transposition$")):
        iso3 = div["id"][:3]
        found = sorted({f"{y}-{m}-{d}" for d, m, y in _DMY_RE.findall(div.get_text(" "))})
        countries.setdefault(iso3, {})["deadlines"] = found
    measures: list[HtmlNim] = []
    for li in soup.find_all("li"):
        iso3 = next((m.group(1) for c in li.get("class") or [] if (m := _NTM_CLASS.match(c))), None)
        if iso3 is None:
            continue
        measures.append(_html_measure(li, iso3, notes))
    for iso3 in {m.iso3 for m in measures}:
        countries.setdefault(iso3, {})
    for iso3, info in sorted(countries.items()):
        info["found"] = sum(1 for m in measures if m.iso3 == iso3)
        declared = info.get("declared")
        if declared is not None and declared != info["found"]:
            notes.append(
                f"{iso3}: the page says {declared} measure(s), the file lists {info['found']} "
                "(saved before the panel was expanded, or cut?)"
            )
    celex = sorted({m.upper() for m in _CELEX_IN_PAGE.findall(text)})
    return HtmlNimPage(measures=measures, countries=countries, celex=celex, notes=notes)


def _html_measure(li: Any, iso3: str, notes: list[str]) -> HtmlNim:
    code, _ = country_code(iso3)
    link = li.find("a", id="titleLink") or li.find("a", class_="underlineLink")
    original = li.find(id="originalTitle")
    title = normalise_text(original.get_text(" ") if original else (link.get_text(" ") if link else None))
    language = li.find(id="language")
    href = link.get("href") if link else None
    nim_id = None
    celex = None
    if href:
        m = _NIM_ID_RE.search(href)
        nim_id = m.group(1) if m else None
        c = _CELEX_IN_PAGE.search(href)
        celex = c.group(1).upper() if c else None
    fields: dict[str, str] = {}
    for em in li.find_all("em"):
        label = None
        for previous in em.find_all_previous(string=True, limit=6):
            if previous.find_parent("em") is em or not previous.strip():
                continue
            match = _LABEL_RE.search(previous.strip())
            label = match.group(1).lower() if match else None
            break
        if label and label not in fields:
            fields[label] = normalise_text(em.get_text(" ")) or ""
    links = []
    for a in li.find_all("a"):
        text = normalise_text(a.get_text(" ")) or ""
        if a is not link and a.get("href") and "national website" in text.lower():
            links.append({"label": text, "href": a["href"]})
    raw_date = fields.get("publication date")
    published = parse_date(raw_date)
    if raw_date and published is None:
        notes.append(f"{iso3} {nim_id or title}: publication date {raw_date!r} is not a date; ignored")
    return HtmlNim(
        iso3=iso3,
        member_state=code,
        title=title,
        language=normalise_text(language.get_text(" ")) if language else None,
        nim_id=nim_id,
        celex=celex,
        href=href,
        oj_name=fields.get("official publication"),
        oj_number=fields.get("number"),
        publication_date=published,
        publication_date_raw=raw_date,
        links=links,
    )
