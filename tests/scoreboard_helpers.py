"""CONSTRUCTED data for the scoreboard, trend, chart and feed tests: no refresh ran, no source
answered. Snapshot rows are written straight into `assessment_snapshot` in the shape refresh/run.py's
snapshot_assessments gives them (tables.AssessmentSnapshot), under refresh runs made up here; the
current assessments are model.Assessment values for made-up measures m-a .. m-d.

The scenario (expected figures are worked out by hand in the tests):

    deadlines: m-a 2026-01-10, m-b 2026-03-01, m-c 2026-12-31, m-d 2026-02-01

    run 1, 2026-02-01  DK a overdue, b due-soon, c not-due | SE a met, b not-due | FI a unknown
    run 2, 2026-03-15  DK a infringement, b overdue, c not-due | SE a met, b met-late | FI a overdue, b unknown
    run 3, 2026-04-01 08:00  DK a infringement, b overdue, c not-due | SE as run 2 | FI as run 2
    run 4, 2026-04-01 20:00  DK a infringement, b met-late, c not-due | SE as run 2 | FI a met-late, b unknown
    now,  2026-04-20  DK a infringement (case INFR(2025)2001), b met-late, c not-due
                      SE a met, b overdue | FI a met-late, b unknown, d waived
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from compliance.model import Applicability, Assessment, Evidence, Measure, Obligation, Severity, Status
from compliance.report.assembly import Report
from compliance.store import tables

DEADLINES = {"m-a": date(2026, 1, 10), "m-b": date(2026, 3, 1), "m-c": date(2026, 12, 31), "m-d": date(2026, 2, 1)}
NOW = date(2026, 4, 20)
CASE = "INFR(2025)2001"

RUNS: list[tuple[datetime, dict[str, dict[str, str]]]] = [
    (datetime(2026, 2, 1, 8, tzinfo=UTC), {
        "DK": {"m-a": "overdue", "m-b": "due-soon", "m-c": "not-due"},
        "SE": {"m-a": "met", "m-b": "not-due"},
        "FI": {"m-a": "unknown"}}),
    (datetime(2026, 3, 15, 8, tzinfo=UTC), {
        "DK": {"m-a": "infringement", "m-b": "overdue", "m-c": "not-due"},
        "SE": {"m-a": "met", "m-b": "met-late"},
        "FI": {"m-a": "overdue", "m-b": "unknown"}}),
    (datetime(2026, 4, 1, 8, tzinfo=UTC), {
        "DK": {"m-a": "infringement", "m-b": "overdue", "m-c": "not-due"},
        "SE": {"m-a": "met", "m-b": "met-late"},
        "FI": {"m-a": "overdue", "m-b": "unknown"}}),
    (datetime(2026, 4, 1, 20, tzinfo=UTC), {
        "DK": {"m-a": "infringement", "m-b": "met-late", "m-c": "not-due"},
        "SE": {"m-a": "met", "m-b": "met-late"},
        "FI": {"m-a": "met-late", "m-b": "unknown"}}),
]

CURRENT = {
    "DK": {"m-a": "infringement", "m-b": "met-late", "m-c": "not-due"},
    "SE": {"m-a": "met", "m-b": "overdue"},
    "FI": {"m-a": "met-late", "m-b": "unknown", "m-d": "waived"},
}


def write_runs(store, runs=RUNS) -> list[int]:  # noqa: ANN001
    """Insert the constructed runs and their snapshot rows; return the run ids."""
    ids = []
    with store.session() as session, session.begin():
        for at, states in runs:
            run = tables.RefreshRun(kind="refresh", started_at=at, finished_at=at, status="ok",
                                    summary=json.dumps({"constructed": "tests/scoreboard_helpers.py"}))
            session.add(run)
            session.flush()
            ids.append(run.id)
            for code, statuses in states.items():
                for measure, status in statuses.items():
                    session.add(tables.AssessmentSnapshot(
                        run_id=run.id, member_state=code, measure_id=measure, obligation_id="transposition",
                        status=status, rule="INF-001" if status == "infringement" else "TRN-001",
                        reason=f"constructed: {status}", deadline=DEADLINES[measure], evidence="[]", created_at=at))
    return ids


def measure(measure_id: str, title: str | None = None) -> Measure:
    obligation = Obligation(id="transposition", type="transposition", addressee="member-states",
                            date=DEADLINES[measure_id], date_text=None, verified=True)
    return Measure(id=measure_id, title=title or f"Constructed directive {measure_id}", kind="directive", celex=None,
                   celex_verified=False, strategy="oc", action="constructed", obligations=(obligation,),
                   default_applicability=Applicability("bound", None, True), exceptions={}, sources=("constructed",))


def assessment(code: str, measure_id: str, status: str, title: str | None = None) -> Assessment:
    m = measure(measure_id, title)
    evidence: tuple[Evidence, ...] = ()
    if status == "infringement":
        evidence = (Evidence(source="infringements", kind="infringement", title="Letter of formal notice",
                             url="https://example.org/infr/2001", reference=CASE, date=date(2026, 2, 20),
                             retrieved_at=None, sha256=None, stage="letter-of-formal-notice"),)
    elif status in ("met", "met-late"):
        evidence = (Evidence(source="eurlex", kind="national-measure", title=f"Act of {code}",
                             url=f"https://example.org/{code}/{measure_id}", reference=f"MNE-{code}-{measure_id}",
                             date=date(2026, 3, 5), retrieved_at=None, sha256="ab" * 32),)
    return Assessment(member_state=code, measure=m, obligation=m.obligations[0], status=Status(status),
                      rule="INF-001" if status == "infringement" else "TRN-001", severity=Severity.HIGH,
                      reason=f"constructed: {status}", deadline=m.obligations[0].date, evidence=evidence)


def current_reports(states=CURRENT, as_of: date = NOW) -> list[Report]:  # noqa: ANN001
    from compliance.catalogue import memberstates

    now = datetime.combine(as_of, datetime.min.time(), tzinfo=UTC)
    return [Report(member_state=code, name=memberstates.lookup(code).name, as_of=as_of, generated_at=now,
                   horizon_days=90, catalogue_version="constructed",
                   assessments=[assessment(code, m, s) for m, s in states.get(code, {}).items()])
            for code in memberstates.codes()]
