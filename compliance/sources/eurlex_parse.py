"""Pure parsing for the EUR-Lex / CELLAR source: SPARQL JSON answers and the NIMs they list.

The queries are in eurlex_queries, an act's metadata in eurlex_metadata, a saved NIM page in
eurlex_html; the constants and body checks all of them share are here.

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
