"""A series of refreshes at chosen moments, for the history, digest and schedule tests.

Import the fixtures as `fake_fixture, clock_fixture, env_fixture`: pytest knows them as
`fake`, `clock` and `env`.

The fake source (tests/fake_source.py, constructed: no real service) is the only source; a
fake clock moves the refresh and report modules to the given moments, so one test can run the
refreshes of several weeks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from compliance.catalogue.load import load
from compliance.config.settings import load_settings
from compliance.refresh.run import run_refresh
from compliance.sources import SOURCES, SourceInfo
from compliance.store.engine import Store

from . import fake_source

THB = "thb-directive-2024-1712"  # transposition deadline 2026-07-15 in the built-in catalogue


@pytest.fixture(name="fake")
def fake_fixture(monkeypatch):
    """Register the fake source as the only source, giving national-measure evidence."""
    info = SourceInfo("fake", "Fake source for tests", "tests.fake_source", frozenset({"national-measure"}), 14)
    saved = dict(SOURCES)
    SOURCES.clear()
    SOURCES["fake"] = info
    monkeypatch.setattr("compliance.sources.SOURCES", SOURCES)
    fake_source.BEHAVIOUR.clear()
    yield fake_source.BEHAVIOUR
    fake_source.BEHAVIOUR.clear()
    SOURCES.clear()
    SOURCES.update(saved)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(name="clock")
def clock_fixture(monkeypatch):
    """Moves `refresh` (run, finding and snapshot times) and `report` (evaluation time)."""
    c = Clock()
    monkeypatch.setattr("compliance.refresh.run.utcnow", c)
    monkeypatch.setattr("compliance.report.assembly.utcnow", c)
    return c


@pytest.fixture(name="at_once")
def at_once_fixture(monkeypatch):
    """Rules under which an absence from one healthy search withdraws at once, whole Member States
    too: for tests of what a withdrawal does downstream (history, --as-of), not of when it happens."""
    from compliance.store.plausibility import Rules

    rules = Rules(max_states_lost=27, max_share_lost=1, confirmations=1, min_days=0)
    monkeypatch.setattr(Rules, "from_settings", classmethod(lambda cls, settings: rules))
    return rules


@pytest.fixture(name="env")
def env_fixture():
    settings = load_settings()
    return settings, load(), Store.open(settings.db_url)


def refresh_at(env, clock, when: datetime, fake, **behaviour):  # noqa: ANN001
    """One refresh at `when` with the fake source doing `behaviour` (items, coverage, mode)."""
    settings, catalogue, store = env
    clock.now = when
    fake.clear()
    fake.update(behaviour)
    return run_refresh(settings, catalogue, store)


def se_measure(day: date = date(2026, 7, 25), title: str = "Lag (2026:1)", **kw):  # noqa: ANN003
    return fake_source.nim(ms="SE", when=day, title=title, **kw)


def at(month: int, day: int, hour: int = 8) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def standard_series(env, clock, fake):  # noqa: ANN001
    """Four refreshes: SE due-soon (Jul 1) -> overdue (Jul 20) -> met-late (Aug 1), then the
    source fails (Aug 10). Returns the run ids."""
    runs = [
        refresh_at(env, clock, at(7, 1), fake, items=[]).run_id,  # deadline in 14 days: due-soon
        refresh_at(env, clock, at(7, 20), fake, items=[]).run_id,  # passed, searched, nothing: overdue
        refresh_at(env, clock, at(8, 1), fake, items=[se_measure()]).run_id,  # found, dated Jul 25: met-late
        refresh_at(env, clock, at(8, 10), fake, mode="fail").run_id,  # the source fails
    ]
    return runs
