"""The SPARQL queries the EUR-Lex / CELLAR source sends: a directive's NIMs (paged), an act's metadata
and the acts amending it. Only a validated CELEX number ever reaches a query (check_celex).

References (../shared/reference/sources.md, section 1): the CDM predicates (1.3), the NIM query
(1.4), act metadata and amending acts (1.5).
"""

from __future__ import annotations

from .eurlex_parse import (
    _CELEX_RE,
    CDM,
    LANGUAGE_ENG,
    PAGE_SIZE,
    RESULT_LIMIT,
    XSD,
)

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
