"""Waivers: strict TOML, reason and expiry required, expired waivers stop muting."""

from __future__ import annotations

from datetime import date

import pytest

from compliance.checks import RULES, evaluate
from compliance.checks import waivers as w
from compliance.checks.base import Context
from compliance.errors import ConfigError
from compliance.model import Status

from .helpers import AS_OF, NOW, coverage, measure

GOOD = """
[[waiver]]
rule = "TRN-001"
member_state = "se"
reason = "Transposition act adopted; notification pending"
until = 2027-01-31
"""


def _load(tmp_path, text):  # noqa: ANN001
    path = tmp_path / "waivers.toml"
    path.write_text(text, "utf-8")
    return w.load(path, set(RULES), {"test-directive"})


def _overdue():
    ctx = Context(as_of=AS_OF, now=NOW, horizon_days=90, coverage=[coverage()])
    return evaluate([measure()], "SE", ctx)


def test_active_waiver_mutes_with_reason(tmp_path):
    waivers = _load(tmp_path, GOOD)
    (a,) = w.apply(_overdue(), waivers, AS_OF)
    assert a.status is Status.WAIVED and "notification pending" in a.reason and "was overdue" in a.reason
    assert a.waiver == "Transposition act adopted; notification pending"


def test_expired_waiver_stops_muting_and_says_so(tmp_path):
    waivers = _load(tmp_path, GOOD)
    (a,) = w.apply(_overdue(), waivers, date(2027, 2, 1))
    assert a.status is Status.OVERDUE
    assert any("waiver expired on 2027-01-31" in n for n in a.notes)


def test_waiver_by_measure_and_unused_detection(tmp_path):
    waivers = _load(tmp_path, GOOD.replace('rule = "TRN-001"', 'measure = "test-directive"')
                    .replace('"se"', '"FI"'))
    result = w.apply(_overdue(), waivers, AS_OF)
    assert result[0].status is Status.OVERDUE
    assert w.unused(result, waivers, AS_OF) == waivers


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("reason", "reasn"), "unknown keys: reasn"),
        (GOOD.replace('until = 2027-01-31', ''), "'until' is required"),
        (GOOD.replace('reason = "Transposition act adopted; notification pending"', ''), "'reason' is required"),
        (GOOD.replace('reason = "Transposition act adopted; notification pending"', 'reason = "  "'),
         "non-empty"),
        (GOOD.replace('until = 2027-01-31', 'until = "soon"'), "'until' must be a date"),
        (GOOD.replace('rule = "TRN-001"', 'rule = "TRN-999"'), "unknown rule 'TRN-999'"),
        (GOOD.replace('rule = "TRN-001"', ''), "give 'rule' or 'measure'"),
        (GOOD.replace('"se"', '"XX"'), "unknown Member State code 'XX'"),
        ("[[waiver]\n", "not valid TOML"),
        ("[settings]\nx = 1\n", "unknown top-level keys: settings"),
    ],
)
def test_bad_waiver_files(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        _load(tmp_path, text)
