"""Never a false status from a real-world answer: valid answers that lose evidence, partial
Virtuoso answers, and confirmed withdrawals, through `compliance refresh` (in-process, the real
CLI) against the local server (tests/reliability/server.py).

EUR-Lex first: a first good refresh stores the NIMs of Directive 2011/36/EU for 20 Member States
(a CONSTRUCTED SPARQL JSON answer in the format of tests/fixtures/eurlex/, built below: every
CELEX suffix, title and date is made up), then one answer that is HTTP 200 and valid but wrong.
In every case: exit 4, the source `suspect` with its reason on one line in the refresh output,
in `sources`, `diff` and the digest, no finding withdrawn and no assessment moved.
"""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from . import harness
from .server import Good

MEASURE = "thb-directive-2011-36"
STATES = ["AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DEU", "EST", "FIN", "FRA", "GRC", "HUN", "ITA", "LVA",
          "LTU", "LUX", "MLT", "NLD", "POL", "SWE"]  # 20 Member States (ISO3, as CELLAR names them)
SPARQL_JSON = "application/sparql-results+json"
VARS = ["nim", "nimCelex", "country", "title", "notified", "ojName", "ojNumber", "ojPage", "ojDate", "typeAct",
        "refCommission", "refMemberState", "link", "eli"]


def nim_answer(states: list[str], extra: dict[str, int] | None = None) -> bytes:
    """A CONSTRUCTED NIM answer: one NIM per state (two for the states in `extra`, n = how many)."""
    rows = []
    for i, iso3 in enumerate(states):
        for n in range(1, 1 + (extra or {}).get(iso3, 1)):
            rows.append({
                "nim": {"type": "uri", "value": f"http://publications.europa.eu/resource/cellar/c0{i:02d}{n}"},
                "nimCelex": {"type": "literal", "value": f"72011L0036{iso3}_2013{i:03d}{n:02d}"},
                "country": {"type": "uri", "value": f"http://publications.europa.eu/resource/authority/country/{iso3}"},
                "title": {"type": "literal", "value": f"Constructed act {n} of {iso3}", "xml:lang": "en"},
                "notified": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#date",
                             "value": f"2013-03-{1 + i:02d}"},
                "refCommission": {"type": "literal", "value": f"MNE(2013)9{i:03d}{n}"},
            })
    rows.sort(key=lambda r: r["nim"]["value"])
    return json.dumps({"head": {"link": [], "vars": VARS},
                       "results": {"distinct": False, "ordered": True, "bindings": rows}}).encode()


def serve(server, nims: bytes, headers: dict[str, str] | None = None) -> None:  # noqa: ANN001
    server.routes.clear()

    def answer(req) -> Good:  # noqa: ANN001
        query = parse_qs(req.query).get("query", [""])[0]
        if "measure_national_implementing" in query:
            return Good(nims, SPARQL_JSON, headers=dict(headers or {}))
        name = ("amends_32011L0036_constructed.json" if "resource_legal_amends_resource_legal" in query
                else "acts_32011L0036_constructed.json")
        return Good(harness.fixture("eurlex", name), SPARQL_JSON)

    server.route(r"^GET /eurlex/", answer)


@pytest.fixture
def cellar(server, monkeypatch, run_cli):  # noqa: ANN001
    """The local CELLAR stand-in after a first good refresh of 20 Member States (AUT with two NIMs)."""
    setup = harness.setup_for("eurlex")
    harness.prepare(setup, server, monkeypatch)
    harness.write_config(Path("compliance.toml"), timeout=5, max_retries=0)
    serve(server, nim_answer(STATES, {"AUT": 2}))
    code, out, err = refresh(run_cli)
    assert code == 0, (out, err)
    assert json.loads(out)["sources"][0]["new"] == 21
    return server


def refresh(run_cli, *extra: str):  # noqa: ANN001, ANN201
    return run_cli("refresh", "--source", "eurlex", "--measure", MEASURE, "--format", "json", *extra)


def statuses(run_cli) -> dict:  # noqa: ANN001
    return harness.statuses(run_cli, MEASURE)


