"""A source used by the refresh tests: it returns whatever the test put in BEHAVIOUR.

Constructed, not a real source: it exercises refresh/run.py's storage, locking and failure handling
without any network.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from compliance.errors import SourceError
from compliance.http import FetchResult
from compliance.sources.base import CoverageItem, FoundItem, SourceContext, SourceResult

BEHAVIOUR: dict = {}


def fetch(body: bytes = b'{"rows": 1}') -> FetchResult:
    import hashlib

    sha = hashlib.sha256(body).hexdigest()
    return FetchResult(
        source="fake", method="GET", url="https://example.org/api?q=1", final_url="https://example.org/api?q=1",
        request={"method": "GET"}, request_key="k" * 64, status_code=200,
        retrieved_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC), sha256=sha, size=len(body),
        content_type="application/json", etag='"v1"', last_modified=None, archive_path=f"{sha[:2]}/{sha[2:4]}/{sha}",
        not_modified=False, body=body,
    )


def nim(ms: str = "SE", key: str = "72024L1712SWE_1", when: date = date(2026, 7, 1), title: str = "Lag (2026:1)"):
    return FoundItem(key=key, kind="national-measure", measure_id="thb-directive-2024-1712", member_state=ms,
                     celex=key, date=when, title=title, reference="MNE(2026)00001", url="https://example.org/se/1")


def refresh(ctx: SourceContext) -> SourceResult:
    behaviour = BEHAVIOUR.get("mode", "ok")
    if behaviour == "fail":
        raise SourceError("HTTP 503 from https://example.org/api after 4 attempts")
    if behaviour == "crash":
        raise RuntimeError("bug in the parser")
    f = fetch()
    items = BEHAVIOUR.get("items", [nim()])
    for item in items:
        item.fetch = f
    status = BEHAVIOUR.get("coverage", "ok")
    coverage = [CoverageItem("thb-directive-2024-1712", status, fetch=f)]
    reason = None if status == "ok" else f"coverage {status}"
    if BEHAVIOUR.get("partly_failed"):  # ok as a whole, one more measure's search failed
        coverage.append(CoverageItem("pcc-info-exchange-directive", "failed", "*", BEHAVIOUR["partly_failed"]))
        reason = f"1 of 2 searches failed: {BEHAVIOUR['partly_failed']}"
    return SourceResult(
        findings=items,
        coverage=coverage,
        fetches=[f],
        status="ok" if status == "ok" else status,
        reason=reason,
    )


def parse_import(body: bytes, name: str, ctx: SourceContext) -> SourceResult:
    if not body.startswith(b"{"):
        from compliance.errors import ParseError

        raise ParseError("not JSON")
    return SourceResult(findings=[nim(ms="FI", key="72024L1712FIN_9")])
