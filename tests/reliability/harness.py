"""What the reliability tests need to drive any source against the local fault server.

`setup_for(name)` says, per source, which measure and Member States a refresh is limited to
(few requests), where its seeded earlier findings go, which good payloads (the CONSTRUCTED
fixtures of tests/fixtures/) a first good refresh can be served, and how its clock and pacers
are made test-friendly. A source not listed here (a gazette written after this file) gets a
generic setup: its Member State, thb-directive-2024-1712, no good payloads (seeded instead),
every `Pacer` of its module set to zero, and a `_now` (if it has one) left alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

from compliance.sources import SOURCES

from .server import FaultServer, Good

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# 2026-06-12 10:00 in Copenhagen (CEST): inside Retsinformation's service hours (03:00-23:45).
DK_OPEN_NOW = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)

# Dummy credentials for every source that needs one (never real values).
DUMMY_CREDENTIALS = {
    "COMPLIANCE_COE_TOKEN": "dummy-coe-token-for-tests",
    "COMPLIANCE_PISTE_CLIENT_ID": "dummy-piste-client-id",
    "COMPLIANCE_PISTE_CLIENT_SECRET": "dummy-piste-client-secret",
}

# A failure may only be reported as one of these (never "ok").
NOT_OK = ("failed", "blocked", "unavailable", "suspect")


def fixture(source_dir: str, name: str) -> bytes:
    return (FIXTURES / source_dir / name).read_bytes()


@dataclass
class SourceSetup:
    name: str
    measure: str
    member_states: tuple[str, ...] = ()  # `refresh -m`; () for EU-level sources (no filter)
    seed_state: str = "SE"  # Member State of a seeded finding ("EU" for EU-level evidence)
    seed_kind: str | None = None  # default: the source's first evidence kind
    seed_stage: str | None = None
    seed_coverage: str | None = None  # member_state of a seeded "ok" coverage row; None: the source emits none
    good: Callable[[FaultServer], None] | None = None  # routes of a good first refresh
    always: Callable[[FaultServer], None] | None = None  # routes kept good during the fault (a token endpoint)
    patches: dict[str, Any] = field(default_factory=dict)  # module attribute -> value

    @property
    def info(self):  # noqa: ANN201
        return SOURCES[self.name]

    def endpoint_names(self) -> list[str]:
        """The registered endpoint names plus any `*ENDPOINT_NAME` constant of the module (e.g. an OAuth host)."""
        names = list(self.info.endpoint_names)
        module = import_module(self.info.module)
        for attr, value in vars(module).items():
            if attr.endswith("ENDPOINT_NAME") and isinstance(value, str) and value not in names:
                names.append(value)
        return names

    def endpoint_path(self, endpoint_name: str) -> str:
        return f"/{self.name}/{endpoint_name.lower()}"

    def refresh_args(self) -> list[str]:
        args = ["refresh", "--source", self.name, "--measure", self.measure]
        for ms in self.member_states:
            args += ["-m", ms]
        return args


# --- good payloads ---------------------------------------------------------------------------------


def _eurlex_good(server: FaultServer) -> None:
    def answer(req) -> Good:  # noqa: ANN001
        from urllib.parse import parse_qs

        query = parse_qs(req.query).get("query", [""])[0]
        if "measure_national_implementing" in query:
            name = "nim_32011L0036_constructed.json"
        elif "resource_legal_amends_resource_legal" in query:
            name = "amends_32011L0036_constructed.json"
        else:
            name = "acts_32011L0036_constructed.json"
        return Good(fixture("eurlex", name), "application/sparql-results+json")

    server.route(r"^GET /eurlex/", answer)


def _coe_good(server: FaultServer) -> None:
    server.route(r"/api/signatures", Good(fixture("coe_treaties", "signatures_211_constructed.json")))


def _oeil_good(server: FaultServer) -> None:
    server.route(r"^GET /oeil/oeil\b", Good(fixture("oeil", "procedure_2021-0411-COD_constructed.html"),
                                            "text/html; charset=utf-8"))
    server.route(r"^GET /oeil/ep_open_data/", Good(fixture("oeil", "odp_2021-0411_constructed.json"),
                                                   "application/ld+json"))


def _council_good(server: FaultServer) -> None:
    server.route(r"^GET /council/", Good(fixture("council", "results_2021-0411-COD_constructed.html"),
                                         "text/html; charset=utf-8"))


def dk_harvest() -> bytes:
    """A harvest answer listing the CONSTRUCTED law of tests/fixtures/gazette-dk (field names as in dk.py)."""
    return json.dumps([{
        "documentId": "constructed-doc-1", "accessionsnummer": "A20269990001", "reasonForChange": "New",
        "changeDate": "2026-06-12T06:00:00", "documentType": {"id": 10, "shortName": "LOV"},
        "href": "https://www.retsinformation.dk/eli/accn/A20269990001/xml",
    }]).encode()


def _dk_good(server: FaultServer) -> None:
    server.route(r"/v1/Documents", Good(dk_harvest()))
    server.route(r"/eli/accn/[A-Z0-9]+/xml", Good(fixture("gazette-dk", "lov_eu-note_constructed.xml"),
                                                 "application/xml"))
    server.route(r"/eli/lta/\d+/\d+\.json", Good(fixture("gazette-dk", "eli-metadata_transposes_constructed.json")))


# --- per-source setups -----------------------------------------------------------------------------


def _piste_token(server: FaultServer) -> None:
    server.route(r"^POST /gazette-fr/gazette_fr_oauth",
                 Good(json.dumps({"access_token": "dummy-bearer-token", "token_type": "Bearer",
                                  "expires_in": 3600}).encode()))


def _dk_patches() -> dict[str, Any]:
    from compliance.sources.gazettes._runs import Pacer

    return {"_now": lambda: DK_OPEN_NOW, "HARVEST_PACER": Pacer(0.0)}


def _setups() -> dict[str, SourceSetup]:
    return {
        s.name: s
        for s in (
            SourceSetup("eurlex", "thb-directive-2011-36", seed_coverage="*", good=_eurlex_good),
            SourceSetup("infringements", "thb-directive-2024-1712", seed_stage="letter-of-formal-notice",
                        seed_coverage="*"),
            SourceSetup("coe-treaties", "medicrime-ratification", seed_kind="ratification", seed_coverage="*",
                        good=_coe_good),
            SourceSetup("oeil", "pcc-info-exchange-directive", seed_state="EU", seed_kind="proposal",
                        seed_coverage="EU", good=_oeil_good),
            SourceSetup("council", "pcc-info-exchange-directive", seed_state="EU", good=_council_good),
            # No evidence findings of its own (its good answers are tested in tests/sources/test_act_texts.py):
            # the seeded finding shows that a failure keeps what was stored.
            SourceSetup("act-texts", "thb-directive-2024-1712", seed_kind="act-text"),
            SourceSetup("gazette-dk", "thb-directive-2024-1712", ("DK",), "DK", good=_dk_good,
                        patches={"__dk__": True}),
            SourceSetup("gazette-at", "thb-directive-2024-1712", ("AT",), "AT", seed_coverage="AT"),
            SourceSetup("gazette-ee", "thb-directive-2024-1712", ("EE",), "EE"),
            SourceSetup("gazette-pl", "thb-directive-2024-1712", ("PL",), "PL", seed_coverage="PL",
                        patches={"_this_year": lambda: 2025}),
        )
    }


def setup_for(name: str) -> SourceSetup:
    known = _setups()
    if name in known:
        return known[name]
    info = SOURCES[name]
    state = info.member_states[0] if info.member_states else "SE"
    return SourceSetup(name, "thb-directive-2024-1712", tuple(info.member_states), state, seed_coverage=state,
                       always=_piste_token if name == "gazette-fr" else None)


def available_sources() -> list[str]:
    """Every registered source whose module exists now (es/lu/... join as they are written)."""
    return sorted(n for n, info in SOURCES.items() if info.available())


def prepare(setup: SourceSetup, server: FaultServer, monkeypatch) -> None:  # noqa: ANN001
    """Point every endpoint of the source at the server, give dummy credentials, fix clocks and pacers."""
    from compliance.sources.gazettes._runs import Pacer

    for endpoint in setup.endpoint_names():
        monkeypatch.setenv(f"COMPLIANCE_ENDPOINT_{endpoint.upper()}", server.url(setup.endpoint_path(endpoint)))
    for var, value in DUMMY_CREDENTIALS.items():
        if not os.environ.get(var):
            monkeypatch.setenv(var, value)
    module = import_module(setup.info.module)
    for attr, value in list(vars(module).items()):
        if isinstance(value, Pacer):
            monkeypatch.setattr(module, attr, Pacer(0.0))
    patches = dict(setup.patches)
    if patches.pop("__dk__", False):
        patches.update(_dk_patches())
    for attr, value in patches.items():
        monkeypatch.setattr(module, attr, value)


def fast_backoff(monkeypatch) -> None:  # noqa: ANN001
    """Retries without the 1 s exponential backoff (HttpSettings.backoff_base is not a config key)."""
    import compliance.refresh.run as refresh_mod

    real = refresh_mod.http_settings

    def quick(settings):  # noqa: ANN001, ANN202
        return replace(real(settings), backoff_base=0.01, backoff_max=0.02)

    monkeypatch.setattr(refresh_mod, "http_settings", quick)


def write_config(path: Path, *, timeout: float, max_retries: int, max_bytes: int = 200 * 1024 * 1024) -> None:
    path.write_text(
        "[http]\n"
        f"timeout = {timeout}\nmax_retries = {max_retries}\nmax_bytes = {max_bytes}\n"
        "[http.hosts.\"127.0.0.1\"]\nmin_interval = 0\nconcurrency = 4\n",
        "utf-8",
    )


# --- seeding and reading the store -----------------------------------------------------------------


def seed(setup: SourceSetup) -> int:
    """Store an earlier successful run of the source (one finding, and coverage where it emits any)."""
    from compliance.config.settings import load_settings
    from compliance.refresh.run import _finish_run, _start_run, write_source_result
    from compliance.sources.base import CoverageItem, FoundItem, SourceResult
    from compliance.store.engine import Store
    from tests.fake_source import fetch

    settings = load_settings()
    store = Store.open(settings.db_url)
    run_id = _start_run(store, "refresh")
    fr = replace(fetch(b'{"seeded": "%s"}' % setup.name.encode()), source=setup.name,
                 url=f"https://example.org/{setup.name}/seed")
    kind = setup.seed_kind or sorted(setup.info.evidence_kinds)[0]
    item = FoundItem(key=f"seed:{setup.name}:1", kind=kind, measure_id=setup.measure, member_state=setup.seed_state,
                     date=date(2025, 3, 1), title=f"Seeded {kind} of {setup.name} (constructed)",
                     reference="SEED-1", url=f"https://example.org/{setup.name}/seed/1", stage=setup.seed_stage,
                     fetch=fr)
    coverage = [CoverageItem(setup.measure, "ok", setup.seed_coverage, "seeded search", fr)] \
        if setup.seed_coverage else []
    result = SourceResult(findings=[item], coverage=coverage, fetches=[fr], reason="seeded")
    write_source_result(store, run_id, setup.name, result, started_at=datetime.now(UTC))
    _finish_run(store, run_id, "ok", {"seeded": setup.name})
    store.engine.dispose()
    return run_id


def active_findings(name: str) -> set[tuple[str, str, str]]:
    """(measure, key, content hash) of the source's active findings."""
    from sqlalchemy import select

    from compliance.config.settings import load_settings
    from compliance.store import tables
    from compliance.store.engine import Store

    store = Store.open(load_settings().db_url)
    f = tables.Finding
    with store.session() as session:
        rows = session.execute(select(f).where(f.source == name, f.active.is_(True))).scalars().all()
    store.engine.dispose()
    return {(r.measure_id, r.key, r.content_hash) for r in rows}