def assert_suspect_and_nothing_moved(run_cli, before: dict, findings: set, reason_part: str) -> str:  # noqa: ANN001
    code, out, err = run_cli("refresh", "--source", "eurlex", "--measure", MEASURE)
    assert code == 4, (out, err)
    (line,) = [x for x in out.splitlines() if x.startswith("eurlex: ")]
    assert line.startswith("eurlex: suspect: ") and reason_part in line, line
    assert "nothing withdrawn" in line
    assert harness.active_findings("eurlex") == findings
    assert statuses(run_cli) == before  # not even towards unknown: the earlier healthy search still stands
    reason = harness.last_source_run("eurlex").reason
    assert "\n" not in reason and reason_part in reason
    # `sources`, `diff` and the digest say why, in one line each.
    code, out, _ = run_cli("sources", "--format", "json")
    (row,) = [r for r in json.loads(out)["sources"] if r["source"] == "eurlex"]
    assert row["last_status"] == "suspect" and row["last_error"]["reason"] == reason
    assert reason_part in row["coverage"]["latest_not_ok"][MEASURE]
    code, out, _ = run_cli("diff", "--since", "1d")
    assert code == 0
    (change,) = [x for x in out.splitlines() if x.strip().startswith("eurlex: ok -> suspect")]
    assert reason_part in change
    code, out, _ = run_cli("digest", "--since", "1d")
    assert code == 0
    (problem,) = [x for x in out.splitlines() if x.startswith("- eurlex: suspect since ")]
    assert reason_part in problem
    return line


def test_zero_rows_after_twenty_states_is_suspect(cellar, run_cli):
    before, findings = statuses(run_cli), harness.active_findings("eurlex")
    assert sum(v in ("met", "met-late") for v in before.values()) == 20
    serve(cellar, nim_answer([]))
    assert_suspect_and_nothing_moved(run_cli, before, findings,
                                     "lists none of the 21 findings (20 Member States)")


def test_one_member_state_missing_is_suspect(cellar, run_cli):
    before, findings = statuses(run_cli), harness.active_findings("eurlex")
    serve(cellar, nim_answer([s for s in STATES if s != "SWE"], {"AUT": 2}))
    assert_suspect_and_nothing_moved(run_cli, before, findings, "lists nothing for 1 Member State (SE)")


def test_a_large_share_lost_within_the_states_is_suspect(cellar, run_cli):
    """Every state still listed, but most of their NIMs gone: judged by share ([plausibility] max_share_lost)."""
    serve(cellar, nim_answer(STATES, {s: 3 for s in STATES}))
    assert refresh(run_cli)[0] == 0  # 60 NIMs now
    before, findings = statuses(run_cli), harness.active_findings("eurlex")
    serve(cellar, nim_answer(STATES))  # 20 of 60
    assert_suspect_and_nothing_moved(run_cli, before, findings, "lacks 40 of the 60 findings")


@pytest.mark.parametrize("headers, reason_part", [
    ({"X-SQL-State": "S1TAT", "X-SQL-Message": "RC...: Returning incomplete results, query interrupted by "
                                                 "result timeout.  Activity: 1R rnd  0R seq"},
     "X-SQL-State S1TAT: RC...: Returning incomplete results"),
    ({"X-SPARQL-MaxRows": "18"}, "cut at the server's row limit (X-SPARQL-MaxRows: 18)"),
])
def test_virtuoso_partial_answer_is_suspect(cellar, run_cli, headers, reason_part):
    """HTTP 200 with valid rows, but the server says they are not all: an "anytime query" that ran out
    of time, or a result cut at ResultSetMaxRows (here a page exactly at the announced cap)."""
    before, findings = statuses(run_cli), harness.active_findings("eurlex")
    serve(cellar, nim_answer(STATES[:17], {"AUT": 2}), headers)
    assert_suspect_and_nothing_moved(run_cli, before, findings, reason_part)


