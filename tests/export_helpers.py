"""Shared set-up for the export, calendar and map tests.

`seeded` stores evidence through the real refresh path, using tests/fake_source.py (a
CONSTRUCTED source, no network): one national measure for Sweden under Directive (EU)
2024/1712 and a complete search for every other Member State, all resting on one fetch whose
body it also puts into the content-addressed archive, as HttpClient would.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from compliance.catalogue.load import load
from compliance.clock import utcnow
from compliance.config.settings import load_settings
from compliance.refresh.run import run_refresh
from compliance.sources import SOURCES, SourceInfo
from compliance.store.archive import Archive
from compliance.store.engine import Store

from . import fake_source

BODY = b'{"rows": 1}'  # the body fake_source.fetch() reports
BODY_SHA = hashlib.sha256(BODY).hexdigest()
# Evidence is stored at the real time, and a past --as-of sees only what was known by then:
# evaluate at today's date so the tests mean the same on any day.
AS_OF = utcnow().date().isoformat()

HOSTILE = '<script>alert(1)</script>=HYPERLINK("x")'
FORMULA = '=HYPERLINK("http://evil.example","click")'


def hostile_catalogue(tmp_path: Path) -> Path:
    """A user catalogue (docs/catalogue.md format) whose titles are hostile, plus one formula title."""
    path = tmp_path / "hostile.yaml"
    path.write_text(
        "measures:\n"
        "  - id: hostile-act\n"
        "    title: '<script>alert(1)</script>=HYPERLINK(\"x\")'\n"
        "    kind: directive\n"
        "    celex: null\n"
        "    strategy: oc\n"
        "    action: constructed test entry\n"
        "    obligations:\n"
        "      - id: transposition\n"
        "        type: transposition\n"
        "        addressee: member-states\n"
        "        date: 2025-01-01\n"
        "        verified: true\n"
        "    applicability:\n"
        "      default: bound\n"
        "    sources: [constructed test entry]\n"
        "  - id: formula-act\n"
        "    title: '=HYPERLINK(\"http://evil.example\",\"click\")'\n"
        "    kind: directive\n"
        "    celex: null\n"
        "    strategy: oc\n"
        "    action: constructed test entry\n"
        "    obligations:\n"
        "      - id: transposition\n"
        "        type: transposition\n"
        "        addressee: member-states\n"
        "        date: 2030-01-01\n"
        "        verified: true\n"
        "    applicability:\n"
        "      default: bound\n"
        "    sources: [constructed test entry]\n",
        "utf-8",
    )
    return path


@pytest.fixture
def seeded():
    """Evidence in the store (fake source) and its body in the archive; yields the state dir."""
    yield from seed()


def seed(items: list | None = None):
    """What `seeded` does, with these FoundItems (fake_source.nim ...) instead of SE's one."""
    info = SourceInfo("fake", "Fake source for tests", "tests.fake_source", frozenset({"national-measure"}), 14)
    saved = dict(SOURCES)
    SOURCES.clear()
    SOURCES["fake"] = info
    fake_source.BEHAVIOUR.clear()
    if items is not None:
        fake_source.BEHAVIOUR["items"] = items
    settings = load_settings()
    store = Store.open(settings.db_url)
    summary = run_refresh(settings, load(), store)
    assert summary.status == "ok", summary
    sha, _ = Archive(settings.state_dir / "archive").put(BODY)
    assert sha == BODY_SHA
    try:
        yield settings.state_dir
    finally:
        fake_source.BEHAVIOUR.clear()
        SOURCES.clear()
        SOURCES.update(saved)
