"""Streaming read of a big CELLAR NIM result (W3C SPARQL 1.1 JSON) saved by a user.

`compliance import --source eurlex BIG.json` on a result of millions of rows must not hold the
file, its JSON tree or its findings in memory. This reader:

  * decodes the file in chunks and walks its top two levels by hand (`{"head": ..., "results":
    {"bindings": [ ... ]}}`, keys in any order); each binding, and every other value, is decoded
    whole by the standard library's C decoder (`raw_decode`), so a binding is parsed exactly as
    `json.loads` would parse it;
  * checks each binding as `parse_sparql_json` does, and maps it to a NimRow as `parse_nim_rows`
    does;
  * groups the rows of one NIM as `group_nim_rows` does, one NIM at a time. This needs the rows of
    a NIM to be adjacent, which they are in CELLAR's answer to the NIM query (ORDER BY ?nim first,
    sources.md §1.4). A NIM whose rows come back later raises NotGrouped, and the caller reads the
    file whole instead (eurlex.parse_import), so the result is the same either way.

The records come out in file order (the whole-file parser sorts them by Member State and CELEX;
the set of records is the same, tests/sources/test_eurlex_stream.py compares them).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from ..errors import ParseError
from .eurlex_parse import (
    _MULTI,
    NIM_COLUMNS,
    SPARQL_JSON,
    NimParse,
    NimRecord,
    country_code,
    normalise_text,
    parse_date,
    sparql_document,
)

CHUNK = 1 << 20  # characters decoded per read
MAX_VALUE = 64 << 20  # a single binding (or other value) larger than this is refused


class NotGrouped(Exception):  # noqa: N818 - a signal to the caller, not an error shown to anyone
    """The rows of a NIM are not adjacent in the file: it has to be read whole."""


class _Text:
    """Incremental UTF-8 text over a binary file, with a read position."""

    def __init__(self, fh: IO[bytes], what: str) -> None:
        self.fh = fh
        self.what = what
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.offset = 0  # bytes read so far, for messages

    def more(self) -> bool:
        if self.eof:
            return False
        data = self.fh.read(CHUNK)
        self.offset += len(data)
        try:
            text = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise ParseError(f"{self.what}: not UTF-8 text ({exc.reason} near byte {self.offset})") from None
        if not data:
            self.eof = True
        if self.pos:
            self.buf = self.buf[self.pos:]
            self.pos = 0
        self.buf += text
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end)."""
        while True:
            buf, pos, n = self.buf, self.pos, len(self.buf)
            while pos < n and buf[pos] in " \t\r\n":
                pos += 1
            self.pos = pos
            if pos < n:
                return buf[pos]
            if not self.more():
                return ""

    def expect(self, char: str, where: str) -> None:
        if self.peek() != char:
            raise ParseError(f"{self.what}: not JSON (expected {char!r} {where})")
        self.pos += 1

    def value(self, decoder: json.JSONDecoder) -> Any:
        self.peek()
        while True:
            try:
                value, end = decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos > MAX_VALUE:
                    raise ParseError(f"{self.what}: not JSON ({exc.msg}), or a value larger than "
                                     f"{MAX_VALUE >> 20} MB") from None
                if self.more():
                    continue
                raise ParseError(f"{self.what}: not JSON ({exc.msg})") from None
            except RecursionError:
                raise ParseError(f"{self.what}: not JSON (nested too deeply)") from None
            # A number at the end of the buffer may continue in the next chunk.
            if end == len(self.buf) and not self.eof and isinstance(value, int | float) and self.more():
                continue
            self.pos = end
            return value


