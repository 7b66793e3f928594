"""sources/parallel.py: results in input order, the loop's errors, workers bounded by the host's policy."""

from __future__ import annotations

import threading

import pytest

from compliance.config.settings import load_settings
from compliance.http import HostPolicy, HttpClient, HttpSettings
from compliance.sources.base import SourceContext
from compliance.sources.parallel import MAX_WORKERS, host_workers, ordered_map
from compliance.store.archive import Archive


def _ctx(tmp_path, http: HttpClient | None) -> SourceContext:  # noqa: ANN001
    from compliance.catalogue import load as catalogue

    return SourceContext(settings=load_settings(), catalogue=catalogue.load(), http=http)


def test_host_workers_is_bounded_by_items_policy_and_limit(tmp_path):
    settings = HttpSettings(default_host=HostPolicy(concurrency=3),
                            hosts={"wide.test": HostPolicy(concurrency=50)})
    ctx = _ctx(tmp_path, HttpClient(settings, Archive(tmp_path / "archive")))
    assert host_workers(ctx, "https://narrow.test/x", 10) == 3
    assert host_workers(ctx, "https://WIDE.test/x", 6) == 6
    assert host_workers(ctx, "https://wide.test/x", 100) == MAX_WORKERS
    assert host_workers(ctx, "https://wide.test/x", 100, limit=20) == 20
    assert host_workers(ctx, "https://wide.test/x", 1) == 1
    assert host_workers(_ctx(tmp_path, None), "https://wide.test/x", 10) == 1  # import mode


def test_results_come_in_input_order_from_several_threads():
    threads: set[str] = set()
    started = threading.Barrier(3, timeout=10)  # the first three items run at once, or this fails

    def fn(n: int) -> int:
        threads.add(threading.current_thread().name)
        if n < 3:
            started.wait()
        return n * n

    assert ordered_map(fn, list(range(20)), 3, "square") == [n * n for n in range(20)]
    assert len(threads) == 3 and all(t.startswith("square") for t in threads)


def test_one_worker_is_the_plain_loop_in_the_calling_thread():
    names: list[str] = []
    assert ordered_map(lambda n: names.append(threading.current_thread().name) or n, [1, 2, 3], 1, "x") == [1, 2, 3]
    assert names == [threading.current_thread().name] * 3
    assert ordered_map(lambda n: n, [], 4, "x") == []


def test_the_first_failure_in_input_order_is_raised_and_later_items_are_skipped():
    started = threading.Barrier(3, timeout=10)
    second_failed, first_failed = threading.Event(), threading.Event()
    ran: list[int] = []

    def fn(n: int) -> int:
        ran.append(n)
        if n > 2:
            return n
        started.wait()  # items 0, 1, 2 run at once; item 2 fails first, then item 1, item 0 ends last
        if n == 2:
            second_failed.set()
            raise ValueError("item 2")
        if n == 1:
            second_failed.wait(10)
            first_failed.set()
            raise ValueError("item 1")
        first_failed.wait(10)
        return 0

    with pytest.raises(ValueError, match="item 1"):
        ordered_map(fn, list(range(50)), 3, "fail")
    assert sorted(ran) == [0, 1, 2]  # the items after the failures are skipped, item 0 is waited for
