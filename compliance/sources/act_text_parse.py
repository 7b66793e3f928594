"""Pure parsing of an act's own text (EUR-Lex XHTML or Formex 4) for the facts the catalogue
states: who is bound (the recitals on Denmark and Ireland), the legal basis, and the dates in the
entry-into-force, application and transposition articles.

Both XHTML generations of the Official Journal are read the same way: the document is reduced
to its blocks (paragraphs) in order, with their class ("oj-ti-art" / "ti-art" = article number,
"oj-sti-art" / "sti-art" = article heading); recitals are the "(n)" blocks between "Whereas:"
and "HAVE ADOPTED". Formex 4 (ACT / PREAMBLE / GR.CONSID / ENACTING.TERMS / ARTICLE) is parsed
with defusedxml: no DTD, no entity expansion. English texts only (the source asks CELLAR for
English).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..errors import ParseError

MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), start=1)}
DATE_RE = re.compile(r"\b(\d{1,2})\s+(January|February|March|April|May|June|July|August|September|October|"
                     r"November|December)\s+(\d{4})\b", re.IGNORECASE)
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "fifteenth": 15, "twentieth": 20, "thirtieth": 30,
}
RELATIVE_EIF = re.compile(r"enter into force on the (?:(\w+) day following|day following) (?:that of )?its publication",
                          re.IGNORECASE)
EIF_ON_PUBLICATION = re.compile(r"enter into force on the (?:date|day) of its publication", re.IGNORECASE)
ARTICLE_RE = re.compile(r"^Article\s+(\d+[a-z]?)\s*$", re.IGNORECASE)
RECITAL_RE = re.compile(r"^\((\d+)\)\s*(.*)$", re.DOTALL)
SENTENCE_SPLIT = re.compile(r"(?<=[.;])\s+(?=[A-Z(])")
PUBLICATION_RE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
MAX_ALL_DATES = 300  # dated sentences kept from the other articles (an amending act's new dates)
MAX_SENTENCE = 600


@dataclass
class Article:
    number: str
    heading: str
    text: str


@dataclass
class ActText:
    format: str  # xhtml | formex
    title: str | None = None
    published: date | None = None  # the OJ date in the text's masthead
    legal_basis: str | None = None  # the "Having regard to the Treaty ..." citation
    recitals: list[tuple[str, str]] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)


@dataclass
class Position:
    """What the act's own words say of one Member State's participation."""

    status: str | None  # bound | not-bound | schengen-art4 | None (no recital about the state)
    quote: str | None
    where: str | None


@dataclass
class DatedSentence:
    date: date
    article: str
    sentence: str
    derived: str | None = None  # how a relative date was computed (publication + N days)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


# --- reading the formats ----------------------------------------------------------------------


def detect(body: bytes) -> str:
    """"xhtml", "formex", "zip" or ParseError."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if body[:4] == b"PK\x03\x04":
        return "zip"
    lowered = head.lower()
    if b"<html" in lowered or b"<!doctype html" in lowered or b"xhtml" in lowered[:400]:
        return "xhtml"
    if re.search(rb"<(ACT|CONS\.ACT)[\s>]", head):
        return "formex"
    if lowered.startswith(b"%pdf"):
        raise ParseError("the act's text came as PDF, which is not read; no XHTML or Formex was offered")
    raise ParseError("neither XHTML nor Formex: not an act text")


def parse(body: bytes) -> ActText:
    kind = detect(body)
    if kind == "xhtml":
        return parse_xhtml(body)
    if kind == "zip":
        return parse_formex(_formex_from_zip(body))
    return parse_formex(body)