class Bindings:
    """Iterate over the bindings of a SPARQL JSON result file; `head` is checked at the end."""

    def __init__(self, fh: IO[bytes], what: str) -> None:
        self.text = _Text(fh, what)
        self.what = what
        self.count = 0
        self._decoder = json.JSONDecoder()
        self._head: Any = None
        self._results_seen = False
        self._bindings_seen = False
        self._boolean = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        t, what = self.text, self.what
        if t.peek() != "{":
            if t.peek() == "":
                raise ParseError(f"{what}: empty body, expected {SPARQL_JSON}")
            t.value(self._decoder)  # a valid JSON value that is not an object, or a JSON error
            raise ParseError(f"{what}: not a SPARQL JSON result (top level is not an object)")
        t.pos += 1
        for key in self._keys("top level"):
            if key == "results":
                yield from self._results()
            elif key == "head":
                self._head = t.value(self._decoder)
            else:
                self._boolean = self._boolean or key == "boolean"
                t.value(self._decoder)
        if t.peek() != "":
            raise ParseError(f"{what}: not JSON (extra data after the result)")
        self._check_end()

    def _keys(self, where: str) -> Iterator[str]:
        """The keys of the object whose '{' was just read, leaving the position on each value."""
        t = self.text
        if t.peek() == "}":
            t.pos += 1
            return
        while True:
            if t.peek() != '"':
                raise ParseError(f"{self.what}: not JSON (expected a key in the {where})")
            key = t.value(self._decoder)
            t.expect(":", f"after a key in the {where}")
            yield key
            nxt = t.peek()
            t.pos += 1
            if nxt == "}":
                return
            if nxt != ",":
                raise ParseError(f"{self.what}: not JSON (expected ',' or '}}' in the {where})")

    def _results(self) -> Iterator[dict[str, Any]]:
        t = self.text
        self._results_seen = True
        if t.peek() != "{":
            t.value(self._decoder)
            raise ParseError(f"{self.what}: not a SPARQL JSON result (no head/results)")
        t.pos += 1
        for key in self._keys("results object"):
            if key != "bindings":
                t.value(self._decoder)
                continue
            self._bindings_seen = True
            if t.peek() != "[":
                t.value(self._decoder)
                raise ParseError(f"{self.what}: results.bindings is not a list")
            t.pos += 1
            if t.peek() == "]":
                t.pos += 1
                continue
            while True:
                binding = t.value(self._decoder)
                self.count += 1
                yield binding
                nxt = t.peek()
                t.pos += 1
                if nxt == "]":
                    break
                if nxt != ",":
                    raise ParseError(f"{self.what}: not JSON (expected ',' or ']' in results.bindings)")

    def _check_end(self) -> None:
        what = self.what
        if self._boolean and not self._results_seen:
            raise ParseError(f"{what}: an ASK result, expected SELECT results")
        if not isinstance(self._head, dict) or not self._results_seen:
            raise ParseError(f"{what}: not a SPARQL JSON result (no head/results)")
        variables = self._head.get("vars", [])
        if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
            raise ParseError(f"{what}: head.vars is not a list of names")
        if not self._bindings_seen:
            raise ParseError(f"{what}: results.bindings is not a list")


# alias -> (canonical field, rank): the first alias of NIM_COLUMNS present in a row wins.
_ALIASES: dict[str, tuple[str, int]] = {
    alias: (name, rank) for name, aliases in NIM_COLUMNS.items() for rank, alias in enumerate(aliases)
}
_ONE_VALUE = ("oj_number", "oj_page", "oj_date", "ref_commission", "ref_member_state", "link", "eli", "directive")


def _checked(binding: Any, index: int, what: str) -> dict[str, dict[str, Any]]:
    """A binding checked as parse_sparql_json checks it, under canonical names (raw term dicts)."""
    if not isinstance(binding, dict):
        raise ParseError(f"{what}: binding #{index} is not an object")
    canonical: dict[str, dict[str, Any]] = {}
    ranks: dict[str, int] = {}
    for name, term in binding.items():
        if not isinstance(term, dict) or not isinstance(term.get("value"), str):
            raise ParseError(f"{what}: binding #{index}, {name!r} has no string value")
        alias = _ALIASES.get(name)
        if alias is not None:
            field, rank = alias
            if field not in ranks or rank < ranks[field]:
                canonical[field], ranks[field] = term, rank
    return canonical


def _lang(term: dict[str, Any]) -> str | None:
    lang = term.get("xml:lang")
    return lang if isinstance(lang, str) and lang else None