def last_source_run(name: str):  # noqa: ANN201
    """The source's latest source_run row."""
    from sqlalchemy import select

    from compliance.config.settings import load_settings
    from compliance.store import tables
    from compliance.store.engine import Store

    store = Store.open(load_settings().db_url)
    s = tables.SourceRun
    with store.session() as session:
        row = session.execute(select(s).where(s.source == name).order_by(s.id.desc()).limit(1)).scalar_one()
    store.engine.dispose()
    return row


def statuses(run_cli, measure: str | None = None) -> dict[tuple[str, str, str], str]:  # noqa: ANN001
    """Every assessment's status from `compliance check --format json` (all states and EU)."""
    args = ["check", "-m", "all", "-m", "EU", "--format", "json", "--fail-on", "never"]
    code, out, err = run_cli(*args, *(["--measure", measure] if measure else []))
    assert code == 0, err
    data = json.loads(out)
    return {
        (r["member_state"], a["measure"], a["obligation"] or ""): a["status"]
        for r in (data if isinstance(data, list) else [data])
        for a in r["assessments"]
    }


def moved_wrongly(before: dict, after: dict) -> list[str]:
    """Assessments whose status changed to anything but `unknown` (a fault may only take certainty away)."""
    problems = [f"{k}: missing after" for k in before if k not in after]
    problems += [f"{k}: {before[k]} -> {after[k]}" for k in before if k in after and after[k] != before[k]
                 and after[k] != "unknown"]
    return problems
