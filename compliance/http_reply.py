"""Reading an HTTP reply: a compressed body inflated piece by piece (so the size cap holds for what it
inflates to), the wait a Retry-After asks for, and the headers that say an answer is incomplete.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

INFLATE_PIECE = 64 * 1024


def partial_result_warning(headers: Mapping[str, str]) -> str | None:
    """What a response's headers say about an incomplete answer, or None.

    Virtuoso (CELLAR, Legilux) answers HTTP 200 with whatever it has when an "anytime query"
    runs out of time, and says so only in headers: `X-SQL-State` (e.g. S1TAT) and `X-SQL-Message`
    ("... Returning incomplete results ..."; Virtuoso's docs, "Anytime Queries"). A result cut at
    the server's `ResultSetMaxRows` carries `X-SPARQL-MaxRows`. Any of them means the body is not
    the whole answer.
    """
    state = (headers.get("x-sql-state") or "").strip()
    message = " ".join((headers.get("x-sql-message") or "").split())
    if (state and state != "00000") or message:
        # The server's words, shortened: the reason is read on one line (the headers are archived).
        detail = ": ".join(p for p in (state, message if len(message) <= 40 else message[:39] + "…") if p)
        return f"the server says the result is incomplete (Virtuoso partial result, X-SQL-State {detail})"
    cap = (headers.get("x-sparql-maxrows") or "").strip()
    if cap:
        return f"the result was cut at the server's row limit (X-SPARQL-MaxRows: {cap[:20]})"
    return None


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), None if invalid."""
    value = value.strip()
    if value.isdecimal():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Inflater:
    """Inflates gzip/deflate in pieces of at most 64 KiB.

    httpx's ``iter_bytes()`` inflates each network chunk whole, and a 64 KiB gzip chunk can
    expand to about 64 MiB; inflating in bounded pieces lets the size cap stop a gzip bomb with
    at most one piece beyond the cap in memory.
    """

    def __init__(self, coding: str) -> None:
        self._gzip = coding in ("gzip", "x-gzip")
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)
        self._fed = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._d.eof:  # trailing bytes after the stream end are ignored, as httpx does
            return
        while True:
            try:
                out = self._d.decompress(data, INFLATE_PIECE)
            except zlib.error:
                if self._gzip or self._fed:
                    raise
                # "deflate" should be zlib-wrapped, but some servers send raw deflate.
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                self._fed = True
                continue
            self._fed = self._fed or bool(data)
            if out:
                yield out
            if self._d.eof:
                return
            data = self._d.unconsumed_tail
            if not data and len(out) < INFLATE_PIECE:
                return

    def finish(self) -> Iterator[bytes]:
        if self._fed and not self._d.eof:
            raise zlib.error("compressed stream ends early (truncated body)")
        return iter(())


class Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> Iterator[bytes]:
        return iter(())
