"""Every Member State has its national gazette source (issue 20): one that runs, or one registered
as unavailable with a reason that says what a user can do instead. None is silently missing."""

from __future__ import annotations

from compliance.catalogue.memberstates import member_states
from compliance.sources import SOURCES


def gazettes() -> dict[str, object]:
    return {name: info for name, info in SOURCES.items() if name.startswith("gazette-")}


def test_one_gazette_source_per_member_state():
    by_state: dict[str, list[str]] = {}
    for name, info in gazettes().items():
        assert len(info.member_states) == 1, name
        assert name == f"gazette-{info.member_states[0].lower()}"
        by_state.setdefault(info.member_states[0], []).append(name)
    assert sorted(by_state) == sorted(s.code for s in member_states())
    assert all(len(names) == 1 for names in by_state.values())


def test_each_gazette_runs_or_says_why_not():
    for name, info in gazettes().items():
        assert info.evidence_kinds == frozenset({"national-measure"}), name
        if info.unavailable:
            assert not info.available() and info.title.endswith(": unavailable"), name
            assert "Use EUR-Lex notified measures (source eurlex)" in info.unavailable, name
        else:
            assert info.available(), f"{name}: registered but its module is missing"
    working = [n for n, info in gazettes().items() if not info.unavailable]
    assert len(working) >= 19  # the 11 first ones and at least 8 of the 16 added by issue 20
