"""A plain-text table laid out once per table: fixed columns, one flexible column, wrapped cells.

Replaces rich's Table for large reports (rich measures and renders every cell as segments,
~1.3 ms a row). The look is rich's SIMPLE_HEAD: a header, a rule under it, no vertical lines.
Cell text comes from scraped pages: it is printed literally, and control characters (ANSI
escapes, carriage returns, C1 codes, bidi overrides) are shown escaped, never sent raw.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, chop_cells

# SGR parameters of the rich styles used by the text report.
SGR = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
    "bold red": "1;31",
}

# C0 (but newline), DEL, C1, and the Unicode bidi / line-separator controls.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_FIXED = {"\t": " ", "\r": ""}
# Characters one cell wide (Latin, Greek, Cyrillic, punctuation, currency, box drawing; pinned
# against rich.cells by the tests): lines of these are measured and wrapped by len().
_NARROW = re.compile("[\x20-\x7e\xa0-\xac\xae-\u02ff\u0370-\u0482\u2010-\u2027\u2030-\u205e"
                     "\u20a0-\u20c0\u2500-\u25fc]*")
_EDGE, _GAP = 2, 3  # spaces before the first column (and after the last), and between two columns
FLEX_MIN = 30  # the flexible column takes width from the folding columns to keep at least this
_FLEX_FLOOR = 10  # ... and never gets less than this
_WRAPS: dict[int, re.Pattern[str]] = {}


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _FIXED:
        return _FIXED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str) -> str:
    """The text with control characters made visible (`\\x1b`), tabs as spaces, carriage returns dropped."""
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


def width_of(text: str) -> int:
    """Display width of one line (CJK and emoji take two cells)."""
    return len(text) if text.isascii() or _NARROW.fullmatch(text) else cell_len(text)


def style(text: str, name: str | None, color: bool) -> str:
    return f"\x1b[{SGR[name]}m{text}\x1b[0m" if color and name and text else text


def _wrap_pattern(width: int) -> re.Pattern[str]:
    # The longest run of at most `width` characters that ends before spaces (or the end),
    # else `width` characters of a word too long for a line (folded).
    pattern = _WRAPS.get(width)
    if pattern is None:
        pattern = _WRAPS[width] = re.compile(f"(.{{1,{width}}}(?= |$)|.{{{width}}}) *")
    return pattern


def _wrap_wide(line: str, width: int) -> list[str]:
    """Greedy wrapping by display width, for lines with non-ASCII text."""
    out: list[str] = []
    cur, cur_w = "", 0
    for m in re.finditer(r"( *)(\S+)", line):
        space, word = m.groups()
        space_w = len(space) if cur or not out else 0  # the first line keeps its indent
        word_w = cell_len(word)
        if cur_w + space_w + word_w <= width:
            cur += (space if space_w else "") + word
            cur_w += space_w + word_w
            continue
        if cur:
            out.append(cur)
        if word_w <= width:
            cur, cur_w = word, word_w
            continue
        *full, cur = chop_cells(word, width)
        out.extend(full)
        cur_w = cell_len(cur)
    if cur or not out:
        out.append(cur)
    return out


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` cells: break on spaces, fold words longer than a line; keep
    newlines. A line that starts with spaces keeps them on its continuation lines (a hanging
    indent), as long as that leaves at least half the width."""
    lines: list[str] = []
    for line in text.split("\n"):
        narrow = line.isascii() or _NARROW.fullmatch(line)
        if len(line) <= width and (narrow or cell_len(line) <= width):
            lines.append(line)
            continue
        body = line.lstrip(" ")
        indent = " " * (len(line) - len(body)) if len(line) - len(body) <= width // 2 else ""
        if not indent:
            body = line
        room = width - len(indent)
        pieces = (_wrap_pattern(room).findall(body.rstrip(" ")) or [""]) if narrow else _wrap_wide(body, room)
        lines += [indent + piece for piece in pieces] if indent else pieces
    return lines


def hanging(text: str, width: int, indent: int = 4) -> list[str]:
    """One paragraph in lines of at most `width` cells, the lines after the first indented."""
    first, *rest = wrap(text, width) or [""]
    if not rest:
        return [first]
    return [first, *(" " * indent + piece for piece in wrap(" ".join(rest), max(width - indent, 10)))]


def longest_word(cells: Sequence[str]) -> int:
    """Display width of the longest run of non-spaces in `cells`, with the indent of its line
    (which wrap() repeats on continuation lines)."""
    widest = 0
    for cell in cells:
        ascii_ = cell.isascii()
        for line in cell.split("\n") if "\n" in cell else (cell,):
            body = line.lstrip(" ")
            if not body:
                continue
            words = body.split()
            w = (max(map(len, words)) if ascii_ else max(map(width_of, words))) + len(line) - len(body)
            if w > widest:
                widest = w
    return widest


@dataclass(frozen=True)
class Column:
    header: str
    min_width: int = 0
    wrap: bool = True  # False: never wrapped (text the tool writes itself: dates, numbers, statuses)
    keep_words: bool = False  # never narrower than its longest word: identifiers are never folded
    right: bool = False
    flexible: bool = False  # takes the width the other columns leave (one column per table)
    style: str | None = None  # applied to every cell of the column when colour is on


def _natural(cells: Sequence[str]) -> int:
    widest = 0
    for cell in cells:
        if "\n" in cell:
            w = max(map(len, cell.split("\n"))) if cell.isascii() else max(map(width_of, cell.split("\n")))
        else:
            w = len(cell) if cell.isascii() else width_of(cell)
        if w > widest:
            widest = w
    return widest


