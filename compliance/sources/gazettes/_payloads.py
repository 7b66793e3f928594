"""What the gazette sources share to read an answer safely: strict UTF-8 (a BOM dropped) and the
repair of double-encoded UTF-8 ("Ã©" for "é", which some saved captures carry; sources.md 2.14),
HTML pages where data was expected detected as blocks, JSON, and XML parsed safely (lxml without
entity resolution, DTD loading or network, huge trees refused; documents that declare entities
are refused outright), dates, and checked request parameters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from ...errors import BlockedError, ComplianceError, ParseError, SourceError, one_line

if TYPE_CHECKING:
    from lxml import etree



def decode(body: bytes, what: str) -> str:
    """UTF-8 text (a BOM is dropped); anything else is a ParseError."""
    if not isinstance(body, bytes | bytearray):
        raise ParseError(f"{what}: expected bytes, got {type(body).__name__}")
    try:
        return bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def clean(value: Any) -> str | None:
    """A string with runs of whitespace collapsed, or None for empty / non-strings."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


# Windows-1252 bytes 0x80-0x9F as characters; a double-encoding tool may have used them or the
# bare C1 controls (Latin-1), and captures mix both (sources.md 2.14).
_CP1252 = {bytes([b]).decode("cp1252"): b for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                       "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")


def undo_double_utf8(text: str) -> str | None:
    """The text with double-encoded UTF-8 undone, or None when it is not (wholly) double-encoded.

    The repair is all or nothing: every non-ASCII character must map back to one byte and the
    bytes must be valid UTF-8. Genuine accented text ("é" followed by a letter) never is, so
    real text is left alone.
    """
    if not _MOJIBAKE.search(text):
        return None
    out = bytearray()
    for ch in text:
        code = ord(ch)
        if code < 0x100:
            out.append(code)
        elif ch in _CP1252:
            out.append(_CP1252[ch])
        else:
            return None
    try:
        fixed = out.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return fixed if fixed != text else None


class Fixer:
    """Repairs the strings of one document when the document as a whole is double-encoded."""

    def __init__(self, whole: str) -> None:
        self.active = undo_double_utf8(whole) is not None

    @classmethod
    def of(cls, body: bytes) -> Fixer:
        """The fixer of a whole payload (undecodable bytes do not stop the check)."""
        return cls(body.decode("utf-8-sig", errors="replace"))

    def __call__(self, value: str | None) -> str | None:
        if value is None or not self.active:
            return value
        return undo_double_utf8(value) or value

    def note(self) -> list[str]:
        return ["double-encoded UTF-8 (mojibake) in the file was repaired"] if self.active else []


