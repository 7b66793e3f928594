"""JSON: a list with one object per Member State, however many were asked for. Documented in README."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring
from typing import Any

from ..model import Evidence
from ..report.assembly import Report
from .rows import report_dict

INDENT = 2
# The keys of Evidence.to_dict(), in its order (tests/test_render_json.py holds them equal).
EVIDENCE_KEYS = ("source", "kind", "url", "reference", "title", "date", "date_text", "retrieved_at", "sha256",
                 "curated", "recorded", "verified", "stage", "not_listed_since")
_MISSING = object()
_FLAT = frozenset({str, int, float, bool, type(None)})


def render(reports: list[Report]) -> str:
    return "".join(chunks(reports))


def chunks(reports: Iterable[Report]) -> Iterator[str]:
    """The text of `render`, one Member State's report at a time (each taken from `reports` only
    when the text before it has been used): the list's own layout, as `dumps` writes it."""
    opening = "[\n" + " " * INDENT
    iso: dict[Any, str | None] = {}  # dates and times recur across Member States
    for report in reports:
        out: list[str] = [opening]
        # Evidence items stay Evidence in the report's data, written as their to_dict() would be.
        # The same item appears under several obligations (and discrepancies) of a report: it is
        # encoded once. The encoder, which knows items by id, lives for one report.
        _Encoder(out, iso).value(report_dict(report, evidence=None), 1)
        yield "".join(out)
        opening = ",\n" + " " * INDENT
    yield "[]\n" if opening.startswith("[") else "\n]\n"


def dumps(obj: Any) -> str:
    """Exactly `json.dumps(obj, indent=2, ensure_ascii=False)`, several times faster.

    With an indent, the standard library encodes in pure Python, which takes seconds for a
    report of 100,000 evidence items. Here every dict or list whose values are all plain
    scalars (the evidence items, most of the output) is encoded by the C encoder in one call,
    with the newline and indentation as its item separator; the rest follows the same layout
    rules as json.encoder._make_iterencode. tests/test_render_json.py compares the two.
    """
    out: list[str] = []
    _Encoder(out).value(obj, 0)
    return "".join(out)


