"""Neutralisers for text that came from outside (scraped titles, references, URLs, reasons).

One place for every output format, so a new renderer calls these instead of writing its own:

- `plain`: one line of plain text (no control characters, line breaks or bidi overrides).
- `md_text`, `md_link`: Markdown inline text and links that cannot end a table row, open a
  reference definition, raw HTML or a link of their own, whatever the input.
- `safe_url`: an http(s) URL fit for an href, a Markdown destination or an iCalendar URI, or None.
- `csv_cell`: a spreadsheet cell that cannot start a formula, not even after a `,` or `;` that a
  locale's list separator would split on (OWASP CSV injection).
- `ics_text`: iCalendar TEXT without the control characters RFC 5545 forbids.
- `xml_text`: text with only the characters XML 1.0 allows (the Atom feeds; the XML writer escapes
  the markup characters itself).
"""

from __future__ import annotations

import re
from urllib.parse import quote

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidirectional
# embedding/override/isolate characters (which reorder how a line is displayed).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
# Characters with a meaning in CommonMark/GFM inline text, backslash-escaped (CommonMark lets
# any ASCII punctuation be escaped; these are the ones that can start markup mid-line).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&$])")
_SCHEMES = ("http://", "https://")
# Kept as they are in a URL (RFC 3986 reserved and unreserved characters but the quote ', and
# "%"); everything else (space, " ' < > \ ^ ` { | }, non-ASCII) is percent-encoded as UTF-8.
_URL_SAFE = "!#$%&()*+,/:;=?@[]~-._"
_URL_EDGE = " \t\r\n\f\v"


def plain(value: object) -> str:
    """One line of plain text: control characters, line breaks and bidi controls become a space."""
    return _CONTROL.sub(" ", "" if value is None else str(value)).strip()


def md_text(value: object) -> str:
    """Markdown inline text that renders as exactly its characters, on one line."""
    return _MD_SPECIAL.sub(r"\\\1", plain(value))


def safe_url(url: object) -> str | None:
    """An http(s) URL that is safe to link, or None.

    Surrounding whitespace is dropped; a URL with a control character inside (a CR/LF that
    would end a Markdown line or an iCalendar property) is refused rather than repaired, and
    characters not allowed in a URL are percent-encoded, so the result never contains a space,
    a quote, `<`, `>`, `|`, a backslash or a line break.
    """
    if not isinstance(url, str):
        return None
    text = url.strip(_URL_EDGE)
    if not text.lower().startswith(_SCHEMES) or _CONTROL.search(text):
        return None
    return quote(text, safe=_URL_SAFE)


def md_link(label: object, url: object) -> str:
    """`[label](<url>)` for a safe http(s) URL; otherwise the label as plain Markdown text."""
    text = md_text(label)
    link = safe_url(url)
    return f"[{text}](<{link}>)" if link else text


# --- spreadsheets ------------------------------------------------------------------------------

# What a spreadsheet reads as the start of a formula (OWASP: = + - @ tab CR), and the full-width
# forms some spreadsheet applications normalise to them.
_FORMULA_CHARS = "=+-@\uff1d\uff0b\uff0d\uff20"
# A formula start at the beginning of the value (after optional spaces; tab, CR and LF count
# there too), or after a list separator or line break (Excel in a locale whose list separator is
# ";" splits a CSV line there).
_START = re.compile(r"^([ ]*)(?=[" + re.escape(_FORMULA_CHARS) + r"\t\r\n])")
_PIECE = re.compile(r"([,;\t\r\n][ ]*)(?=[" + re.escape(_FORMULA_CHARS) + r"])")
_NUMBER = re.compile(r"-\d+(\.\d+)?")


def csv_cell(value: object) -> object:
    """A cell value that no spreadsheet runs as a formula: a `'` goes before any piece (the value,
    or the text after a `,` `;` tab or line break) that starts with = + - @ (or, at the start,
    tab, CR, LF). Non-text values and plain negative numbers ("-12") are left alone."""
    if not isinstance(value, str) or not value or _NUMBER.fullmatch(value):
        return value
    return leading_defuse(_PIECE.sub(r"\1'", value))


def leading_defuse(value: object) -> object:
    """A `'` before text that starts like a formula: enough for XLSX text cells, which a
    spreadsheet never splits, so only the start of the cell matters."""
    if not isinstance(value, str) or _NUMBER.fullmatch(value):
        return value
    return _START.sub(r"\1'", value, count=1)


# --- iCalendar ---------------------------------------------------------------------------------

_ICS_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def ics_text(value: object) -> str:
    """iCalendar TEXT: line feeds kept (the library escapes them as \\n), other controls removed
    (RFC 5545 3.3.11 allows none). A literal backslash-N gets a word joiner between the two: the
    icalendar library reads `\\N` in the text it is given as a line break, so scraped text could
    otherwise start a line of its own in a description."""
    text = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _ICS_CONTROL.sub(" ", text).replace("\\N", "\\\u2060N")


# --- XML -----------------------------------------------------------------------------------------

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]+")


def xml_text(value: object) -> str:
    """Text an XML 1.0 document can hold: other characters (C0 controls, lone surrogates, U+FFFE,
    U+FFFF) become a space; an XML writer must still escape & < > and quotes."""
    return _NOT_XML.sub(" ", "" if value is None else str(value))
