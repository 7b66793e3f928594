"""What the gazette sources share about a run: the pace of their requests, which measures and
Member State a run is for, how a failure becomes a status, and the coverage verdict of a run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ...errors import SourceError
from ..base import CoverageItem, SourceResult

if TYPE_CHECKING:

    from ...http import FetchResult, HttpClient
    from ...model import Measure
    from ..base import SourceContext


class Pacer:
    """At most one call per `interval` seconds (module-level instances keep the pace across runs).

    `clock` and `sleep` are injectable so tests can check the waits without waiting.
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        """Wait for the next start (prefer paced(), which does not count a call that never
        reached its host)."""
        now = self.clock()
        start = now if self._next is None else max(now, self._next)
        if start > now:
            self.sleep(start - now)
        self._next = start + self.interval

    @contextmanager
    def paced(self) -> Iterator[None]:
        """wait(), then the call in the block; a call that never reached the host (it could not
        be resolved or connected to) does not count, so an offline run does not wait for nothing."""
        previous = self._next
        self.wait()
        try:
            yield
        except SourceError as exc:
            if exc.network:
                self._next = previous
            raise


def local_now(zone: str) -> datetime:
    """The current time in `zone` (UTC when the time-zone data is not installed)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return datetime.now(ZoneInfo(zone))
    except ZoneInfoNotFoundError:
        return datetime.now(UTC)


def candidate_measures(ctx: SourceContext) -> dict[str, Measure]:
    """CELEX -> catalogued measure, limited to the measures selected (`--measure`)."""
    measures = ctx.measures() if ctx.measure_ids else ctx.catalogue.measures.values()
    return {m.celex: m for m in measures if m.celex}


def wanted_state(ctx: SourceContext, member_state: str) -> bool:
    """Whether the run covers `member_state` (no selection: every state)."""
    return not ctx.member_states or member_state in ctx.member_states


def unselected(ctx: SourceContext, member_state: str, country: str) -> str | None:
    """Why a refresh has nothing to do when `member_state` is not selected; None when it is."""
    return None if wanted_state(ctx, member_state) else f"{country} is not among the selected Member States"


def selected_directives(ctx: SourceContext) -> list[Measure]:
    """The selected measures whose CELEX is a directive's (sector 3, type L)."""
    return [m for m in ctx.measures() if m.celex and len(m.celex) >= 10 and m.celex[0] == "3" and m.celex[5] == "L"]


def directive_scope(ctx: SourceContext, member_state: str, country: str) -> tuple[list[Measure], str | None]:
    """(the directives a refresh for `member_state` searches, why there are none)."""
    reason = unselected(ctx, member_state, country)
    if reason:
        return [], reason
    directives = selected_directives(ctx)
    return directives, None if directives else "no selected measure is a directive with a CELEX number"


def status_of(exc: Exception) -> str:
    """The status a failed step reports: the SourceError's own, else "failed" (a bad payload)."""
    return exc.status if isinstance(exc, SourceError) else "failed"


def common_status(statuses: Iterable[str]) -> str:
    """The status shared by every failure, or "failed" when they differ."""
    distinct = set(statuses)
    return distinct.pop() if len(distinct) == 1 else "failed"


def all_failed(result: SourceResult, failures: list[str], attempts: int, what: str, status: str = "failed") -> bool:
    """When every one of `attempts` failed, mark `result` so ("every {what} failed; first: …")."""
    if not failures or len(failures) != attempts:
        return False
    result.status = status
    result.reason = f"every {what} failed; first: {failures[0]}"
    return True


def http_of(ctx: SourceContext, source: str, doing: str | None = None) -> HttpClient:
    """The run's HTTP client; SourceError "unavailable" in import mode, which has none."""
    if ctx.http is None:
        why = f" (import mode cannot {doing})" if doing else ""
        raise SourceError(f"{source}: no HTTP client{why}", status="unavailable")
    return ctx.http


def coverage_verdict(result: SourceResult, summary: str, none_ok: Callable[[list[CoverageItem]], str]) -> None:
    """The run's status and reason from its coverage rows: all ok, `summary`; some not ok, the
    summary names them; none ok, the rows' common status and `none_ok(rows)`."""
    bad = [c for c in result.coverage if c.status != "ok"]
    if bad and len(bad) == len(result.coverage):
        result.status = common_status(c.status for c in bad)
        result.reason = none_ok(bad)
    elif bad:
        result.reason = summary + "; not ok: " + ", ".join(f"{c.measure_id} ({c.status})" for c in bad)
    else:
        result.reason = summary


def keep_fetch(result: SourceResult, fetch: FetchResult) -> None:
    """Record a response once, however many hits it gave."""
    if not any(f is fetch for f in result.fetches):
        result.fetches.append(fetch)
