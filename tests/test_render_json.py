"""render/json_.py writes exactly what json.dumps(indent=2, ensure_ascii=False) writes, faster."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.render.json_ import dumps

_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
            | st.text(max_size=12))
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)
_keys = st.one_of(st.text(max_size=4), st.integers(), st.booleans(), st.none(),
                  st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=400, deadline=None)
@given(_values)
def test_same_text_as_the_standard_library(value):
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, _scalars | st.lists(_scalars, max_size=3), max_size=5))
def test_same_text_for_non_string_keys(value):
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_unicode_control_characters_and_nesting():
    value = {"a": ["ü\n\u2028\x00\"\\", {"b": [], "c": {}, "d": [[], [{}]]}], "e": {"f": 1.5e300, "g": -0.0}}
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_a_real_report_is_rendered_as_before(run_cli):
    from datetime import date

    from compliance.catalogue.load import load
    from compliance.render import Format, render
    from compliance.render.rows import report_dict
    from compliance.report.assembly import build_reports

    reports = build_reports(load(), None, ["DK", "SE", "EU"], as_of=date(2026, 11, 22), horizon_days=90)
    expected = json.dumps([report_dict(r) for r in reports], indent=2, ensure_ascii=False) + "\n"
    assert render(reports, Format.JSON) == expected
    one = json.dumps([report_dict(reports[0])], indent=2, ensure_ascii=False) + "\n"
    assert render(reports[:1], Format.JSON) == one  # one Member State: a list of one, the same shape


def test_evidence_items_are_written_as_their_to_dict():
    from datetime import UTC, date, datetime

    from compliance.model import Evidence
    from compliance.render.json_ import EVIDENCE_KEYS

    items = [
        Evidence(source="eurlex", kind="national-measure", title='Act «1» "quoted"\n\u2028', url="https://x/1",
                 reference=None, date=date(2013, 1, 2), retrieved_at=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
                 sha256="ab" * 32, member_state="DE", measure_id="m"),
        Evidence(source="curated", kind="infringement", title="", url=None, reference="INFR(2025)0001",
                 date=None, retrieved_at=None, sha256=None, date_text="early 2025", curated=True,
                 recorded=date(2026, 11, 22), verified=False,
                 stage="letter-of-formal-notice", member_state="DK", measure_id="m"),
    ]
    assert tuple(items[0].to_dict()) == EVIDENCE_KEYS
    value = {"evidence": list(items), "again": {"nested": [items[0]], "alone": items[1]}}
    expected = {"evidence": [e.to_dict() for e in items],
                "again": {"nested": [items[0].to_dict()], "alone": items[1].to_dict()}}
    assert dumps(value) == json.dumps(expected, indent=2, ensure_ascii=False)
