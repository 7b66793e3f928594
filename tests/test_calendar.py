"""`compliance calendar`: an iCalendar feed that icalendar parses back, with stable UIDs."""

from __future__ import annotations

import json
from datetime import date, timedelta

from icalendar import Calendar

from .export_helpers import AS_OF, hostile_catalogue, seeded  # noqa: F401


def _events(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def test_one_all_day_event_per_dated_obligation_and_state(run_cli, tmp_path):
    ics = tmp_path / "deadlines.ics"
    code, _, err = run_cli("calendar", "-m", "DK", "-m", "SE", "--output", str(ics), "--as-of", AS_OF)
    assert code == 0, err
    body = ics.read_bytes()
    cal = Calendar.from_ical(body)
    assert cal["VERSION"] == "2.0" and "compliance" in str(cal["PRODID"])
    events = _events(body)

    _, out, _ = run_cli("check", "-m", "DK", "-m", "SE", "--format", "json", "--as-of", AS_OF)
    expected = {
        (r["member_state"], a["measure"], a["obligation"]): a
        for r in json.loads(out) for a in r["assessments"]
        if a["deadline"] and a["obligation"] and a["status"] != "not-applicable"
    }
    assert len(events) == len(expected) > 10
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    for e in events:
        start, end = e.decoded("DTSTART"), e.decoded("DTEND")
        assert type(start) is date and end == start + timedelta(days=1)  # all-day
        assert e["DTSTART"].params.get("VALUE") == "DATE"
        summary, description = str(e["SUMMARY"]), str(e["DESCRIPTION"])
        ms = "DK" if "(DK)" in summary else "SE"
        measure, obligation = summary.split(" ", 1)[0], summary.split("(", 1)[1].split(")", 1)[0]
        a = expected[(ms, measure, obligation)]
        assert start.isoformat() == a["deadline"]
        assert f"Status as of {AS_OF}: {a['status']}" in description
        assert f"Reason: {a['reason']}" in description
        assert a["status"] in [str(c) for c in e["CATEGORIES"].cats]
    dk_lfn = next(e for e in events if str(e["UID"]).startswith("pcc-info-exchange-directive.transposition.dk@"))
    assert "infringement" in str(dk_lfn["SUMMARY"])
    assert "https://" in str(dk_lfn["DESCRIPTION"]) and str(dk_lfn["URL"]).startswith("https://")
    # Denmark is not bound by the anti-trafficking directive: no event for it
    assert not [u for u in uids if u.startswith("thb-directive-2024-1712.") and ".dk@" in u]


def test_uids_are_stable_across_runs_and_dates(run_cli, tmp_path):
    first = run_cli("calendar", "-m", "SE", "--as-of", "2026-01-01")
    second = run_cli("calendar", "-m", "SE", "--as-of", AS_OF)
    assert first[0] == second[0] == 0
    one = {str(e["UID"]): str(e["SUMMARY"]) for e in _events(first[1].encode())}
    two = {str(e["UID"]): str(e["SUMMARY"]) for e in _events(second[1].encode())}
    assert set(one) == set(two)
    assert "thb-directive-2024-1712.transposition.se@deadlines.compliance.invalid" in one


def test_evidence_links_from_stored_findings(run_cli, seeded, tmp_path):  # noqa: F811
    code, out, err = run_cli("calendar", "-m", "SE", "--measure", "thb-directive-2024-1712", "--as-of", AS_OF)
    assert code == 0, err
    (event,) = _events(out.encode())
    description = str(event["DESCRIPTION"])
    assert f"Status as of {AS_OF}: met" in description
    assert "<https://example.org/se/1>" in description and "MNE(2026)00001" in description
    assert str(event["URL"]) == "https://example.org/se/1"


def test_lines_are_folded_and_text_escaped(run_cli, tmp_path):
    cat = tmp_path / "odd.yaml"
    title = "Odd; title, with \\ backslash\nand a second line " + "x" * 120
    cat.write_text(
        "measures:\n  - id: odd-act\n"
        f"    title: {json.dumps(title)}\n"
        "    kind: directive\n    celex: null\n    strategy: oc\n    action: constructed test entry\n"
        "    obligations:\n      - id: transposition\n        type: transposition\n"
        "        addressee: member-states\n        date: 2027-03-01\n        verified: true\n"
        "    applicability:\n      default: bound\n    sources: [constructed test entry]\n",
        "utf-8",
    )
    ics = tmp_path / "odd.ics"
    code, _, err = run_cli("calendar", "--catalogue", str(cat), "-m", "FI", "--measure", "odd-act",
                           "--output", str(ics), "--as-of", AS_OF)
    assert code == 0, err
    raw = ics.read_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # RFC 5545 3.1: 75 octets
    # , ; and \ escaped; the title's line break made a space (a value never adds a line of its own).
    assert b"Odd\\; title\\, with \\\\ backslash and" in raw.replace(b"\r\n ", b"")
    (event,) = _events(raw)
    assert f"Measure: {title.replace(chr(10), ' ')}" in str(event["DESCRIPTION"])


def test_bad_member_state_is_one_line(run_cli):
    code, _, err = run_cli("calendar", "-m", "XX")
    assert code == 2 and "unknown Member State 'XX'" in err and len(err.strip().splitlines()) == 1
