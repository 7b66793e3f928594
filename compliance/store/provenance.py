"""Where each raw response of a bundle came from: the store's fetch rows, as an export records them.

A fetch row (tables.Fetch) is written when the body is fetched, with the request's secrets
already replaced by REDACTED (http.py). What leaves the store here is redacted once more by the
same rules, so a row written before a rule existed, or by an import, cannot carry a secret into
a bundle that is handed to someone else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import StoreError

if TYPE_CHECKING:
    from .engine import Store

_COLUMNS = ("id", "source", "method", "url", "final_url", "status_code", "content_type", "retrieved_at",
            "sha256", "size", "not_modified", "imported_from", "warning", "request")


def _redact(value: Any, *, headers: bool = False) -> Any:
    """Secret-named fields (query parameters, form and JSON fields; with `headers`, header names)
    replaced by REDACTED, URLs redacted, at any depth."""
    from ..redaction import REDACTED, is_secret_header, is_secret_param, redact_url

    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            secret = is_secret_header(str(key)) if headers else is_secret_param(str(key))
            out[key] = REDACTED if secret else _redact(item, headers=key == "headers")
        return out
    if isinstance(value, list):
        return [_redact(item) for item in value]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return redact_url(value)
    return value


def fetch_records(store: Store, fetch_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """fetch id -> what a bundle says about that response: request URL (and the final one after
    redirects), method, the request as recorded, HTTP status, content type, retrieval time (UTC,
    ISO 8601), size, whether it was a 304 reusing an archived body, and the file it was imported
    from for `compliance import`. Secrets redacted."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from ..faults import db_reason
    from . import tables
    from .reader import parse_db_time

    ids = sorted({i for i in fetch_ids if i is not None})
    fe = tables.Fetch
    rows: list[Any] = []
    try:
        with store.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                rows += conn.execute(select(*(getattr(fe, c) for c in _COLUMNS)).where(fe.id.in_(chunk))).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"{store.label}: cannot read fetches ({db_reason(exc)})") from None
    records: dict[int, dict[str, Any]] = {}
    for row in rows:
        record = dict(zip(_COLUMNS, row, strict=True))
        fid = record.pop("id")
        retrieved = parse_db_time(record["retrieved_at"])
        record["retrieved_at"] = retrieved.isoformat(timespec="seconds") if retrieved else None
        record["not_modified"] = bool(record["not_modified"])
        try:
            request = json.loads(record["request"]) if record["request"] else None
        except ValueError:
            request = None
        record["request"] = _redact(request) if isinstance(request, dict) else None
        for key in ("url", "final_url"):
            record[key] = _redact(record[key])
        records[fid] = {"fetch_id": fid, **record}
    return records
