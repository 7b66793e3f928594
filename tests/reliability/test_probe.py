"""`compliance sources --probe` through the real CLI against the local server: the canary answers
as expected (ok), drifted answers (a fact that no longer holds, another shape, a partial
Virtuoso answer) and no usable answer (unreachable), and the sources without a canary.

The CELLAR answers are CONSTRUCTED in the W3C SPARQL 1.1 JSON results format that CELLAR's
Virtuoso emits (tests/fixtures/eurlex/README): one `country` binding per Member State.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from compliance.catalogue.memberstates import member_states

from . import harness
from .server import Good

SPARQL_JSON = "application/sparql-results+json"


def countries(n: int, var: str = "country") -> bytes:
    bound = [ms.iso3 for ms in member_states() if ms.code != "DK"][:n]  # DK is not bound by 2011/36/EU
    rows = [{var: {"type": "uri", "value": f"http://publications.europa.eu/resource/authority/country/{iso3}"}}
            for iso3 in bound]
    return json.dumps({"head": {"link": [], "vars": [var]},
                       "results": {"distinct": False, "ordered": True, "bindings": rows}}).encode()


@pytest.fixture
def cellar(server, monkeypatch):  # noqa: ANN001
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_EURLEX_SPARQL", server.url("/eurlex/sparql"))
    harness.write_config(Path("compliance.toml"), timeout=2, max_retries=0)
    return server


def probe(run_cli, *extra: str):  # noqa: ANN001, ANN201
    return run_cli("sources", "--probe", "--source", "eurlex", *extra)


def test_canary_answer_as_expected_is_ok(cellar, run_cli):
    seen = []

    def answer(req) -> Good:  # noqa: ANN001
        seen.append(parse_qs(req.query)["query"][0])
        return Good(countries(26), SPARQL_JSON)

    cellar.route(r"^GET /eurlex/", answer)
    code, out, err = probe(run_cli)
    assert code == 0, (out, err)
    assert "eurlex: ok: national measures of Directive 2011/36/EU from 26 Member States" in out
    (query,) = seen  # one small request, for the directive's NIM countries
    assert "SELECT DISTINCT ?country" in query and "32011L0036" in query
    code, out, _ = probe(run_cli, "--format", "json")
    assert code == 0 and json.loads(out)["probes"][0]["status"] == "ok"
    assert not Path("state").exists() or not any(Path("state").rglob("*.db"))  # nothing stored


@pytest.mark.parametrize(("answer", "reason"), [
    (Good(countries(3), SPARQL_JSON), "from 3 Member State(s); CELLAR has listed them for 26 since 2013"),
    (Good(countries(0), SPARQL_JSON), "from 0 Member State(s)"),
    (Good(countries(26, var="land"), SPARQL_JSON), "no `country` column (columns: land)"),
    (Good(countries(26), SPARQL_JSON, headers={
        "X-SQL-State": "S1TAT",
        "X-SQL-Message": "RC...: Returning incomplete results, query interrupted by result timeout."}),
     "incomplete"),
    ("malformed-json", "not JSON"),
    ("malformed-xml", "XML document instead of application/sparql-results+json"),
], ids=["fact", "zero-rows", "shape", "virtuoso-partial", "malformed-json", "xml"])
def test_drifted_answers_exit_4_with_the_reason(cellar, run_cli, answer, reason):
    cellar.route(r"^GET /eurlex/", answer)
    code, out, err = probe(run_cli)
    assert code == 4, (out, err)
    (line,) = [x for x in out.splitlines() if x.startswith("eurlex: ")]
    assert line.startswith("eurlex: drift: ") and reason in line, line
    assert "Traceback" not in err


@pytest.mark.parametrize(("fault", "reason"), [
    ("http-500", "HTTP 500"), ("bot-challenge", "blocked: "), ("connection-reset", "Connection reset"),
], ids=["http-500", "bot-challenge", "connection-reset"])
def test_no_usable_answer_is_unreachable(cellar, run_cli, fault, reason):
    cellar.route(r"^GET /eurlex/", fault)
    code, out, err = probe(run_cli)
    assert code == 4, (out, err)
    (line,) = [x for x in out.splitlines() if x.startswith("eurlex: ")]
    assert line.startswith("eurlex: unreachable: ") and reason in line, line


def test_sources_without_a_canary_or_unavailable_are_said_and_do_not_fail(cellar, run_cli):
    cellar.route(r"^GET /eurlex/", Good(countries(26), SPARQL_JSON))
    code, out, err = run_cli("sources", "--probe", "--source", "eurlex", "--source", "council",
                             "--source", "gazette-cy")
    assert code == 0, (out, err)
    assert "council: no-canary: no canary request is defined for this source yet: not probed" in out
    assert "gazette-cy: unavailable: " in out
    assert "probed: 1 ok, 1 unavailable, 1 no-canary" in out
    for args, message in ((("--probe", "--source", "nope"), "unknown source(s) nope"),
                          (("--source", "eurlex"), "--source is for")):
        code, _, err = run_cli("sources", *args)
        assert code == 2 and message in err and "Traceback" not in err


def test_oeil_canary_ok_and_drifted(server, monkeypatch, run_cli):  # noqa: ANN001
    """The OEIL canary against the CONSTRUCTED file of 2021/0411(COD) (tests/fixtures/oeil), then
    the soft 404 and a page whose final act is another."""
    monkeypatch.setenv("COMPLIANCE_ENDPOINT_OEIL", server.url("/oeil/procedure-file"))
    harness.write_config(Path("compliance.toml"), timeout=2, max_retries=0)
    page = harness.fixture("oeil", "procedure_2021-0411-COD_constructed.html")
    for body, code_wanted, part in (
        (page, 0, "oeil: ok: procedure file 2021/0411(COD): proposal 2021-12-08, final act 32023L0977"),
        (harness.fixture("oeil", "soft404_constructed.html"), 4, "oeil: drift: "),
        (page.replace(b"32023L0977", b"32023L0976"), 4, "final act 32023L0976 (expected 32023L0977)"),
    ):
        server.routes.clear()
        server.route(r"^GET /oeil/", Good(body, "text/html; charset=utf-8"))
        code, out, err = run_cli("sources", "--probe", "--source", "oeil")
        assert code == code_wanted and part in out, (out, err)