def test_one_finding_missing_is_pending_then_withdrawn_once_confirmed(cellar, run_cli):
    """A plausible answer without one of Austria's two NIMs: pending (shown, still counting), withdrawn
    after [withdrawal] confirmations healthy searches (min_days 0 here, so that the test needs no clock)."""
    Path("compliance.toml").write_text(Path("compliance.toml").read_text() + "[withdrawal]\nmin_days = 0\n")
    before = statuses(run_cli)
    serve(cellar, nim_answer(STATES))
    code, out, err = refresh(run_cli)
    (summary,) = json.loads(out)["sources"]
    assert code == 0 and summary["status"] == "ok" and (summary["pending"], summary["gone"]) == (1, 0)
    assert statuses(run_cli) == before
    code, out, _ = run_cli("check", "-m", "AT", "--measure", MEASURE, "--format", "json", "--fail-on", "never")
    ((a,),) = [r["assessments"] for r in json.loads(out)]
    assert any(n.startswith("withdrawal pending: eurlex has not listed") for n in a["notes"])
    assert sum(e["not_listed_since"] is not None for e in a["evidence"]) == 1
    code, out, _ = run_cli("sources", "--format", "json")
    (row,) = [r for r in json.loads(out)["sources"] if r["source"] == "eurlex"]
    assert row["pending_withdrawals"]["count"] == 1
    code, out, _ = run_cli("diff", "--since", "1d")
    assert "Not listed since (withdrawal pending) (1)" in out
    code, out, _ = run_cli("digest", "--since", "1d")
    assert "Not listed since (withdrawal pending) (1)" in out
    # The second healthy search that does not list it confirms the absence.
    code, out, _ = refresh(run_cli)
    (summary,) = json.loads(out)["sources"]
    assert code == 0 and (summary["pending"], summary["gone"]) == (0, 1)
    assert statuses(run_cli) == before  # Austria still has its other NIM
    code, out, _ = run_cli("diff", "--since", "1d", "--format", "json")
    (gone,) = json.loads(out)["evidence"]["withdrawn"]
    assert gone["member_state"] == "AT" and gone["note"].startswith("not listed by eurlex in 2 healthy search(es)")


# --- every other source that withdraws findings ------------------------------------------------------
#
# A source withdraws findings where it reports an `ok` search (coverage). For each, the store first
# holds a healthy result (a good refresh from the CONSTRUCTED fixtures where the harness has one, else
# an earlier run written through write_source_result: one finding and its `ok` search), then the
# source gets a valid answer, in its documented format, that lists none of it. The answers below are
# CONSTRUCTED (no bytes from a real service) except Austria's, which are the real RIS captures of
# ../shared/samples/gazettes/at (read from there, never copied).

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"


def _infringements_answer(server) -> None:  # noqa: ANN001
    """Register windows that each hold one decision on another act (Directive (EU) 2019/944, Germany),
    with totals that reconcile: a healthy-looking register in which the stored decision is missing."""
    from compliance.sources.infringements_parse import FAR_FUTURE, dmy

    far = dmy(FAR_FUTURE)

    def answer(req) -> Good:  # noqa: ANN001
        body = json.loads(req.body or b"{}")
        start, end = body.get("decisionDateFrom", ""), body.get("decisionDateTo", "")
        if end == far and start.endswith("/2024"):  # the probe: the total over the whole span
            years = int(__import__("datetime").date.today().year) - 2024 + 1
            return Good(json.dumps({"totalRows": years, "records": []}).encode())
        if end == far:  # decisions dated after this year: none
            return Good(json.dumps({"totalRows": 0, "records": []}).encode())
        record = {"infringementNumber": f"INFR({start[-4:]})9999", "memberState": "Germany",
                  "title": "Non-communication of measures transposing Directive (EU) 2019/944 (constructed)",
                  "caseType": "Non-communication", "activeInfringementCase": "Yes", "nonCommunicationCase": "Yes",
                  "decisionDate": start, "decisionType": "Formal notice Art. 258 TFEU", "policyAreas": []}
        return Good(json.dumps({"totalRows": 1, "records": [record]}).encode())

    server.route(r"^POST /infringements/", answer)


def _coe_answer(server) -> None:  # noqa: ANN001
    """The chart of CETS 211 with Sweden's row present but without any date (no signature, no ratification)."""
    chart = json.loads(harness.fixture("coe_treaties", "signatures_211_constructed.json"))
    for bucket in chart:
        for row in bucket:
            if row.get("LibPaysOrga") == "Sweden":
                for key in ("DateSignature", "DateConsentement", "DateEntreeVigueur"):
                    row[key] = None
    server.route(r"/api/signatures", Good(json.dumps(chart).encode()))


def _oeil_answer(server) -> None:  # noqa: ANN001
    """The procedure file with every table emptied (key events, documents): no dated proposal."""
    import re as re_

    page = harness.fixture("oeil", "procedure_2021-0411-COD_constructed.html").decode()
    emptied = re_.sub(r"(<tbody>).*?(</tbody>)", r"\1\2", page, flags=re_.S)
    server.route(r"^GET /oeil/oeil\b", Good(emptied.encode(), "text/html; charset=utf-8"))
    server.route(r"^GET /oeil/ep_open_data/", Good(harness.fixture("oeil", "odp_2021-0411_constructed.json"),
                                                   "application/ld+json"))


