"""The registry of sources: names, what evidence each gives, and how fresh it must be.

This module is deliberately light (no HTTP, no parsers): the rules and `compliance sources`
read it on every run. A source's code lives in its own module, imported only to refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec


@dataclass(frozen=True)
class SourceInfo:
    name: str
    title: str
    module: str  # import path of the module holding `refresh(ctx)` / `parse_import(...)`
    evidence_kinds: frozenset[str]  # what its findings are evidence of
    max_age_days: float  # older coverage is stale: it can no longer show an absence
    endpoint_names: tuple[str, ...] = ()
    member_states: tuple[str, ...] = ()  # a national source: the states it covers (empty: all)
    # Why the source cannot be used at all (its publisher offers no interface this tool can read
    # reliably): it is registered and listed by `compliance sources` with this reason, never run.
    unavailable: str | None = None

    def available(self) -> bool:
        """Whether the source can run: not declared unavailable, and its module is installed (a
        registry entry may precede its code)."""
        if self.unavailable:
            return False
        try:
            return find_spec(self.module) is not None
        except ModuleNotFoundError:
            return False


SOURCES: dict[str, SourceInfo] = {}


def register(info: SourceInfo) -> SourceInfo:
    SOURCES[info.name] = info
    return info


def _eu(name: str, title: str, module: str, kinds: set[str], max_age: float, *endpoints: str) -> None:
    register(SourceInfo(name, title, f"compliance.sources.{module}", frozenset(kinds), max_age, endpoints))


_eu("eurlex", "EUR-Lex / CELLAR: national implementing measures and act metadata", "eurlex",
    {"national-measure"}, 14, "EURLEX_SPARQL")
_eu("infringements", "European Commission: infringement decisions", "infringements",
    {"infringement"}, 14, "INFRINGEMENTS")
_eu("coe-treaties", "Council of Europe Treaty Office: signatures and ratifications", "coe_treaties",
    {"ratification", "signature"}, 30, "COE_TREATIES", "COE_TREATIES_PAGE")
_eu("oeil", "European Parliament: Legislative Observatory and Open Data procedures", "oeil",
    {"proposal", "adoption"}, 14, "OEIL", "EP_OPEN_DATA")
_eu("council", "Council of the EU: public register documents", "council",
    {"council-document"}, 14, "COUNCIL_REGISTER")
# The acts' own texts: no evidence findings, only the facts the catalogue states, checked (catalogue/facts.py).
_eu("act-texts", "CELLAR: the acts' own texts (Denmark/Ireland recitals, dates), checked against the catalogue",
    "act_texts", set(), 30, "CELLAR_RESOURCE")

# National gazettes: one module per country under sources/gazettes/.
_GAZETTES = {
    "DK": "Retsinformation (Lovtidende)",
    "AT": "RIS (Bundesgesetzblatt)",
    "EE": "Riigi Teataja",
    "PL": "Sejm ELI API (Dziennik Ustaw)",
    "ES": "BOE datos abiertos",
    "LU": "Legilux (Journal officiel)",
    "NL": "Officiële bekendmakingen (SRU)",
    "FI": "Finlex open data",
    "IE": "Irish Statute Book (eISB)",
    "FR": "Légifrance (PISTE)",
    "DE": "NeuRIS (Rechtsinformationen des Bundes)",
    "SE": "Regeringskansliets SFS-register (SFSR)",
    "RO": "Portal Legislativ (Monitorul Oficial), SOAP web service",
    "IT": "Normattiva open data API (Gazzetta Ufficiale)",
    "SK": "Slov-Lex static mirror (Zbierka zákonov)",
    "LT": "Teisės aktų registras (TAR, data.gov.lt open data)",
    "BE": "Moniteur belge / Belgisch Staatsblad (ELI, ejustice.just.fgov.be)",
    "HU": "Nemzeti Jogszabálytár (NJT), ELI",
    "HR": "Narodne novine (sitemaps and ELI metadata)",
}
_EXTRA_ENDPOINTS = {"DK": ("GAZETTE_DK_ELI",), "FR": ("GAZETTE_FR_OAUTH",)}
# States whose official gazette offers no interface this tool can read reliably: (gazette, why,
# and what a user can do instead). Registered so that `compliance sources` lists them as
# unavailable with the reason; never run.
_UNAVAILABLE_GAZETTES: dict[str, tuple[str, str]] = {
    "CY": ("Επίσημη Εφημερίδα της Δημοκρατίας (Cyprus Gazette)",
           "the Cyprus Gazette has no machine interface (no API, no listing, no metadata); CyLaw "
           "(cylaw.org, the Cyprus Bar Association's database) is not the official gazette and its only "
           "bulk export is a dated snapshot (export/full20240628-0951). Use EUR-Lex notified measures "
           "(source eurlex) for Cyprus"),
    "CZ": ("Sbírka zákonů, e-Sbírka (Ministry of the Interior, e-sbirka.gov.cz)",
           "e-Sbírka links no act to the EU directives it implements in any open interface: the daily "
           "open-data dumps (opendata.eselpoint.gov.cz/datove-sady-esbirka; the act texts come in files of 0.5 "
           "to 1.2 GB) and the SPARQL endpoint have no documented property for it, and the REST API "
           "(api.e-sbirka.gov.cz) needs a key issued on registration with the Ministry of the Interior, which "
           "this tool does not support. Use EUR-Lex notified measures (source eurlex) for Czechia"),
    "BG": ("Държавен вестник, State Gazette (National Assembly, dv.parliament.bg)",
           "the State Gazette has no search and no listing: its RSS feed holds only a few recent items "
           "and a document is reachable only by its sequential id (showMaterialDV.jsp?idMat=…, some 240,000), "
           "and its TLS certificate fails verification (public code turns verification off, which this tool "
           "does not do). Use EUR-Lex notified measures (source eurlex) for Bulgaria"),
    "EL": ("ΦΕΚ, Greek Government Gazette (Εθνικό Τυπογραφείο, et.gr)",
           "the Greek Government Gazette offers only one PDF per issue (DownloadFeksApi?fek_pdf=…), with "
           "no search, no listing and no metadata naming transposed directives; public code reaches it "
           "by IP address with the TLS name check bypassed, which this tool does not do. Use EUR-Lex "
           "notified measures (source eurlex) for Greece"),
    "SI": ("Uradni list Republike Slovenije and PIS, the legal information system (pisrs.si)",
           "PIS's machine interface, its external API (pisrs.si/extapi, described by its OpenAPI file "
           "pisrs.json), needs an API key (X-API-Key) issued on request, which this tool does not support, and "
           "documents no field for the EU directives an act transposes; the keyless open data (the National "
           "Assembly's list of adopted laws, fotogalerija.dz-rs.si/datoteke/opendata/SZ.XML) carry neither an EU "
           "link nor the text, and the Official Gazette's pages have no listing or metadata interface. Use EUR-Lex "
           "notified measures (source eurlex) for Slovenia"),
    "PT": ("Diário da República Eletrónico (diariodarepublica.pt, INCM)",
           "the Diário da República is a JavaScript application whose pages are built in the browser from "
           "undocumented internal services; its ELI URIs (data.dre.pt/eli/…) lead to those pages and its RSS "
           "feeds hold only the latest publications; public code reads it with a scripted browser or through "
           "dre.tretas.org, a community mirror that is not the official gazette. Use EUR-Lex notified measures "
           "(source eurlex) for Portugal"),
    "LV": ("Latvijas Vēstnesis and likumi.lv (VSIA Latvijas Vēstnesis)",
           "likumi.lv has no search or listing interface: its sitemap lists some 49,000 documents by id with "
           "neither date nor type, its RSS feeds hold only the latest items, and each act is an HTML page of its "
           "consolidated version, so finding the acts of a period means fetching every page. Use EUR-Lex notified "
           "measures (source eurlex) for Latvia"),
    "MT": ("The Malta Government Gazette and legislation.mt",
           "legislation.mt gives an act's text only as a PDF behind a viewer; the JSON-LD of its ELI pages "
           "(eli/act/{year}/{n}, eli/ln/{year}/{n}) gives the act's name, type and dates but names no EU act, and "
           "its only listing is the site's own search form, so finding transposing Legal Notices means walking "
           "every number and reading every PDF, which this tool does not do. Use EUR-Lex notified measures "
           "(source eurlex) for Malta"),
}
for _code, _title in _GAZETTES.items():
    register(SourceInfo(
        name=f"gazette-{_code.lower()}",
        title=f"{_title}: national acts citing the catalogued acts",
        module=f"compliance.sources.gazettes.{_code.lower()}",
        evidence_kinds=frozenset({"national-measure"}),
        max_age_days=14,
        endpoint_names=(f"GAZETTE_{_code}", *_EXTRA_ENDPOINTS.get(_code, ())),
        member_states=(_code,),
    ))
for _code, (_title, _why) in _UNAVAILABLE_GAZETTES.items():
    register(SourceInfo(
        name=f"gazette-{_code.lower()}",
        title=f"{_title}: unavailable",
        module=f"compliance.sources.gazettes.{_code.lower()}",
        evidence_kinds=frozenset({"national-measure"}),
        max_age_days=14,
        member_states=(_code,),
        unavailable=_why,
    ))


def sources_giving(kind: str) -> set[str]:
    """Names of the sources whose findings are evidence of `kind`."""
    return {name for name, info in SOURCES.items() if kind in info.evidence_kinds}
