"""A EUR-Lex NIM page a user saved from a browser (EUR-Lex's HTML is behind an AWS WAF challenge,
so it is only ever read from such a file): the national measures it lists, per country (pure
parsing, as eurlex_parse).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import BlockedError, ParseError
from .eurlex_parse import (
    country_code,
    decode,
    is_waf_challenge,
    normalise_text,
    parse_date,
)

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