class _Encoder:
    def __init__(self, out: list[str], iso: dict[Any, str | None] | None = None) -> None:
        self.out = out
        self._flat: dict[int, json.JSONEncoder] = {}
        self._scalar = json.JSONEncoder(ensure_ascii=False)
        self._evidence: dict[tuple[int, int], str] = {}  # (id of the Evidence, depth) -> its text
        self._evidence_keys: dict[int, tuple[str, ...]] = {}  # depth -> the keys with their layout
        self._iso: dict[Any, str | None] = {} if iso is None else iso  # date / datetime -> isoformat()

    def _flat_encoder(self, level: int) -> json.JSONEncoder:
        encoder = self._flat.get(level)
        if encoder is None:
            separator = ",\n" + " " * (INDENT * level)
            encoder = self._flat[level] = json.JSONEncoder(ensure_ascii=False, separators=(separator, ": "))
        return encoder

    def value(self, obj: Any, level: int) -> None:
        if type(obj) is Evidence:
            self.out.append(self._evidence_text(obj, level))
        elif isinstance(obj, dict):
            self.mapping(obj, level)
        elif isinstance(obj, list | tuple):
            self.sequence(obj, level)
        else:
            self.out.append(self._scalar.encode(obj))

    def _evidence_text(self, item: Evidence, level: int) -> str:
        key = (id(item), level)
        text = self._evidence.get(key)
        if text is None:
            text = self._evidence[key] = self.evidence(item, level)
        return text

    def evidence(self, item: Evidence, level: int) -> str:
        """The text of `item.to_dict()` at this depth, written field by field in one expression
        (the bulk of a large report). A value of a type to_dict never gives (other than str, bool
        or None) goes through the encoder."""
        k = self._evidence_keys.get(level)
        if k is None:
            inner = "\n" + " " * (INDENT * (level + 1))
            k = self._evidence_keys[level] = (
                *(("," if i else "{") + inner + encode_basestring(key) + ": " for i, key in enumerate(EVIDENCE_KEYS)),
                "\n" + " " * (INDENT * level) + "}")
        iso, other, q = self._iso, self._scalar.encode, encode_basestring
        src, kind, url, ref, title, day, day_text, got, sha, stage = (
            item.source, item.kind, item.url, item.reference, item.title, item.date, item.date_text, item.retrieved_at,
            item.sha256, item.stage)
        curated, rec, verified, gone = item.curated, item.recorded, item.verified, item.not_listed_since
        text = iso.get(day, _MISSING)
        day = self._isoformat(day) if text is _MISSING else text
        text = iso.get(got, _MISSING)
        got = self._isoformat(got) if text is _MISSING else text
        if rec is not None:
            text = iso.get(rec, _MISSING)
            rec = self._isoformat(rec) if text is _MISSING else text
        if gone is not None:
            text = iso.get(gone, _MISSING)
            gone = self._isoformat(gone) if text is _MISSING else text
        # Each value: a str (nearly all), else None, else whatever the encoder makes of it.
        return "".join((
            k[0], q(src) if type(src) is str else "null" if src is None else other(src),
            k[1], q(kind) if type(kind) is str else "null" if kind is None else other(kind),
            k[2], q(url) if type(url) is str else "null" if url is None else other(url),
            k[3], q(ref) if type(ref) is str else "null" if ref is None else other(ref),
            k[4], q(title) if type(title) is str else "null" if title is None else other(title),
            k[5], q(day) if type(day) is str else "null" if day is None else other(day),
            k[6], q(day_text) if type(day_text) is str else "null" if day_text is None else other(day_text),
            k[7], q(got) if type(got) is str else "null" if got is None else other(got),
            k[8], q(sha) if type(sha) is str else "null" if sha is None else other(sha),
            k[9], "false" if curated is False else "true" if curated is True else other(curated),
            k[10], q(rec) if type(rec) is str else "null" if rec is None else other(rec),
            k[11], "true" if verified is True else "false" if verified is False else other(verified),
            k[12], q(stage) if type(stage) is str else "null" if stage is None else other(stage),
            k[13], q(gone) if type(gone) is str else "null" if gone is None else other(gone),
            k[14],
        ))

    def _isoformat(self, value: Any) -> str | None:
        text = self._iso[value] = None if value is None else value.isoformat()
        return text

    def mapping(self, obj: dict, level: int) -> None:
        out = self.out
        if not obj:
            out.append("{}")
            return
        inner = "\n" + " " * (INDENT * (level + 1))
        closing = "\n" + " " * (INDENT * level) + "}"
        if _FLAT.issuperset(map(type, obj.values())):
            text = self._flat_encoder(level + 1).encode(obj)
            out.append("{" + inner + text[1:-1] + closing)
            return
        separator = "{" + inner
        for key, item in obj.items():
            out.append(separator + _key(key) + ": ")
            separator = "," + inner
            self.value(item, level + 1)
        out.append(closing)

    def sequence(self, obj: list | tuple, level: int) -> None:
        out = self.out
        if not obj:
            out.append("[]")
            return
        inner = "\n" + " " * (INDENT * (level + 1))
        closing = "\n" + " " * (INDENT * level) + "]"
        if _FLAT.issuperset(map(type, obj)):
            text = self._flat_encoder(level + 1).encode(list(obj))
            out.append("[" + inner + text[1:-1] + closing)
            return
        separator = "[" + inner
        for item in obj:
            out.append(separator)
            separator = "," + inner
            if type(item) is Evidence:
                out.append(self._evidence_text(item, level + 1))
            else:
                self.value(item, level + 1)
        out.append(closing)


def _key(key: Any) -> str:
    """A dict key as json.dumps writes it (str, float, bool, None or int; anything else is an error)."""
    if isinstance(key, str):
        return encode_basestring(key)
    if isinstance(key, float | bool) or key is None or isinstance(key, int):
        return encode_basestring(json.dumps(key))  # json.dumps gives the key's own spelling
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