def _widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int, flex_min: int,
            fit: int | None) -> list[int] | None:
    """Each column as wide as its content (at least its header and minimum); the flexible one
    gets the rest, taken from the wrapping columns (right-most first) down to their floor (for
    `keep_words`: their longest word) when it would get less than its content or `flex_min`.
    None when `fit` is given and the flexible column would get less than that; else the table
    is wider than `width` only when the floors do not fit."""
    heads = [max(col.min_width, width_of(col.header)) for col in columns]
    widths = [0 if col.flexible else max(heads[i], _natural([r[i] for r in rows])) for i, col in enumerate(columns)]
    floors = [
        (max(heads[i], longest_word([r[i] for r in rows])) if col.keep_words else heads[i]) if col.wrap else widths[i]
        for i, col in enumerate(columns)
    ]
    flex = [i for i, col in enumerate(columns) if col.flexible]
    if not flex:
        return widths
    (f,) = flex
    avail = width - 2 * _EDGE - _GAP * (len(columns) - 1)
    if fit is not None and avail - (sum(floors) - floors[f]) < max(fit, heads[f]):
        return None
    rest = avail - sum(widths)
    want = min(flex_min, max(_natural([r[f] for r in rows]), heads[f]))
    for i in reversed(range(len(columns))):  # the right-most first: identifiers on the left fold last
        col = columns[i]
        if rest >= want:
            break
        if col.wrap and not col.flexible:
            # A column of whole words (identifiers, statuses) gains nothing from a partial cut.
            cut = widths[i] - floors[i] if col.keep_words else min(want - rest, widths[i] - floors[i])
            if cut > 0:
                widths[i] -= cut
                rest += cut
    widths[f] = max(rest, _FLEX_FLOOR, heads[f])
    return widths


def table(title: str, title_style: str | None, columns: Sequence[Column], rows: Sequence[Sequence[str]],
          *, width: int, color: bool, flex_min: int = FLEX_MIN, fit: int | None = None) -> list[str] | None:
    """The lines of one table: title, blank, header, rule, rows, blank (no trailing spaces).
    The flexible column takes room from the wrapping ones until it has `flex_min` cells; with
    `fit`, None when the table cannot give it at least that many within `width`."""
    widths = _widths(columns, rows, width, flex_min, fit)
    if widths is None:
        return None
    last = len(columns) - 1
    gap = " " * _GAP
    # Lines of narrow characters (nearly all) are padded by str.format: one character, one cell.
    template = " " * _EDGE + gap.join(
        f"{{:>{w}}}" if col.right else ("{}" if i == last else f"{{:<{w}}}")
        for i, (col, w) in enumerate(zip(columns, widths, strict=True))
    )
    styled = [  # (column, where its cell starts (ends, right-justified), the style's escape code)
        (i, _EDGE + sum(widths[:i + col.right]) + _GAP * i, col.right, f"\x1b[{SGR[col.style]}m")
        for i, col in enumerate(columns) if color and col.style
    ][::-1]  # right to left: inserting a code leaves the positions on its left as they were

    def wide_line(cells: Sequence[str], bold: bool = False) -> str:
        parts = []
        for i, text in enumerate(cells):
            fill = " " * (widths[i] - width_of(text))
            code = SGR["bold"] if bold else (SGR[columns[i].style] if color and columns[i].style else None)
            if text and code:
                text = f"\x1b[{code}m{text}\x1b[0m"
            parts.append(fill + text if columns[i].right else (text if i == last else text + fill))
        return (" " * _EDGE + gap.join(parts)).rstrip()

    def line(cells: Sequence[str]) -> str:
        text = template.format(*cells)
        if not (text.isascii() or _NARROW.fullmatch(text)):
            return wide_line(cells)
        for i, at, right, code in styled:
            if cells[i]:
                start, end = (at - len(cells[i]), at) if right else (at, at + len(cells[i]))
                text = f"{text[:start]}{code}{text[start:end]}\x1b[0m{text[end:]}"
        return text.rstrip()

    out = [style(title, title_style, color), ""]
    out.append(wide_line([c.header for c in columns], bold=color))
    out.append(" " + "─" * (sum(widths) + _GAP * last + 2 * _EDGE - 2))
    # Cells are split into lines where they wrap, or where they hold newlines (any column).
    splitting = [(i, widths[i], col.wrap) for i, col in enumerate(columns)]
    # Continuation lines of a column whose cells are left-justified and unstyled: spaces, then the text.
    indents = {i: " " * (_EDGE + sum(widths[:i]) + _GAP * i)
               for i, col in enumerate(columns) if not col.right and not (color and col.style)}
    for row in rows:
        split: dict[int, list[str]] | None = None
        for i, w, wraps in splitting:
            text = row[i]
            if wraps and (len(text) > w or (not text.isascii() and width_of(text) > w)):
                pieces = wrap(text, w)
            elif "\n" in text:
                pieces = wrap(text, w) if wraps else text.split("\n")
            else:
                continue
            if split is None:
                split = {}
            split[i] = pieces
        if split is None:
            out.append(line(row))
            continue
        first = list(row)
        for i, pieces in split.items():
            first[i] = pieces[0]
        out.append(line(first))
        if len(split) == 1:
            ((i, pieces),) = split.items()
            if i in indents:
                indent = indents[i]
                out += [(indent + piece).rstrip() for piece in pieces[1:]]
                continue
        height = max(map(len, split.values()))
        for k in range(1, height):
            out.append(line([split[i][k] if i in split and k < len(split[i]) else ""
                             for i in range(len(row))]))
    out.append("")
    return out