_HTML_START = re.compile(r"^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.IGNORECASE)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ENTITY_REACH = 65536  # the prolog, where a DOCTYPE's internal subset must stand

# lxml options for every gazette document: no entity is resolved, no DTD or network resource is
# loaded, huge trees are refused; comments and processing instructions are dropped.
SAFE_XML: dict[str, bool] = {"resolve_entities": False, "no_network": True, "huge_tree": False,
                             "load_dtd": False, "remove_comments": True, "remove_pis": True}


def looks_like_html(body: str | bytes) -> bool:
    """Whether a payload starts as an HTML page (a bot check, login or error page)."""
    if isinstance(body, bytes | bytearray):
        body = bytes(body[:2000]).decode("utf-8-sig", errors="replace")
    return bool(_HTML_START.match(body[:2000]))


def check_not_html(text: str, what: str, expected: str = "data",
                   error: type[ComplianceError] = BlockedError) -> None:
    """An HTML page where `expected` was expected is a block (bot check, login, error page)."""
    if looks_like_html(text):
        title = re.search(r"<title[^>]*>(.*?)</title>", text[:5000], re.IGNORECASE | re.DOTALL)
        shown = f" ({one_line(title.group(1), 80)})" if title else ""
        raise error(f"{what}: an HTML page{shown} instead of {expected} (blocked, redirected or an error page)")


def refuse_block_page(body: bytes, what: str) -> None:
    """A page that is HTML by nature (a listing) can still be a bot check or an access-denied page."""
    text = bytes(body[:5000]).decode("utf-8", errors="replace").lower()
    if any(m in text for m in ("captcha", "cf-chl", "access denied", "request rejected")):
        raise BlockedError(f"{what}: a bot check or access-denied page")


def refuse_entities(body: bytes, what: str) -> None:
    """Refuse XML that declares entities (the "billion laughs" family), though none is ever resolved."""
    if _ENTITY_DECL.search(body[:_ENTITY_REACH]):
        raise ParseError(f"{what}: the XML declares entities; refused as unsafe XML")


def parse_json(body: bytes, what: str, *, html_error: type[ComplianceError] = BlockedError) -> Any:
    """A JSON payload; ParseError on anything else.

    An HTML page is raised as `html_error`: a BlockedError, except where a source's parser has
    always reported it as a ParseError (DK, AT, EE and PL; their refreshes check for a block).
    """
    text = decode(body, what)
    if not text.strip():
        raise ParseError(f"{what}: empty body")
    check_not_html(text, what, "JSON", html_error)
    if text.lstrip().startswith("<"):
        raise ParseError(f"{what}: an HTML/XML page instead of JSON (blocked, redirected or an error page?)")
    try:
        return json.loads(text)
    except RecursionError:
        raise ParseError(f"{what}: not JSON (nested too deeply)") from None
    except ValueError as exc:  # JSONDecodeError, and int strings beyond Python's digit limit
        raise ParseError(f"{what}: not JSON ({str(exc).splitlines()[0][:120]})") from None


def parse_xml(body: bytes, what: str, *, recover: bool = False,
              html_error: type[ComplianceError] | None = BlockedError) -> tuple[etree._Element, list[str]]:
    """The root element of an XML body, parsed with `SAFE_XML`; (root, notes).

    A document that declares entities is refused outright. An HTML page is raised as
    `html_error` (None: left to the caller's check of the root element). `recover=True`
    (imports only) reads a cut or damaged file as far as it goes and says so in the notes.
    """
    from lxml import etree

    if not isinstance(body, bytes | bytearray):
        raise ParseError(f"{what}: expected bytes, got {type(body).__name__}")
    body = bytes(body)
    if not body.strip():
        raise ParseError(f"{what}: empty body")
    refuse_entities(body, what)
    if html_error is not None:
        check_not_html(body[:2000].decode("utf-8-sig", errors="replace"), what, error=html_error)
    notes: list[str] = []
    try:
        root = etree.fromstring(body, etree.XMLParser(**SAFE_XML))
    except (etree.XMLSyntaxError, ValueError, LookupError) as exc:
        if not recover:
            raise ParseError(f"{what}: not well-formed XML ({one_line(str(exc), 160)})") from None
        try:
            root = etree.fromstring(body, etree.XMLParser(**SAFE_XML, recover=True))
        except (etree.XMLSyntaxError, ValueError, LookupError):
            root = None
        if root is None:
            raise ParseError(f"{what}: not well-formed XML ({one_line(str(exc), 160)})") from None
        notes.append(f"the file is not well-formed XML ({one_line(str(exc), 120)}); it was read in "
                     "recovery mode, so only the part before the damage was used (cut short?)")
    if root is None or not isinstance(root.tag, str):
        raise ParseError(f"{what}: no XML root element")
    return root, notes


def json_page(doc: Any, what: str, items: str, total: str, shape: str) -> tuple[list[Any], int]:
    """(the `items` list, the `total` count) of a JSON search page; ParseError (saying `shape`
    was expected) when the list is missing, or when the count is."""
    if not isinstance(doc, dict) or not isinstance(doc.get(items), list):
        raise ParseError(f"{what}: {shape}")
    count = doc.get(total)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ParseError(f"{what}: no {total}")
    return doc[items], count


def local(tag: Any) -> str:
    """An element's tag without its namespace ('{ns}name' -> 'name'); '' for comments and the like."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def text_of(element: Any, sep: str = "") -> str:
    """All text inside an element ('' for None), its pieces joined with `sep`, whitespace collapsed."""
    if element is None:
        return ""
    return " ".join(sep.join(element.itertext()).split())


_DATE_FORMS = (
    re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:$|[T\s]|Z|[+-]\d{2}:?\d{2})"),
    re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:$|T|\s)"),
)


def parse_date(value: Any) -> date | None:
    """A date from 'YYYY-MM-DD', an ISO date-time ("2019-02-19+02:00", "2026-01-02T11:20:03") or
    BOE's 'YYYYMMDD'; None otherwise."""
    if not isinstance(value, str):
        return None
    for form in _DATE_FORMS:
        m = form.match(value)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def as_list(value: Any) -> list[Any]:
    """RIS-style lists: one item arrives as an object, several as an array, none as null."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def raise_error_answer(data: dict[str, Any], keys: Iterable[str], what: str) -> None:
    """A service's error object ({"message": …}): SourceError with the first message among `keys`."""
    message = next((m for k in keys if (m := clean(data.get(k)))), None)
    if message:
        raise SourceError(f"{what}: error answer: {message[:300]}", status="failed")


def checked_params(params: dict[str, str | int], allowed: frozenset[str], what: str) -> dict[str, str]:
    """Query parameters as strings, refused (ValueError) if one is not documented."""
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValueError(f"{what}: undocumented parameter(s) {', '.join(unknown)}")
    return {k: str(v) for k, v in params.items()}


@contextmanager
def named_errors(name: str) -> Iterator[None]:
    """ParseErrors raised inside say which file (`name`) they are about."""
    try:
        yield
    except ParseError as exc:
        message = str(exc)
        raise ParseError(message if message.startswith(name) else f"{name}: {message}") from None
