"""The findings of a big saved CELLAR NIM result, built straight from its rows (streamed import).

eurlex_import.StreamedImport reads a result as a stream of NimRecords (eurlex_stream.NimStream), makes
a FoundItem per catalogued measure (eurlex_import.nim_item) and leaves serialising and hashing its data
to the writer: ~60 µs a row, most of it objects made and dropped. FindingStream gives the same
findings, notes and errors, faster:

  * a NIM of one row (CELLAR's usual answer: one title, one notification) goes from its binding
    to the finding with its stored `data` JSON text and content hash in one step, the text put
    together in the order and with the separators json.dumps(sort_keys=True) gives
    (findings_writer.content_hash_and_data);
  * a NIM of several rows takes the reference path (eurlex_stream._run_record, then
    eurlex.ImportMatcher.items), as does every error.

tests/sources/test_eurlex_findings.py compares both against StreamedImport (findings, hashes,
data text, notes, errors) and tests/test_stream_import.py the stored rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from hashlib import sha256
from json.encoder import encode_basestring_ascii as _string  # what json.dumps uses (ensure_ascii)
from typing import IO, TYPE_CHECKING, Any

from ..errors import ParseError
from .eurlex_import import ImportMatcher
from .eurlex_parse import _DIRECTIVE_CELEX_RE, NIM_COLUMNS, country_code, directive_of_nim_celex, parse_date
from .eurlex_stream import Bindings, NotGrouped, _checked, _run_record
from .finding_hash import HashedFinding

if TYPE_CHECKING:
    from .base import FoundItem, SourceContext

WHAT = "CELLAR NIM query result"
_FIELDS = ("nim", "nim_celex", "country", "title", "notified", "oj_name", "oj_number", "oj_page", "oj_date",
           "type_act", "ref_commission", "ref_member_state", "link", "eli", "directive")
_DIRS, _NOTES = '"directives_in_result": ', '"notes": '
_MEMO = 10_000  # entries per lookup memo (column sets, countries, dates, directives): bounded memory


class _Finding(HashedFinding):
    """A HashedFinding of a national measure, built with one dict (HashedFinding's __init__,
    through the dataclass's, costs ~3 µs a finding). Same attributes, same values."""

    __slots__ = ()

    def __init__(self, key: str, measure_id: str, member_state: str, celex: str | None, date: Any,
                 title: str | None, reference: str | None, url: str | None, content_hash: str,
                 data_json: str) -> None:
        self.__dict__ = {
            "content_hash": content_hash, "data_json": data_json, "key": key, "kind": "national-measure",
            "measure_id": measure_id, "member_state": member_state, "celex": celex, "date": date, "title": title,
            "reference": reference, "url": url, "stage": None, "_data": None, "fetch": None,
        }


def _plan(names: tuple[str, ...]) -> tuple[str | None, ...]:
    """For each of _FIELDS, the column that gives it in a binding with these columns: the first
    alias of NIM_COLUMNS present, as eurlex_stream._checked picks it."""
    present = set(names)
    return tuple(next((a for a in NIM_COLUMNS[f] if a in present), None) for f in _FIELDS)


class FindingStream:
    """`findings()` of a saved NIM result in file order; afterwards `reason`, the import's notes.

    As eurlex_import.StreamedImport: ParseError with the file name, eurlex_stream.NotGrouped when the
    rows of a NIM are not adjacent (the file has to be read whole).
    """

    def __init__(self, fh: IO[bytes], name: str, ctx: SourceContext) -> None:
        self.name = name
        self.bindings = Bindings(fh, WHAT)
        self.matcher = ImportMatcher(ctx)
        self.reason: str | None = None
        self.records = 0
        self._unknown: dict[str, int] = {}
        self._nokey = 0
        self._record_notes: list[str] = []
        self._plans: dict[tuple[str, ...], tuple[str | None, ...]] = {}
        self._countries: dict[str, tuple[str | None, str | None]] = {}
        self._dates: dict[str, Any] = {}
        self._matches: dict[tuple[str, str], tuple[list[str], list[tuple[str, str, str]]]] = {}

    def findings(self) -> Iterator[FoundItem]:
        try:
            yield from self._findings()
            self.reason = self.matcher.reason(self.name, self._notes(), self.records > 0)
        except ParseError as exc:
            message = str(exc)
            raise ParseError(message if message.startswith(f"{self.name}: ") else f"{self.name}: {message}") from None

    def _findings(self) -> Iterator[FoundItem]:
        """eurlex_stream.NimStream's grouping, a NIM's findings made as soon as its rows end."""
        done: set[int] = set()  # hash() of the keys done: a collision only sends the file to the whole-file read
        # The current NIM: its first row (binding, plan, EU code, ISO3, key, ?nim), its further rows.
        first: tuple[Any, ...] = ()
        current: str | None = None
        run: list[tuple[Any, ...]] = []
        plans, countries = self._plans, self._countries
        single = self._single
        bindings = self.bindings
        for binding in bindings:
            names = tuple(binding) if binding.__class__ is dict else None
            plan = plans.get(names) if names is not None else None
            if plan is None:
                _checked(binding, bindings.count, WHAT)  # raises for what is not a binding of strings
                plan = _plan(names)  # type: ignore[arg-type]
                if len(plans) < _MEMO:
                    plans[names] = plan  # type: ignore[index]
            for term in binding.values():
                if term.__class__ is not dict or term.get("value").__class__ is not str:
                    _checked(binding, bindings.count, WHAT)  # raises the error the reference gives
            name = plan[2]
            value = binding[name]["value"] if name else None
            found = countries.get(value)  # type: ignore[arg-type]
            if found is None:
                found = country_code(value)
                if len(countries) < _MEMO:
                    countries[value] = found  # type: ignore[index]
            code, iso3 = found
            if code is None:
                label = iso3 or "(no country)"
                self._unknown[label] = self._unknown.get(label, 0) + 1
                continue
            name = plan[0]
            nim = (binding[name]["value"].strip() or None) if name else None
            name = plan[1]
            key = nim or (binding[name]["value"].strip() if name else None)
            if not key:
                self._nokey += 1
                continue
            if current is not None:
                if key == current:
                    run.append((binding, plan, code, iso3, key, nim, bindings.count))
                    continue
                if run:
                    yield from self._run(first, run)
                    run = []
                else:
                    yield from single(*first)
                done.add(hash(current))
            if hash(key) in done:
                raise NotGrouped(key)
            first = (binding, plan, code, iso3, key, nim)
            current = key
        if run:
            yield from self._run(first, run)
        elif current is not None:
            yield from single(*first)

    def _notes(self) -> list[str]:
        notes: list[str] = []
        if self._unknown:
            listed = ", ".join(f"{k} ({n})" for k, n in sorted(self._unknown.items()))
            notes.append(f"skipped {sum(self._unknown.values())} row(s) whose country is not an EU Member State: "
                         f"{listed}")
        if self._nokey:
            notes.append(f"skipped {self._nokey} row(s) with neither a ?nim nor a NIM CELEX")
        return notes + self._record_notes

    def _run(self, first: tuple[Any, ...], run: list[tuple[Any, ...]]) -> list[FoundItem]:
        """The findings of a NIM of several rows, by the reference path (NimStream._record's
        record, ImportMatcher.items)."""
        self.records += 1
        rows = [(_checked(first[0], 0, WHAT), 0, first[2], first[3] or "")]
        rows += [(_checked(r[0], r[6], WHAT), 0, r[2], r[3] or "") for r in run]
        record = _run_record(first[4], first[5], rows, None)
        self._record_notes.extend(f"{record.celex_for(None) or record.group}: {n}" for n in record.notes)
        return self.matcher.items(record)

    def _date(self, raw: str) -> Any:
        dates = self._dates
        if raw in dates:
            return dates[raw]
        when = parse_date(raw)
        if len(dates) < _MEMO:
            dates[raw] = when
        return when

    def _match(self, directive: str, celex: str) -> tuple[list[str], list[tuple[str, str, str]]]:
        """(the NIM's directives, the (id, CELEX, NIM CELEX prefix) of the catalogued measures they
        name): NimRecord.directives() and ImportMatcher.items' choice, for a NIM of one row."""
        memo = (directive, celex[:10])
        known = self._matches.get(memo)
        if known is not None:
            return known
        found = {directive} if directive and _DIRECTIVE_CELEX_RE.fullmatch(directive) else set()
        of_celex = directive_of_nim_celex(celex)
        if of_celex:
            found.add(of_celex)
        directives = sorted(found)
        by_celex = self.matcher.by_celex
        measures = [by_celex[d] for d in directives if d in by_celex]
        if not directives and self.matcher.only is not None:
            measures = [self.matcher.only]
        known = (directives, [(m.id, m.celex, "7" + m.celex[1:]) for m in measures])
        if len(self._matches) < _MEMO:
            self._matches[memo] = known
        return known

    def _single(self, b: dict[str, dict[str, Any]], plan: tuple[str | None, ...], code: str, iso3: str,
                group: str, nim: str | None) -> list[FoundItem]:
        """The findings of a NIM of one row (binding `b`): eurlex_stream._single_record, then
        ImportMatcher.items / eurlex.nim_item / content_hash_and_data, without the objects."""
        self.records += 1
        (_nim, c_name, _country, t_name, n_name, on_name, ono_name, op_name, od_name, ta_name, rc_name, rms_name,
         link_name, eli_name, dir_name) = plan
        celex = b[c_name]["value"].strip() if c_name else ""
        directive = b[dir_name]["value"].strip() if dir_name else ""
        when = note = None
        if n_name:
            raw = b[n_name]["value"].strip()
            when = self._date(raw)
            if when is None:
                note = f"notification date {raw!r} is not a date; ignored"
                self._record_notes.append(f"{celex or group}: {note}")
        directives, measures = self._match(directive, celex)
        matcher = self.matcher
        if not measures:
            if directives:
                for d in directives:
                    matcher.other[d] = matcher.other.get(d, 0) + 1
            else:
                matcher.uninferable += 1
            return []
        if matcher.targets is not None and code not in matcher.targets:
            return []
        matcher.found += len(measures)
        title = " ".join(b[t_name]["value"].split()) if t_name else ""
        oj_name = " ".join(b[on_name]["value"].split()) if on_name else ""
        type_act = " ".join(b[ta_name]["value"].split()) if ta_name else ""
        oj_number = b[ono_name]["value"].strip() if ono_name else ""
        oj_page = b[op_name]["value"].strip() if op_name else ""
        oj_date = b[od_name]["value"].strip() if od_name else ""
        ref_commission = b[rc_name]["value"].strip() if rc_name else ""
        ref_member_state = b[rms_name]["value"].strip() if rms_name else ""
        link = b[link_name]["value"].strip() if link_name else ""
        eli = b[eli_name]["value"].strip() if eli_name else ""
        if title:
            lang = b[t_name].get("xml:lang")  # type: ignore[index]
            lang_json = _string(lang) if isinstance(lang, str) and lang else "null"
            titles = f'[{{"lang": {lang_json}, "value": {_string(title)}}}]'
        else:
            titles = "[]"
        iso = f'"{when.isoformat()}"' if when is not None else None
        # The data's keys in sorted order, as json.dumps(sort_keys=True) writes them.
        head = f'{{"country": {_string(iso3)}, "date_kind": "notification", "directive": '
        tail = (
            f'{f", {_DIRS}[{_string(directive)}]" if directive else ""}'
            f', "eli": {f"[{_string(eli)}]" if eli else "[]"}'
            f', "link": {f"[{_string(link)}]" if link else "[]"}'
            f', "nim": {_string(nim) if nim is not None else "null"}'
            f', "nim_celex": {f"[{_string(celex)}]" if celex else "[]"}'
            f'{f", {_NOTES}[{_string(note)}]" if note else ""}'
            f', "notified": {f"[{iso}]" if iso else "[]"}'
            f', "oj_date": {f"[{_string(oj_date)}]" if oj_date else "[]"}'
            f', "oj_name": {f"[{_string(oj_name)}]" if oj_name else "[]"}'
            f', "oj_number": {f"[{_string(oj_number)}]" if oj_number else "[]"}'
            f', "oj_page": {f"[{_string(oj_page)}]" if oj_page else "[]"}'
            f', "ref_commission": {f"[{_string(ref_commission)}]" if ref_commission else "[]"}'
            f', "ref_member_state": {f"[{_string(ref_member_state)}]" if ref_member_state else "[]"}'
            f', "rows": 1, "titles": {titles}'
            f', "type_act": {f"[{_string(type_act)}]" if type_act else "[]"}}}'
        )
        reference = (ref_commission or ref_member_state or (f"{oj_name} {oj_number}" if oj_name and oj_number else
                                                             oj_name or oj_number) or None)
        url = link or eli or None
        title_value = title or None
        # The content hash's text: {celex, data, date, kind, member_state, reference, stage, title, url}.
        rest = (f', "date": {iso or "null"}, "kind": "national-measure", "member_state": {_string(code)}'
                f', "reference": {_string(reference) if reference else "null"}, "stage": null'
                f', "title": {_string(title) if title else "null"}, "url": {_string(url) if url else "null"}}}')
        out: list[FoundItem] = []
        for measure_id, directive_celex, prefix in measures:
            of_measure = celex if celex and celex.startswith(prefix) else None
            data = f"{head}{_string(directive_celex)}{tail}"
            hashed = f'{{"celex": {_string(of_measure) if of_measure else "null"}, "data": {data}{rest}'
            out.append(_Finding(of_measure or nim or group, measure_id, code, of_measure, when, title_value, reference,
                                url, sha256(hashed.encode()).hexdigest(), data))
        return out
