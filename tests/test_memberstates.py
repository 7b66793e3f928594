"""Member State codes: EU and ISO forms, any case, `all`, and `EU` for Commission items."""

from __future__ import annotations

import pytest

from compliance.catalogue import memberstates
from compliance.errors import ConfigError


def test_twenty_seven_with_greece_under_both_codes():
    states = memberstates.member_states()
    assert len(states) == 27
    assert memberstates.lookup("gr").code == "EL"
    assert memberstates.lookup("EL").iso == "GR"
    assert memberstates.lookup("grc").code == "EL"
    assert memberstates.lookup("dk").name == "Denmark"
    assert "da" in memberstates.lookup("DK").languages


def test_parse_targets():
    assert memberstates.parse_targets(["dk", "GR", "el"]) == ["DK", "EL"]
    assert len(memberstates.parse_targets(["all"])) == 27
    assert memberstates.parse_targets(["eu"]) == ["EU"]
    assert memberstates.parse_targets(["DK,SE"]) == ["DK", "SE"]


def test_unknown_code_is_a_usage_error():
    with pytest.raises(ConfigError, match="unknown Member State 'UK'"):
        memberstates.parse_targets(["UK"])
