"""JSON: a list with one object per Member State, however many were asked for. Documented in README."""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any

from ..model import Evidence
from ..report import Report
from .rows import report_dict

INDENT = 2
# The keys of Evidence.to_dict(), in its order (tests/test_render_json.py holds them equal).
EVIDENCE_KEYS = ("source", "kind", "url", "reference", "title", "date", "date_text", "retrieved_at", "sha256",
                 "curated", "recorded", "verified", "stage")
_FLAT = frozenset({str, int, float, bool, type(None)})


class _EvidenceRef:
    """An evidence item in the report data, encoded (once per item and depth) as Evidence.to_dict()."""

    __slots__ = ("item",)

    def __init__(self, item: Evidence) -> None:
        self.item = item


def render(reports: list[Report]) -> str:
    # The same evidence item appears under several obligations (and discrepancies) of a report:
    # it is encoded once.
    return dumps([report_dict(r, evidence=_EvidenceRef) for r in reports]) + "\n"


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
    def __init__(self, out: list[str]) -> None:
        self.out = out
        self._flat: dict[int, json.JSONEncoder] = {}
        self._scalar = json.JSONEncoder(ensure_ascii=False)
        self._evidence: dict[tuple[int, int], str] = {}  # (id of the Evidence, depth) -> its text
        self._evidence_keys: dict[int, tuple[str, ...]] = {}  # depth -> the keys with their layout
        self._iso: dict[Any, str] = {}  # date / datetime -> isoformat()

    def _flat_encoder(self, level: int) -> json.JSONEncoder:
        encoder = self._flat.get(level)
        if encoder is None:
            separator = ",\n" + " " * (INDENT * level)
            encoder = self._flat[level] = json.JSONEncoder(ensure_ascii=False, separators=(separator, ": "))
        return encoder

    def value(self, obj: Any, level: int) -> None:
        if type(obj) is _EvidenceRef:
            key = (id(obj.item), level)
            text = self._evidence.get(key)
            if text is None:
                text = self._evidence[key] = self.evidence(obj.item, level)
            self.out.append(text)
        elif isinstance(obj, dict):
            self.mapping(obj, level)
        elif isinstance(obj, list | tuple):
            self.sequence(obj, level)
        else:
            self.out.append(self._scalar.encode(obj))

    def evidence(self, item: Evidence, level: int) -> str:
        """The text of `item.to_dict()` at this depth, written field by field (the bulk of a large
        report: ~3 µs an item instead of ~12 through the dict and the encoder). A value of a type
        other than str, bool or None (never produced by to_dict) goes through the encoder."""
        keys = self._evidence_keys.get(level)
        if keys is None:
            inner = "\n" + " " * (INDENT * (level + 1))
            keys = self._evidence_keys[level] = tuple(
                ("{" if i == 0 else ",") + inner + encode_basestring(k) + ": " for i, k in enumerate(EVIDENCE_KEYS)
            )
        iso = self._iso
        values = (item.source, item.kind, item.url, item.reference, item.title,
                  iso.get(item.date) or self._isoformat(item.date), item.date_text,
                  iso.get(item.retrieved_at) or self._isoformat(item.retrieved_at), item.sha256, item.curated,
                  iso.get(item.recorded) or self._isoformat(item.recorded), item.verified, item.stage)
        parts = []
        for prefix, value in zip(keys, values, strict=True):
            if type(value) is str:
                parts.append(prefix + encode_basestring(value))
            elif value is None:
                parts.append(prefix + "null")
            elif value is True:
                parts.append(prefix + "true")
            elif value is False:
                parts.append(prefix + "false")
            else:
                parts.append(prefix + self._scalar.encode(value))
        parts.append("\n" + " " * (INDENT * level) + "}")
        return "".join(parts)

    def _isoformat(self, value: Any) -> str | None:
        if not value:
            return None
        text = self._iso[value] = value.isoformat()
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
            self.value(item, level + 1)
        out.append(closing)


def _key(key: Any) -> str:
    """A dict key as json.dumps writes it (str, float, bool, None or int; anything else is an error)."""
    if isinstance(key, str):
        return encode_basestring(key)
    if isinstance(key, float | bool) or key is None or isinstance(key, int):
        return encode_basestring(json.dumps(key))  # json.dumps gives the key's own spelling
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