def _formex_from_zip(body: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for info in archive.infolist():
                if info.file_size > 50 * 1024 * 1024:
                    continue
                data = archive.read(info)
                if re.search(rb"<ACT[\s>]", data[:4096]):
                    return data
    except zipfile.BadZipFile as exc:
        raise ParseError(f"a broken ZIP archive ({exc})") from None
    raise ParseError("the ZIP archive holds no Formex ACT document")


def _blocks_xhtml(body: bytes) -> list[tuple[str, str]]:
    import warnings

    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():  # XHTML is XML: read leniently as HTML on purpose (no entities, no DTD)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(body, "html.parser")
    for tag in soup(["script", "style", "head"]):
        tag.decompose()
    blocks: list[tuple[str, str]] = []
    for p in soup.find_all(["p", "h1", "h2", "h3", "h4", "div"]):
        if p.name == "div" and p.find(["p", "div", "table"]):
            continue
        if p.find_parent("p") is not None:
            continue
        text = _clean(p.get_text(" "))
        if text:
            blocks.append((" ".join(p.get("class") or []), text))
    return blocks


def parse_xhtml(body: bytes) -> ActText:
    blocks = _blocks_xhtml(body)
    if not blocks:
        raise ParseError("an empty XHTML document")
    act = ActText(format="xhtml")
    act.title = " ".join(t for c, t in blocks if "doc-ti" in c) or None
    for cls, text in blocks[:12]:
        if "hd-date" in cls or PUBLICATION_RE.fullmatch(text):
            m = PUBLICATION_RE.search(text)
            if m:
                act.published = _date(m.group(3), m.group(2), m.group(1))
                break
    _segment(act, blocks)
    if not act.articles:
        raise ParseError("no article found in the XHTML text (not an act, or an unknown layout)")
    return act


def _segment(act: ActText, blocks: list[tuple[str, str]]) -> None:
    """Split blocks into citations, recitals and articles (shared by both XHTML generations)."""
    state = "citations"
    pending_number: str | None = None
    current: Article | None = None
    texts: list[str] = []
    for cls, text in blocks:
        if state in ("citations", "recitals") and text.upper().startswith("HAVE ADOPTED"):
            state = "articles"
            continue
        if state == "citations":
            if text.startswith("Having regard to the Treaty") and act.legal_basis is None:
                act.legal_basis = text
            if text.startswith("Whereas"):
                state = "recitals"
            continue
        if state == "recitals":
            if re.fullmatch(r"\(\d+\)", text):
                pending_number = text.strip("()")
                continue
            m = RECITAL_RE.match(text)
            if pending_number is not None:
                act.recitals.append((pending_number, text))
                pending_number = None
            elif m:
                act.recitals.append((m.group(1), _clean(m.group(2))))
            elif act.recitals:
                number, previous = act.recitals[-1]
                act.recitals[-1] = (number, f"{previous} {text}")
            continue
        # articles
        is_title = "ti-art" in cls and "sti-art" not in cls
        m = ARTICLE_RE.match(text)
        if m and (is_title or not cls):
            if current is not None:
                current.text = " ".join(texts)
                act.articles.append(current)
            current, texts = Article(m.group(1), "", ""), []
            continue
        if current is None:
            continue
        if "sti-art" in cls and not current.heading:
            current.heading = text
            continue
        if text.startswith(("Done at", "ANNEX")):
            break
        texts.append(text)
    if current is not None:
        current.text = " ".join(texts)
        act.articles.append(current)


def _formex_root(body: bytes) -> Any:
    from defusedxml import ElementTree

    try:
        return ElementTree.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except ElementTree.ParseError as exc:
        raise ParseError(f"not well-formed Formex XML ({exc})") from None
    except Exception as exc:  # defusedxml's DTDForbidden, EntitiesForbidden ...
        raise ParseError(f"Formex XML refused: {type(exc).__name__}") from None


def _text(el: Any) -> str:
    return _clean(" ".join(el.itertext())) if el is not None else ""


def parse_formex(body: bytes) -> ActText:
    root = _formex_root(body)
    act_el = root if root.tag == "ACT" else root.find(".//ACT")
    if act_el is None:
        raise ParseError(f"Formex document without ACT (root {root.tag})")
    act = ActText(format="formex")
    title = act_el.find("./TITLE")
    act.title = _text(title) or None
    date_el = act_el.find(".//BIB.INSTANCE/DATE")
    if date_el is not None and re.fullmatch(r"\d{8}", date_el.get("ISO", "")):
        iso = date_el.get("ISO")
        act.published = _date(iso[:4], iso[4:6], iso[6:])
    for visa in act_el.iter("VISA"):
        text = _text(visa)
        if text.startswith("Having regard to the Treaty"):
            act.legal_basis = text
            break
    for consid in act_el.iter("CONSID"):
        number_el = consid.find(".//NO.P")
        number = _text(number_el).strip("()") if number_el is not None else str(len(act.recitals) + 1)
        text_parts = [_text(t) for t in consid.iter("TXT")] or [_text(consid)]
        act.recitals.append((number, _clean(" ".join(text_parts))))
    for article in act_el.iter("ARTICLE"):
        title_el = article.find("TI.ART")
        m = ARTICLE_RE.match(_text(title_el))
        number = m.group(1) if m else (article.get("IDENTIFIER") or "").lstrip("0")
        heading = _text(article.find("STI.ART"))
        body_parts = [_text(c) for c in article if c.tag not in ("TI.ART", "STI.ART")]
        act.articles.append(Article(number, heading, _clean(" ".join(body_parts))))
    if not act.articles:
        raise ParseError("no ARTICLE in the Formex ACT")
    return act


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


# --- what the text says -------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_SPLIT.split(text) if s.strip()]


def denmark(act: ActText) -> Position:
    """Protocol No 22: "Denmark is not taking part"; or the Schengen-building formula (Art. 4:
    Denmark decides within six months whether it implements the act), which a Schengen act adds to
    the first and which then decides."""
    opt_out: Position | None = None
    for number, text in act.recitals:
        for sentence in _sentences(text):
            if "Denmark" not in sentence:
                continue
            low = sentence.lower()
            if "within a period of six months" in low or ("article 4 of that protocol" in low and "decide" in low):
                return Position("schengen-art4", sentence, f"recital ({number})")
            if opt_out is None and ("is not taking part" in low or "does not take part" in low):
                opt_out = Position("not-bound", sentence, f"recital ({number})")
    return opt_out or Position(None, None, None)


def ireland(act: ActText) -> Position:
    """Protocol No 21 (and No 19 for Schengen): "Ireland has notified its wish to take part" /
    "is taking part" / "is bound" -> bound; "is not taking part" / "not bound" -> not-bound."""
    for number, text in act.recitals:
        for sentence in _sentences(text):
            if "Ireland" not in sentence:
                continue
            low = sentence.lower()
            if "not taking part" in low or "not bound" in low or "does not take part" in low:
                return Position("not-bound", sentence, f"recital ({number})")
            if ("wish to take part" in low or "is taking part" in low or "are taking part" in low
                    or "is bound" in low or "wish to accept" in low):
                return Position("bound", sentence, f"recital ({number})")
    return Position(None, None, None)


def _dates_in(text: str) -> Iterator[date]:
    """The valid English dates ("10 July 2027") of a text, in order."""
    for m in DATE_RE.finditer(text):
        day = _date(m.group(3), str(MONTHS[m.group(2).lower()]), m.group(1))
        if day is not None:
            yield day


def _kinds(article: Article) -> set[str]:
    heading = article.heading.lower()
    kinds = set()
    if "entry into force" in heading:
        kinds.add("entry_into_force")
    if "application" in heading and "scope" not in heading:
        kinds.add("application")
    if "transposition" in heading:
        kinds.add("transposition")
    return kinds


def dates(act: ActText) -> dict[str, list[DatedSentence]]:
    """The dates of the entry-into-force, application and transposition articles, each with the
    sentence it was read in. "Enter into force on the twentieth day following ... publication"
    is computed from the text's own publication date."""
    found: dict[str, list[DatedSentence]] = {"entry_into_force": [], "application": [], "transposition": [],
                                             "all": []}
    for article in act.articles:
        kinds = _kinds(article)
        where = f"Art. {article.number}"
        if not kinds:
            for sentence in _sentences(article.text):
                for day in _dates_in(sentence):
                    if len(found["all"]) < MAX_ALL_DATES:
                        found["all"].append(DatedSentence(day, where, sentence[:MAX_SENTENCE]))
            continue
        for sentence in _sentences(article.text):
            low = sentence.lower()
            if "enter into force" in low:
                rel = RELATIVE_EIF.search(sentence)
                if rel and act.published:
                    days = ORDINALS.get((rel.group(1) or "first").lower())
                    if days:
                        found["entry_into_force"].append(DatedSentence(
                            act.published + timedelta(days=days), where, sentence,
                            f"publication {act.published.isoformat()} + {days} day(s)"))
                        continue
                if EIF_ON_PUBLICATION.search(sentence) and act.published:
                    found["entry_into_force"].append(DatedSentence(act.published, where, sentence,
                                                                   "the day of publication"))
                    continue
            for day in _dates_in(sentence):
                if len(found["all"]) < MAX_ALL_DATES:
                    found["all"].append(DatedSentence(day, where, sentence[:MAX_SENTENCE]))
                if "transposition" in kinds:
                    found["transposition"].append(DatedSentence(day, where, sentence))
                elif "enter into force" in low:
                    found["entry_into_force"].append(DatedSentence(day, where, sentence))
                elif "apply" in low or "application" in kinds:
                    found["application"].append(DatedSentence(day, where, sentence))
    return found


def _title_date(title: str | None) -> str | None:
    """The act's date as its title gives it ("... of 14 May 2024 on ...")."""
    day = next(_dates_in(title or ""), None)
    return day.isoformat() if day else None


def summary(act: ActText) -> dict[str, Any]:
    """The JSON-able record stored for an act text (what the facts comparison reads)."""
    dk, ie = denmark(act), ireland(act)
    return {
        "format": act.format,
        "title": act.title,
        "title_date": _title_date(act.title),
        "published": act.published.isoformat() if act.published else None,
        "legal_basis": act.legal_basis,
        "recitals": len(act.recitals),
        "articles": len(act.articles),
        "denmark": {"status": dk.status, "quote": dk.quote, "where": dk.where},
        "ireland": {"status": ie.status, "quote": ie.quote, "where": ie.where},
        "dates": {
            kind: [{"date": d.date.isoformat(), "article": d.article, "sentence": d.sentence, "derived": d.derived}
                   for d in items]
            for kind, items in dates(act).items()
        },
    }
