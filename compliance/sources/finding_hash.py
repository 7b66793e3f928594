"""The content hash of a finding, and HashedFinding, a finding that carries it.

The hash is what the shared writer (store/writer.py) compares to tell a changed finding from
an unchanged one. It lives here, beside the sources, because a source that keeps a parse cache
(eurlex.py) or streams a big import (eurlex_findings.py) builds findings with their hash already
computed, and a source never imports the store.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .base import FoundItem

_JSON = json.JSONEncoder(default=str)  # json.dumps(..., default=str)
_JSON_SORTED = json.JSONEncoder(sort_keys=True, default=str)


def content_hash_and_data(item: FoundItem) -> tuple[str, str]:
    """(content hash, data JSON) of a finding, serialising `data` once.

    The hash is the sha256 of json.dumps(payload, sort_keys=True, default=str) with payload
    {kind, member_state, celex, date, title, reference, url, stage, data}: the text is put
    together from the parts here, in sorted key order, with the same separators, so it is the
    same text (tests/test_findings_writer.py checks this against json.dumps).
    """
    data = _JSON_SORTED.encode(item.data)
    enc = _JSON.encode
    text = (
        '{"celex": ' + enc(item.celex)
        + ', "data": ' + data
        + ', "date": ' + enc(item.date.isoformat() if item.date else None)
        + ', "kind": ' + enc(item.kind)
        + ', "member_state": ' + enc(item.member_state)
        + ', "reference": ' + enc(item.reference)
        + ', "stage": ' + enc(item.stage)
        + ', "title": ' + enc(item.title)
        + ', "url": ' + enc(item.url)
        + "}"
    )
    return hashlib.sha256(text.encode()).hexdigest(), data


class HashedFinding(FoundItem):
    """A FoundItem that carries its content hash and its data as JSON text, computed once.

    A source that keeps a parse cache (sources/eurlex.py) builds these, stores the two strings
    in the cache, and on a later run with the same response bodies gives them back without
    parsing or hashing anything; `data` is decoded from the text only if someone reads it. The
    writer uses the carried hash instead of computing it. `from_item` is the only way to build
    one from scratch, so the hash always matches content_hash_and_data(item).
    """

    def __init__(self, *, content_hash: str, data_json: str, data: dict[str, Any] | None = None,
                 **fields: Any) -> None:
        self.content_hash = content_hash
        self.data_json = data_json
        super().__init__(data=data, **fields)  # type: ignore[arg-type]

    @property  # type: ignore[override]
    def data(self) -> dict[str, Any]:
        value = self.__dict__.get("_data")
        if value is None:
            value = self.__dict__["_data"] = json.loads(self.data_json)
        return value

    @data.setter
    def data(self, value: dict[str, Any] | None) -> None:
        self.__dict__["_data"] = value

    @classmethod
    def from_item(cls, item: FoundItem) -> HashedFinding:
        digest, data_json = content_hash_and_data(item)
        return cls(content_hash=digest, data_json=data_json, data=item.data, key=item.key, kind=item.kind,
                   measure_id=item.measure_id, member_state=item.member_state, celex=item.celex, date=item.date,
                   title=item.title, reference=item.reference, url=item.url, stage=item.stage, fetch=item.fetch)


def hash_and_data(item: FoundItem) -> tuple[str, str]:
    """The carried values of a HashedFinding, else content_hash_and_data(item)."""
    if isinstance(item, HashedFinding):
        return item.content_hash, item.data_json
    return content_hash_and_data(item)
