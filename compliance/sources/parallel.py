"""Independent requests of one source issued at once, as far as the host's politeness policy allows.

A source splits its work into independent items (measures, year windows, year listings,
documents), maps them with `ordered_map` over `host_workers` threads, and merges the results in
input order, so that what it reports (findings, coverage, fetches, reasons) is exactly what one
item after another would give. The HttpClient is thread-safe and itself keeps each host's
concurrency and min_interval; the pool only lets a source have that many requests in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .base import SourceContext

T = TypeVar("T")
R = TypeVar("R")

# Never more threads than this per source, whatever the host's policy allows.
MAX_WORKERS = 8


def host_workers(ctx: SourceContext, url: str, items: int, limit: int = MAX_WORKERS) -> int:
    """How many of `items` to work on at once: at most `limit` and the concurrency of `url`'s host
    (1 without an HTTP client or with fewer than two items)."""
    if ctx.http is None or items < 2:
        return 1
    host = (urlsplit(url).hostname or "").lower()
    return max(1, min(items, limit, ctx.http.settings.policy_for(host).concurrency))


def ordered_map(fn: Callable[[T], R], items: Sequence[T], workers: int, name: str) -> list[R]:
    """[fn(item) for item in items], on up to `workers` threads (named `name`) when workers > 1.

    Results come back in input order. Errors are those of the loop: when items raise, the exception
    raised is that of the first of them in input order, once every item before it has finished.
    After a failure, items after it that have not started yet are skipped (the loop would not have
    reached them); those already running are waited for, and their results or errors dropped.
    """
    if workers <= 1 or len(items) < 2:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    lock = threading.Lock()
    first_failure = len(items)  # the lowest index that raised so far

    def run(index: int) -> R | None:
        nonlocal first_failure
        if index > first_failure:
            return None  # never read: the failure before it is raised first
        try:
            return fn(items[index])
        except BaseException:
            with lock:
                first_failure = min(first_failure, index)
            raise

    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix=name) as pool:
        futures = [pool.submit(run, index) for index in range(len(items))]
        return [future.result() for future in futures]  # a skipped item (None) is never reached


def attempt_each(ctx: SourceContext, url: str, name: str, fn: Callable[[T], R], items: Sequence[T],
                 errors: tuple[type[BaseException], ...]) -> list[R | BaseException]:
    """[fn(item) for item in items] at once, up to the concurrency of `url`'s host, with an
    exception of `errors` given back in its item's place (for a source whose items fail one by
    one and are reported in order); any other exception is raised as by `ordered_map`."""

    def attempt(item: T) -> R | BaseException:
        try:
            return fn(item)
        except errors as exc:
            return exc

    return ordered_map(attempt, items, host_workers(ctx, url, len(items)), name)