def _pl_answer(server) -> None:  # noqa: ANN001
    """Every year of Dziennik Ustaw listed completely: one act, implementing another directive."""
    def answer(req) -> Good:  # noqa: ANN001
        year = parse_qs(req.query).get("year", ["2025"])[0]
        item = {"ELI": f"DU/{year}/9999", "address": f"WDU{year}0009999", "publisher": "DU", "year": int(year),
                "pos": 9999, "displayAddress": f"Dz.U. {year} poz. 9999", "type": "Rozporządzenie",
                "title": "Rozporządzenie (constructed) w sprawie innej dyrektywy", "status": "obowiązujący",
                "announcementDate": f"{year}-03-01", "promulgation": f"{year}-03-05",
                "directives": [{"address": "32019L0944", "date": "2019-06-05", "title": "Dyrektywa (UE) 2019/944"}]}
        return Good(json.dumps({"offset": 0, "count": 1, "totalCount": 1, "items": [item]}).encode())

    server.route(r"^GET /gazette-pl/", answer)


def _fr_answer(server) -> None:  # noqa: ANN001
    empty = harness.fixture("gazette-fr", "search_jorf_empty_constructed.json")
    server.route(r"^POST /gazette-fr/gazette_fr/", Good(empty))


def _nl_answer(server) -> None:  # noqa: ANN001
    server.route(r"^GET /gazette-nl/", Good(harness.fixture("gazette-nl", "sru_empty_constructed.xml"),
                                            "application/xml"))


def _at_answer(server) -> None:  # noqa: ANN001
    """RIS's real answers: the known Datenschutzgesetz for the check search (the captured page, its hit
    count set to the one document it holds, so that the search is complete), zero hits for the directive."""
    known = json.loads((SAMPLES / "gazettes" / "at" / "ris-search-brkons-celex.json").read_bytes())
    known["OgdSearchResult"]["OgdDocumentResults"]["Hits"]["#text"] = "1"
    zero = (SAMPLES / "gazettes" / "at" / "ris-search-zero-hits.json").read_bytes()
    server.route(r"2016%2F680|32016L0680|2016/680", Good(json.dumps(known).encode()))
    server.route(r"^GET /gazette-at/", Good(zero))


ANSWERS = {
    "infringements": _infringements_answer, "coe-treaties": _coe_answer, "oeil": _oeil_answer,
    "gazette-pl": _pl_answer, "gazette-fr": _fr_answer, "gazette-nl": _nl_answer, "gazette-at": _at_answer,
}
PATCHES = {"gazette-nl": {"FULL_TEXT_VERIFIED": True}}  # its `ok` searches are off until verified live


def test_every_source_that_reports_searches_is_covered():
    """A source module that builds coverage can withdraw findings: it must be in ANSWERS (or be eurlex)."""
    from importlib import import_module
    from importlib.util import find_spec

    from compliance.sources import SOURCES

    reporting = set()
    for name, info in SOURCES.items():
        if info.available() and find_spec(info.module):
            text = Path(import_module(info.module).__file__).read_text("utf-8")
            if '"ok", MEMBER_STATE' in text or 'CoverageItem(measure_id, "ok"' in text or "coverage_items(" in text \
                    or 'CoverageItem(measure.id, "ok"' in text:
                reporting.add(name)
    assert reporting - {"eurlex"} <= set(ANSWERS), reporting - set(ANSWERS)


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_valid_empty_answer_of_every_withdrawing_source_is_suspect(name, server, run_cli, monkeypatch):
    setup = harness.setup_for(name)
    harness.prepare(setup, server, monkeypatch)
    for attr, value in PATCHES.get(name, {}).items():
        monkeypatch.setattr(import_module(setup.info.module), attr, value)
    harness.write_config(Path("compliance.toml"), timeout=5, max_retries=0)
    if setup.always is not None:
        setup.always(server)
    if setup.good is not None:
        setup.good(server)
        code, out, err = run_cli(*setup.refresh_args(), "--format", "json")
        assert code == 0 and json.loads(out)["sources"][0]["findings"] > 0, (out, err)
        server.routes.clear()
        if setup.always is not None:
            setup.always(server)
    else:
        harness.seed(setup)
    before, findings = harness.statuses(run_cli, setup.measure), harness.active_findings(name)
    ANSWERS[name](server)
    code, out, err = run_cli(*setup.refresh_args())
    assert code == 4, (out, err)
    (line,) = [x for x in out.splitlines() if x.startswith(f"{name}: ")]
    assert line.startswith(f"{name}: suspect: "), line
    assert harness.active_findings(name) == findings
    assert harness.moved_wrongly(before, harness.statuses(run_cli, setup.measure)) == []
    assert harness.last_source_run(name).reason in line
