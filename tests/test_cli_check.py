"""`compliance check` as a user runs it: formats, flags, exit codes, both Member State codes."""

from __future__ import annotations

import csv
import io
import json

import pytest
from bs4 import BeautifulSoup


def test_denmark_report_shows_opt_outs_with_the_protocol(run_cli):
    code, out, err = run_cli("check", "--member-state", "DK", "--as-of", "2026-11-22")
    assert code == 1, err  # the open infringement case (curated) is a gap at the default --fail-on
    assert "Denmark (DK)" in out
    assert "not-applicable" in out and "Protocol No 22" in out
    assert "thb-directive-2024-1712" in out
    # nothing collected yet: past deadlines are unknown, never overdue
    assert "overdue (" not in out
    assert "run compliance refresh" in out
    assert "DK: " in out and "assessments" in out


def test_json_shape_is_stable_and_documented(run_cli):
    code, out, _ = run_cli("check", "-m", "dk", "--format", "json", "--as-of", "2026-11-22")
    assert code == 1
    (data,) = json.loads(out)  # a list, whatever the number of Member States
    assert {"member_state", "as_of", "generated_at", "tool_version", "summary", "assessments"} <= set(data)
    assert data["member_state"] == "DK" and data["as_of"] == "2026-11-22"
    first = data["assessments"][0]
    assert {"measure", "celex", "title", "obligation", "deadline", "status", "rule", "severity", "reason",
            "verified", "evidence"} <= set(first)
    statuses = {(a["measure"], a["obligation"]): a["status"] for a in data["assessments"]}
    assert statuses[("thb-directive-2024-1712", None)] == "not-applicable"
    assert statuses[("pcc-info-exchange-directive", "transposition")] == "infringement"  # curated LFN of 2025
    assert statuses[("pcc-info-exchange-directive", "transposition-siena")] == "not-due"
    lfn = [a for a in data["assessments"] if a["status"] == "infringement"][0]
    ev = lfn["evidence"][0]
    assert {"source", "url", "reference", "title", "date", "retrieved_at", "sha256"} <= set(ev)
    assert ev["source"] == "curated" and ev["curated"] is True and ev["recorded"] == "2026-11-22"
    assert sum(data["summary"].values()) == len(data["assessments"])


def test_several_member_states_give_a_list_and_greece_takes_both_codes(run_cli):
    _, out, _ = run_cli("check", "-m", "GR", "-m", "el", "-m", "se", "--format", "json")
    data = json.loads(out)
    assert [r["member_state"] for r in data] == ["EL", "SE"]
    _, out_all, _ = run_cli("check", "--member-state", "all", "--format", "json")
    assert len(json.loads(out_all)) == 27


def test_eu_target_reports_commission_deliverables(run_cli):
    _, out, _ = run_cli("check", "-m", "EU", "--format", "json", "--as-of", "2026-11-22")
    (data,) = json.loads(out)
    by_measure = {a["measure"]: a for a in data["assessments"]}
    assert by_measure["pcc-info-exchange-directive"]["status"] == "met"
    assert by_measure["counterfeiting-toolbox"]["status"] == "met-late"
    assert all(a["rule"] == "COM-001" for a in data["assessments"])


def test_measure_filter_and_as_of(run_cli):
    _, out, _ = run_cli("check", "-m", "SE", "--measure", "thb-directive-2024-1712", "--format", "json",
                        "--as-of", "2026-05-01")
    (data,) = json.loads(out)
    assert [a["status"] for a in data["assessments"]] == ["due-soon"]
    assert data["assessments"][0]["days_left"] == 75
    _, out, _ = run_cli("check", "-m", "SE", "--measure", "thb-directive-2024-1712", "--format", "json",
                        "--as-of", "2025-01-01")
    assert json.loads(out)[0]["assessments"][0]["status"] == "not-due"
    _, out, _ = run_cli("check", "-m", "SE", "--measure", "thb-directive-2024-1712", "--format", "json",
                        "--as-of", "2026-05-01", "--horizon", "30")
    assert json.loads(out)[0]["assessments"][0]["status"] == "not-due"


