"""Helpers of the tests that check a source's requests overlap and change nothing it reports."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import httpx

from compliance.http import FetchResult, HostPolicy, HttpClient, HttpSettings
from compliance.sources.base import SourceResult
from compliance.store.archive import Archive


class InFlight:
    """A respx side effect around `answer` that counts the requests being answered at once.

    Each request is held until another one is in flight, or `hold` seconds at most: requests made
    one after another are slowed by `hold` each, requests made at once meet and go on."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response], hold: float = 0.05) -> None:
        self.answer = answer
        self.hold = hold
        self.now = 0
        self.max = 0
        self.requests = 0
        self._cond = threading.Condition()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._cond:
            self.now += 1
            self.requests += 1
            self.max = max(self.max, self.now)
            self._cond.notify_all()
            self._cond.wait_for(lambda: self.now > 1, timeout=self.hold)
        try:
            return self.answer(request)
        finally:
            with self._cond:
                self.now -= 1


def client(tmp_path: Path, concurrency: int, name: str) -> HttpClient:
    """A client whose every host allows `concurrency` requests at once (no interval, no retry wait)."""
    return HttpClient(HttpSettings(max_retries=1, default_host=HostPolicy(concurrency=concurrency, min_interval=0)),
                      Archive(tmp_path / f"archive-{name}"), sleep=lambda _s: None)


def _fetch(fetch: FetchResult | None) -> tuple[Any, ...] | None:
    """A response as the result names it, without the time it was received."""
    if fetch is None:
        return None
    return (fetch.source, fetch.method, fetch.url, fetch.request, fetch.request_key, fetch.status_code,
            fetch.sha256, fetch.size, fetch.not_modified)


def _item(item: Any) -> dict[str, Any]:
    names = [f.name for f in fields(item)] if is_dataclass(item) else sorted(vars(item))
    return {n: _fetch(getattr(item, n)) if n == "fetch" else getattr(item, n) for n in names}


def snapshot(result: SourceResult) -> dict[str, Any]:
    """Everything a refresh reports, in its order, comparable between two runs."""
    return {
        "status": result.status,
        "reason": result.reason,
        "findings": [_item(i) for i in result.findings],
        "coverage": [_item(c) for c in result.coverage],
        "metadata": [_item(m) for m in result.metadata],
        "fetches": [_fetch(f) for f in result.fetches],
    }