def _run_record(group: str, nim: str | None, run: list[tuple[dict[str, dict[str, Any]], int, str, str]],
                directive: str | None) -> NimRecord:
    """group_nim_rows' record for the rows of one NIM (each: fields, page, EU code, ISO3), built
    from the raw terms without Term objects.

    tests/sources/test_eurlex_stream.py checks it against group_nim_rows on generated rows.
    """
    countries: set[tuple[str, str]] = set()
    titles: set[tuple[str, str | None]] = set()
    notified_raw: set[str] = set()
    sets: dict[str, set[str]] = {k: set() for k in _MULTI_VALUES}
    first_page = run[0][1]
    for f, page, code, iso3 in run:
        first_page = min(first_page, page)
        countries.add((code, iso3))
        for key, term in f.items():
            if key == "title":
                text = normalise_text(term["value"])
                if text:
                    titles.add((text, _lang(term)))
            elif key == "notified":
                notified_raw.add(term["value"].strip())
            elif key in ("oj_name", "type_act"):
                text = normalise_text(term["value"])
                if text:
                    sets[key].add(text)
            elif key in sets:
                text = term["value"].strip()
                if text:
                    sets[key].add(text)
    notes: list[str] = []
    ordered = sorted(countries)
    if len(ordered) > 1:
        notes.append("linked to several countries: " + ", ".join(c[1] for c in ordered) + f"; kept {ordered[0][1]}")
    notified = set()
    for raw in sorted(notified_raw):
        when = parse_date(raw)
        if when is None:
            notes.append(f"notification date {raw!r} is not a date; ignored")
        else:
            notified.add(when)
    prefix = "7" + directive[1:] if directive else None
    all_celex = sorted(sets.pop("nim_celex"))
    celex = [c for c in all_celex if c.startswith(prefix)] if prefix else all_celex
    other = [c for c in all_celex if c not in celex]
    values = {k: sorted(v) for k, v in sets.items()}
    if other:
        values["other_celex"] = other
    return NimRecord(
        group=group, nim=nim, member_state=ordered[0][0], iso3=ordered[0][1], celex=celex,
        titles=[{"value": v, "lang": lang} for v, lang in sorted(titles, key=lambda t: (t[0], t[1] or ""))],
        notified=sorted(notified), values=values, notes=notes, first_page=first_page, rows=len(run),
    )


# The multi-valued fields other than title and notification date (eurlex_parse._MULTI).
_MULTI_VALUES = tuple(k for k in _MULTI if k not in ("title", "notified"))
_TEXT_VALUES = ("oj_name", "type_act")
_PLAIN_VALUES = tuple(k for k in _MULTI_VALUES if k not in _TEXT_VALUES and k != "nim_celex")


def _single_record(group: str, nim: str | None, f: dict[str, dict[str, Any]], page: int, code: str, iso3: str,
                   directive: str | None) -> NimRecord:
    """_run_record for a NIM of one row (the usual case: one title, one notification), faster."""
    notes: list[str] = []
    notified = []
    term = f.get("notified")
    if term is not None:
        raw = term["value"].strip()
        when = parse_date(raw)
        if when is None:
            notes.append(f"notification date {raw!r} is not a date; ignored")
        else:
            notified.append(when)
    term = f.get("nim_celex")
    text = term["value"].strip() if term is not None else ""
    all_celex = [text] if text else []
    if directive and all_celex and not text.startswith("7" + directive[1:]):
        celex: list[str] = []
        other = all_celex
    else:
        celex, other = all_celex, []
    values: dict[str, list[str]] = {}
    for key in _MULTI_VALUES:
        if key == "nim_celex":
            continue
        term = f.get(key)
        if term is None:
            values[key] = []
            continue
        text = normalise_text(term["value"]) if key in _TEXT_VALUES else term["value"].strip()
        values[key] = [text] if text else []
    if other:
        values["other_celex"] = other
    titles: list[dict[str, str | None]] = []
    term = f.get("title")
    if term is not None:
        text = normalise_text(term["value"])
        if text:
            titles.append({"value": text, "lang": _lang(term)})
    return NimRecord(group=group, nim=nim, member_state=code, iso3=iso3, celex=celex, titles=titles,
                     notified=notified, values=values, notes=notes, first_page=page, rows=1)