def test_csv_has_one_row_per_assessment(run_cli):
    _, out, _ = run_cli("check", "-m", "SE", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    _, js, _ = run_cli("check", "-m", "SE", "--format", "json")
    assert len(rows) == len(json.loads(js)[0]["assessments"])
    assert rows[0]["member_state"] == "SE" and rows[0]["status"]


def test_markdown_and_html(run_cli):
    _, md, _ = run_cli("check", "-m", "DK", "--format", "markdown")
    assert md.startswith("# Denmark (DK)") and "| Measure | Obligation |" in md
    _, html, _ = run_cli("check", "-m", "DK", "--format", "html")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("h1").get_text() == "Denmark (DK)"
    assert soup.find("section", id="ms-DK")
    assert not soup.find_all(["script", "link"])  # self-contained


def test_output_file(run_cli, tmp_path):
    target = tmp_path / "dk.json"
    code, out, _ = run_cli("check", "-m", "DK", "--format", "json", "--output", str(target), "--fail-on", "never")
    assert code == 0 and out == ""
    assert json.loads(target.read_text())[0]["member_state"] == "DK"


def test_fail_on_exit_codes(run_cli):
    assert run_cli("check", "-m", "DK", "--fail-on", "overdue")[0] == 1  # the open infringement case
    assert run_cli("check", "-m", "SE", "--fail-on", "overdue", "--as-of", "2026-11-22")[0] == 0
    assert run_cli("check", "-m", "SE", "--fail-on", "unknown")[0] == 1
    assert run_cli("check", "-m", "SE", "--fail-on", "never")[0] == 0
    code = run_cli("check", "-m", "SE", "--measure", "thb-directive-2024-1712", "--as-of", "2026-05-01",
                   "--fail-on", "due-soon")[0]
    assert code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "-m", "UK"), "unknown Member State 'UK'"),
        (("check", "-m", "DK", "--as-of", "22/11/2026"), "is not a date"),
        (("check", "-m", "DK", "--format", "pdf"), "Invalid value for '--format'"),
        (("check", "-m", "DK", "--measure", "nope"), "unknown measure 'nope'"),
        (("check", "-m", "DK", "--horizon", "-1"), "Invalid value for '--horizon'"),
        (("check", "-m", "DK", "--waivers", "absent.toml"), "cannot read waivers file"),
        (("check", "-m", "DK", "--catalogue", "absent.yaml"), "cannot read catalogue file"),
        (("check", "-m", "DK", "--config", "absent.toml"), "config file not found"),
        (("check", "--bogus"), "No such option"),
    ],
)
def test_usage_errors_exit_2_with_one_line(run_cli, args, message):
    code, out, err = run_cli(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out


def test_broken_config_file(run_cli, tmp_path):
    (tmp_path / "compliance.toml").write_text("[store]\nurll = 'x'\n")
    code, _, err = run_cli("check", "-m", "DK")
    assert code == 2 and "compliance.toml" in err and "urll" in err


def test_corrupt_database_exits_3_and_is_kept(run_cli, isolated_state):
    isolated_state.mkdir(parents=True)
    db = isolated_state / "compliance.db"
    db.write_bytes(b"garbage" * 500)
    code, _, err = run_cli("check", "-m", "DK")
    assert code == 3 and "cannot read the database" in err and "Traceback" not in err
    assert db.read_bytes() == b"garbage" * 500


def test_db_url_and_state_dir_from_environment(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_DB_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    code, out, _ = run_cli("check", "-m", "DK", "--fail-on", "never")
    assert code == 0 and not (tmp_path / "elsewhere.db").exists()  # reading creates no store
    assert f"store: sqlite:///{tmp_path / 'elsewhere.db'} (missing: nothing fetched yet)" in out
    assert run_cli("import", "--source", "eurlex", "--dry-run", str(tmp_path / "none.csv"))[0] == 2
    code, _, err = run_cli("withdraw", "--source", "eurlex", "--reason", "test", "--key", "x", "--dry-run")
    assert code == 0, err
    assert (tmp_path / "elsewhere.db").exists()  # a command that writes creates it


def test_config_file_sets_catalogue_waivers_and_horizon(run_cli, tmp_path):
    (tmp_path / "extra.yaml").write_text(
        "measures:\n  - id: watch-psd2\n    celex: 32015L2366\n    sources: [user]\n", "utf-8")
    (tmp_path / "waivers.toml").write_text(
        '[[waiver]]\nmeasure = "pcc-info-exchange-directive"\nmember_state = "DK"\n'
        'reason = "Folketing bill in progress"\nuntil = 2099-01-01\n', "utf-8")
    (tmp_path / "compliance.toml").write_text(
        'catalogue = ["extra.yaml"]\nwaivers = "waivers.toml"\n[check]\nhorizon = 10\n', "utf-8")
    code, out, err = run_cli("check", "-m", "DK", "--format", "json")
    assert code == 0, err
    (data,) = json.loads(out)
    assert data["horizon_days"] == 10
    waived = [a for a in data["assessments"] if a["status"] == "waived"]
    assert waived and waived[0]["waiver"] == "Folketing bill in progress"


def test_measures_command(run_cli):
    code, out, _ = run_cli("measures", "--member-state", "dk", "--format", "json")
    assert code == 0
    data = json.loads(out)
    by_id = {m["id"]: m for m in data["measures"]}
    assert by_id["prum-ii"]["applicability"]["status"] == "not-bound"
    assert len(by_id) == 45
    code, out, _ = run_cli("measures", "--kind", "convention")
    assert code == 0 and "medicrime-ratification" in out and "prum-ii" not in out


def test_sources_command_before_any_refresh(run_cli):
    code, out, _ = run_cli("sources", "--format", "json")
    assert code == 0
    rows = json.loads(out)["sources"]
    runnable = [r for r in rows if not r["unavailable"]]
    assert runnable and all(r["last_status"] == "never fetched" and r["stale"] for r in runnable)
    # A gazette without a usable interface is listed with its reason, never silently missing.
    declared = {r["source"]: r for r in rows if r["unavailable"]}
    assert declared and all(r["last_status"] == "unavailable" and len(r["member_states"]) == 1
                            for r in declared.values())


def test_an_unavailable_source_is_listed_with_its_reason_and_never_run(run_cli):
    from compliance.sources import SOURCES

    name = next(n for n, info in sorted(SOURCES.items()) if info.unavailable)
    code, out, _ = run_cli("sources")
    assert code == 0
    row, note = [line for line in out.splitlines() if line.lstrip().startswith(name)]
    assert "unavailable" in row and note.startswith(f"{name}: unavailable: ")  # the table, the reason under it
    code, out, err = run_cli("refresh", "--source", name)
    assert code == 2 and f"{name!r} is unavailable: " in err and "Traceback" not in err


def test_help_lists_exit_codes(run_cli):
    code, out, _ = run_cli("check", "--help")
    assert code == 0 and "Exit codes" in out and "could not evaluate" in out


def test_output_to_a_special_file_writes_through_and_never_replaces_it(run_cli, tmp_path):
    import os
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    code, _, err = run_cli("check", "-m", "DK", "--format", "json", "--output", str(fifo), "--fail-on", "never")
    reader.join(timeout=10)
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still the pipe, not a regular file put in its place
    assert json.loads(received[0])[0]["member_state"] == "DK"


def test_json_names_the_status_under_an_overlay(run_cli, tmp_path):
    _, out, _ = run_cli("check", "-m", "DK", "--format", "json", "--as-of", "2026-11-22")
    (dk,) = json.loads(out)
    by_key = {(a["measure"], a["obligation"]): a for a in dk["assessments"]}
    lfn = by_key[("pcc-info-exchange-directive", "transposition")]
    assert lfn["status"] == "infringement" and lfn["underlying_status"] == "unknown"
    assert "underlying status: unknown" in lfn["reason"]
    assert all(a["underlying_status"] is None for a in dk["assessments"] if a["status"] != "infringement")
    (tmp_path / "w.toml").write_text('[[waiver]]\nrule = "INF-001"\nmember_state = "DK"\nreason = "r"\n'
                                     'until = 2099-01-01\n', "utf-8")
    _, out, _ = run_cli("check", "-m", "DK", "--format", "json", "--as-of", "2026-11-22", "--waivers",
                        str(tmp_path / "w.toml"))
    (waived,) = [a for a in json.loads(out)[0]["assessments"] if a["status"] == "waived"]
    assert waived["underlying_status"] == "infringement"


def test_days_mean_the_same_in_every_column_and_in_the_reason(run_cli):
    """A met obligation counts its days to the day it was met (the figure its reason gives);
    an open one to the as-of date. CSV has the numbers in columns of their own."""
    import re

    _, js, _ = run_cli("check", "-m", "EU", "--format", "json", "--as-of", "2026-11-22")
    _, text, _ = run_cli("check", "-m", "EU", "--as-of", "2026-11-22")
    _, out, _ = run_cli("check", "-m", "EU", "--format", "csv", "--as-of", "2026-11-22")
    (eu,) = json.loads(js)
    rows = {(r["measure"], r["obligation"]): r for r in csv.DictReader(io.StringIO(out))}
    seen = set()
    for a in eu["assessments"]:
        row = rows[(a["measure"], a["obligation"] or "")]
        late = re.search(r"(\d+) days late", a["reason"]) or re.search(r"passed (\d+) days ago", a["reason"])
        if a["status"] == "met-late" or (late and a["status"] == "unknown"):
            assert a["days_late"] == int(late.group(1)) and row["days_late"] == late.group(1)
            assert row["days"] == f"{late.group(1)} late" and row["days_left"] == ""
            seen.add(a["status"])
        if a["status"] == "met-late":
            first = re.search(r"first on (\S+),", a["reason"]).group(1)
            assert a["days_counted_to"] == first == row["days_counted_to"]
        if a["status"] == "met" and a["days_left"] is not None:
            assert row["days"] == (f"{a['days_left']} early" if a["days_left"] else "on time")
            assert int(row["days_left"]) == a["days_left"]
            seen.add("met")
    assert seen == {"met", "met-late", "unknown"}
    assert "444 late" in text and "delivered: first on 2024-03-19, 444 days late" in text


def test_staged_directive_later_stages_are_not_met_on_an_early_notification(run_cli, tmp_path):
    """Issue 13, through import and check: Directive (EU) 2024/1640 (stages 2025, 2026, 2027, 2029)
    and one NIM notified on 2024-12-01 (a CONSTRUCTED SPARQL JSON row in the CELLAR NIM format of
    tests/fixtures/eurlex/; the CELEX suffix, title and date are made up)."""
    row = {"nim": {"type": "uri", "value": "http://publications.europa.eu/resource/cellar/c0001"},
           "nimCelex": {"type": "literal", "value": "72024L1640SWE_202400001"},
           "country": {"type": "uri", "value": "http://publications.europa.eu/resource/authority/country/SWE"},
           "title": {"type": "literal", "value": "Constructed act of SWE", "xml:lang": "en"},
           "notified": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#date",
                        "value": "2024-12-01"}}
    path = tmp_path / "nim.json"
    path.write_text(json.dumps({"head": {"link": [], "vars": list(row)},
                                "results": {"distinct": False, "ordered": True, "bindings": [row]}}), "utf-8")
    code, _, err = run_cli("import", "--source", "eurlex", str(path))
    assert code == 0, err
    code, out, err = run_cli("check", "-m", "SE", "--measure", "aml-directive-2024-1640", "--format", "json",
                             "--fail-on", "never", "--no-cache")
    assert code == 0, err
    (report,) = json.loads(out)
    by_stage = {a["obligation"]: a for a in report["assessments"]}
    assert {k: a["status"] for k, a in by_stage.items()} == {
        "transposition-2025-07-10": "met", "transposition-2026-07-10": "met",
        "transposition": "not-due", "transposition-2029-07-10": "not-due"}
    assert "not counted as met before the deadline" in by_stage["transposition-2029-07-10"]["reason"]
    assert any("4 transposition deadlines" in n for n in by_stage["transposition-2026-07-10"]["notes"])