def page_bindings(body: bytes, what: str) -> list[dict[str, dict[str, Any]]]:
    """The bindings of one SPARQL JSON page, checked as parse_sparql_json checks the document
    (same errors, every binding before any grouping), under canonical names, without Terms."""
    _variables, bindings = sparql_document(body, what)
    return [_checked(binding, index, what) for index, binding in enumerate(bindings, start=1)]


class NimStream:
    """NimRecords of NIM rows, one NIM at a time (see the module docstring).

    `rows` yields (binding, page, index of the binding in its page). After the iteration: `rows`
    (bindings read), `skipped` and `notes` as group_nim_rows gives them.
    """

    def __init__(self, rows: Iterable[tuple[Any, int, int]], what: str, directive: str | None = None, *,
                 checked: bool = False) -> None:
        self.source = rows
        self.checked = checked  # the bindings are page_bindings' canonical dicts already
        self.what = what
        self.directive = directive
        self.rows = 0
        self.skipped = 0
        self.notes: list[str] = []
        self._unknown: dict[str, int] = {}
        self._nokey = 0
        self._record_notes: list[str] = []

    @classmethod
    def of_file(cls, fh: IO[bytes], what: str, directive: str | None = None) -> NimStream:
        bindings = Bindings(fh, what)
        return cls(((b, 0, n) for n, b in enumerate(bindings, start=1)), what, directive)

    def __iter__(self) -> Iterator[NimRecord]:
        done: set[str] = set()
        run: list[tuple[dict[str, dict[str, Any]], int, str, str]] = []
        current: tuple[str, str | None] | None = None
        what = self.what
        checked = self.checked
        for binding, page, index in self.source:
            self.rows += 1
            f = binding if checked else _checked(binding, index, what)
            country = f.get("country")
            code, iso3 = country_code(country["value"] if country is not None else None)
            if code is None:
                self.skipped += 1
                label = iso3 or "(no country)"
                self._unknown[label] = self._unknown.get(label, 0) + 1
                continue
            term = f.get("nim")
            nim = term["value"].strip() or None if term is not None else None
            term = f.get("nim_celex")
            celex = term["value"].strip() if term is not None else None
            key = nim or celex
            if not key:
                self.skipped += 1
                self._nokey += 1
                continue
            if current is None or key != current[0]:
                if run:
                    yield self._record(current, run)
                    done.add(current[0])  # type: ignore[index]
                if key in done:
                    raise NotGrouped(key)
                run, current = [], (key, nim)
            run.append((f, page, code, iso3 or ""))
        if run:
            yield self._record(current, run)
        self._finish()

    def _record(self, current: Any, run: list[tuple[dict[str, dict[str, Any]], int, str, str]]) -> NimRecord:
        group, nim = current
        if len(run) == 1:
            f, page, code, iso3 = run[0]
            record = _single_record(group, nim, f, page, code, iso3, self.directive)
        else:
            record = _run_record(group, nim, run, self.directive)
        self._record_notes.extend(f"{record.celex_for(self.directive) or record.group}: {n}" for n in record.notes)
        return record

    def _finish(self) -> None:
        notes: list[str] = []
        if self._unknown:
            listed = ", ".join(f"{k} ({n})" for k, n in sorted(self._unknown.items()))
            notes.append(f"skipped {sum(self._unknown.values())} row(s) whose country is not an EU Member State: "
                         f"{listed}")
        if self._nokey:
            notes.append(f"skipped {self._nokey} row(s) with neither a ?nim nor a NIM CELEX")
        self.notes = notes + self._record_notes


def group_pages(pages: list[list[dict[str, dict[str, Any]]]], directive: str | None) -> NimParse:
    """group_nim_rows(parse_nim_rows(page) for each page) for the pages' page_bindings,
    built one NIM at a time (NotGrouped when the rows of a NIM are not adjacent)."""
    stream = NimStream(((b, page, n) for page, bindings in enumerate(pages)
                        for n, b in enumerate(bindings, start=1)), "CELLAR NIM query result", directive,
                       checked=True)
    records = list(stream)
    records.sort(key=lambda r: (r.member_state, r.celex_for(directive) or r.group))
    return NimParse(records=records, rows=stream.rows, skipped=stream.skipped, notes=stream.notes)
